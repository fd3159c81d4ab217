"""``MetricsManager``: creates OpenTelemetry instruments from the project's
``MetricSpec``s and mirrors every measurement into a ``LocalView``.

    manager = MetricsManager()                      # the global MeterProvider
    enqueued = manager.counter(semconv.JOB_ENQUEUED)
    enqueued.add(1, {"queue": "emails", "task": "send", "priority": "NORMAL"})
    manager.view.snapshot()                         # what get_metrics()/Prometheus read
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

from uno.core.monitoring.local_view import GaugeReader, LocalView, MetricView, freeze
from uno.core.monitoring.spec import DEFAULT_NAMESPACE, InstrumentKind, MetricSpec

SCOPE_NAME = "uno.jobs.monitoring"
SCOPE_VERSION = "0.1.0"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"


class _Mirrored:
    """An OpenTelemetry instrument and its series in the local view."""

    __slots__ = ("_otel", "_view", "_local")

    def __init__(self, otel: Any, view: MetricView, local: LocalView) -> None:
        self._otel, self._view, self._local = otel, view, local


class Counter(_Mirrored):
    __slots__ = ()

    def add(self, value: float, attributes: dict[str, str]) -> None:
        self._otel.add(value, attributes)
        self._local.add(self._view, value, freeze(attributes))


class Histogram(_Mirrored):
    __slots__ = ()

    def record(self, value: float, attributes: dict[str, str]) -> None:
        self._otel.record(value, attributes)
        self._local.record(self._view, value, freeze(attributes))


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

    def full_name(self, spec: MetricSpec) -> str:
        return spec.full_name(self.namespace)

    def counter(self, spec: MetricSpec) -> Counter:
        return self._cached(spec, lambda name: Counter(
            self.meter.create_counter(name, unit=spec.unit, description=spec.description),
            self.view.register(spec, name), self.view))

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
        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            return [Observation(value, attrs) for value, attrs in read()]

        return self._cached(spec, lambda name: (
            self.view.register(spec, name, gauge_reader=read),
            create(name, callbacks=[callback], unit=spec.unit, description=spec.description),
        )[1])

    def _cached(self, spec: MetricSpec, create: Callable[[str], Any]) -> Any:
        name = self.full_name(spec)
        instrument = self._instruments.get(name)
        if instrument is None:
            instrument = self._instruments[name] = create(name)
        return instrument


__all__ = ["Counter", "Histogram", "InstrumentKind", "MetricsManager"]
