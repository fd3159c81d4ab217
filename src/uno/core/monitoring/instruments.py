"""``MetricsManager``: creates OpenTelemetry instruments from the project's
``MetricSpec``s and mirrors every measurement into a ``LocalView``. Counters
are kept as numbers in the process (``counter_table``) and reported through
observable counters when a reader collects; histograms are synchronous (their
points carry exemplars of the span current when recorded).

    manager = MetricsManager()                      # the global MeterProvider
    enqueued = manager.counter(semconv.JOB_ENQUEUED)
    enqueued.add(1, {"queue": "emails", "task": "send", "priority": "NORMAL"})
    manager.view.snapshot()                         # what get_metrics()/Prometheus read
"""

from __future__ import annotations

import weakref
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

from uno.core.monitoring.counter_table import CounterTotals, shared_counter
from uno.core.monitoring.local_view import (
    Attributes,
    GaugeReader,
    HistogramPoint,
    LocalView,
    MetricView,
    freeze,
)
from uno.core.monitoring.spec import DEFAULT_NAMESPACE, InstrumentKind, MetricSpec

SCOPE_NAME = "uno.jobs.monitoring"
SCOPE_VERSION = "0.1.0"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"

_live_readers: weakref.WeakKeyDictionary[Any, dict[str, GaugeReader]] = (
    weakref.WeakKeyDictionary())  # meter -> observable name -> the reader reported


class Counter:
    """A counter kept in this process (``counter_table.CounterTotals``); one
    observable counter per meter provider reports the totals at collection."""

    __slots__ = ("totals",)

    def __init__(self, totals: CounterTotals) -> None:
        self.totals = totals

    def add(self, value: float, attributes: dict[str, str]) -> None:
        self.totals.add(freeze(attributes), value)

    def add_key(self, key: Attributes, value: float = 1) -> None:
        """``add`` with the attributes already frozen (``local_view.freeze``)."""
        self.totals.add(key, value)


class Histogram:
    """A synchronous OpenTelemetry histogram and its series in the local view."""

    __slots__ = ("_otel", "_view", "_local")

    def __init__(self, otel: Any, view: MetricView, local: LocalView) -> None:
        self._otel, self._view, self._local = otel, view, local

    def bind(self, attributes: dict[str, str]) -> BoundHistogram:
        return BoundHistogram(self, attributes)

    def record(self, value: float, attributes: dict[str, str], key: Attributes | None = None
               ) -> None:
        """``key``: ``freeze(attributes)``, when the caller keeps it."""
        self._otel.record(value, attributes)
        self._local.record(self._view, value, freeze(attributes) if key is None else key)


class BoundHistogram:
    """One series of a ``Histogram``: ``record(value)`` is ``histogram.record(value,
    attributes)`` without the per-call lookups (for the plugin's cached series)."""

    __slots__ = ("_otel", "_attributes", "_key", "_view", "_local", "_point")

    def __init__(self, histogram: Histogram, attributes: dict[str, str]) -> None:
        self._otel, self._view, self._local = histogram._otel, histogram._view, histogram._local
        self._attributes, self._key = attributes, freeze(attributes)
        self._point: HistogramPoint | None = None  # made at the first record

    def record(self, value: float) -> None:
        self._otel.record(value, self._attributes)
        point = self._point
        if point is None:
            point = self._point = self._local.point_of(self._view, self._key)
        with self._local.lock:  # HistogramPoint.record, inlined (once or twice per job)
            point.bucket_counts[bisect_left(point.bounds, value)] += 1
            point.count += 1
            point.total += value


class MetricsManager:
    """Instruments on one meter, plus the local view of everything recorded."""

    def __init__(
        self,
        meter_provider: MeterProvider | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        scope_name: str = SCOPE_NAME,
        scope_version: str = SCOPE_VERSION,
    ) -> None:
        self.namespace = namespace
        self.meter_provider = meter_provider
        self.meter = metrics.get_meter(scope_name, scope_version, meter_provider, SCHEMA_URL)
        self.view = LocalView()
        self._instruments: dict[str, Any] = {}
        self._readers: dict[str, GaugeReader] = {}  # observable name -> this manager's reader

    def full_name(self, spec: MetricSpec) -> str:
        return spec.full_name(self.namespace)

    def counter(self, spec: MetricSpec) -> Counter:
        return self._cached(spec, self._new_counter(spec))

    def _new_counter(self, spec: MetricSpec) -> Callable[[str], Counter]:
        def create(name: str) -> Counter:
            totals = CounterTotals()
            provider = self.meter_provider or metrics.get_meter_provider()
            shared = shared_counter(provider, self.meter.name, name)
            shared.attach(totals)
            self.meter.create_observable_counter(name, callbacks=[shared.observe],
                                                 unit=spec.unit, description=spec.description)
            self.view.register(spec, name, totals=totals)
            return Counter(totals)

        return create

    def histogram(self, spec: MetricSpec) -> Histogram:
        return self._cached(spec, lambda name: Histogram(
            self.meter.create_histogram(
                name, unit=spec.unit, description=spec.description,
                explicit_bucket_boundaries_advisory=list(spec.buckets or ()),
            ),
            self.view.register(spec, name), self.view))

    def observable_gauge(self, spec: MetricSpec, read: GaugeReader) -> Any:
        """An observable gauge whose callback yields ``read()``'s (value, attributes)
        pairs. ``read`` must be cheap and non-blocking: it runs on the metric
        reader's thread."""
        return self._observable(spec, read, self.meter.create_observable_gauge)

    def observable_counter(self, spec: MetricSpec, read: GaugeReader) -> Any:
        """An observable (monotonic, cumulative) counter; ``read`` yields each
        series' running total, as for :meth:`observable_gauge`."""
        return self._observable(spec, read, self.meter.create_observable_counter)

    def _observable(self, spec: MetricSpec, read: GaugeReader, create: Callable[..., Any]) -> Any:
        # An SDK meter keeps the first instrument of a name (and its callback) for
        # good: the callback reads whichever reader was registered last on this meter.
        readers = _live_readers.setdefault(self.meter, {})
        name = self.full_name(spec)
        readers[name] = read
        self._readers[name] = read

        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            live = readers.get(name)
            return [Observation(value, attrs) for value, attrs in live()] if live else []

        return self._cached(spec, lambda name: (
            self.view.register(spec, name, gauge_reader=read),
            create(name, callbacks=[callback], unit=spec.unit, description=spec.description),
        )[1])

    def release(self) -> None:
        """Stop reporting this manager's observable instruments (a later manager
        on the same meter reports its own through the same instruments)."""
        readers = _live_readers.get(self.meter, {})
        for name, read in self._readers.items():
            if readers.get(name) is read:
                del readers[name]
        self._readers.clear()

    def _cached(self, spec: MetricSpec, create: Callable[[str], Any]) -> Any:
        name = self.full_name(spec)
        instrument = self._instruments.get(name)
        if instrument is None:
            instrument = self._instruments[name] = create(name)
        return instrument


__all__ = ["BoundHistogram", "Counter", "Histogram", "InstrumentKind", "MetricsManager"]
