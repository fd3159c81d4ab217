"""A local, in-process view of what was recorded, for ``get_metrics()`` and the
Prometheus text export.

Why not read the SDK back? Under ``opentelemetry-instrument`` the global
``MeterProvider`` is built by the SDK's configurator with its readers fixed at
construction, so no reader can be added to read our measurements back; recording
everything a second time into a private provider would double the SDK's cost
(~7 µs per add). This view keeps histogram bucket counts per (metric,
attributes) — a dict update per measurement — and reads counters' running
totals (``counter_table``, which the SDK reads too) and gauge callbacks when a
snapshot is taken. Attribute sets are bounded by design (no job ids), so the
view is bounded too.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from uno.core.monitoring.counter_table import CounterTotals
from uno.core.monitoring.spec import MetricSpec

Attributes = tuple[tuple[str, str], ...]
GaugeReader = Callable[[], Iterable[tuple[float, dict[str, str]]]]


@dataclass
class HistogramPoint:
    bounds: tuple[float, ...]
    bucket_counts: list[int]
    count: int = 0
    total: float = 0.0

    def record(self, value: float) -> None:
        self.bucket_counts[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.total += value


@dataclass
class MetricView:
    spec: MetricSpec
    full_name: str
    points: dict[Attributes, float | HistogramPoint] = field(default_factory=dict)
    gauge_reader: GaugeReader | None = None
    totals: CounterTotals | None = None  # a counter's running totals


def freeze(attributes: dict[str, str]) -> Attributes:
    return tuple(sorted(attributes.items()))


class LocalView:
    def __init__(self) -> None:
        self._metrics: dict[str, MetricView] = {}
        self.lock = threading.Lock()

    def register(self, spec: MetricSpec, full_name: str, gauge_reader: GaugeReader | None = None,
                 totals: CounterTotals | None = None) -> MetricView:
        view = self._metrics.get(full_name)
        if view is None:
            view = self._metrics[full_name] = MetricView(spec, full_name, gauge_reader=gauge_reader,
                                                         totals=totals)
        elif gauge_reader is not None:
            view.gauge_reader = gauge_reader
        return view

    def record(self, view: MetricView, value: float, key: Attributes) -> None:
        with self.lock:
            self._point(view, key).record(value)

    def point_of(self, view: MetricView, key: Attributes) -> HistogramPoint:
        """The histogram point of ``key`` (made, empty, if there is none yet), for
        a caller recording one series often (updating it under ``lock``)."""
        with self.lock:
            return self._point(view, key)

    @staticmethod
    def _point(view: MetricView, key: Attributes) -> HistogramPoint:
        point = view.points.get(key)
        if point is None:
            bounds = view.spec.buckets or ()
            point = view.points[key] = HistogramPoint(bounds, [0] * (len(bounds) + 1))
        return point  # type: ignore[return-value]

    def snapshot(self) -> list[MetricView]:
        """A consistent copy: counters and histograms as recorded, observables read now."""
        result = []
        with self.lock:
            views = list(self._metrics.values())
            copies = {v.full_name: dict(v.points) for v in views}
        for view in views:
            points = copies[view.full_name]
            if view.totals is not None:  # a counter: its running totals
                points = {key: float(value) for key, value in view.totals.snapshot().items()}
            elif view.gauge_reader is not None:  # observable: gauges and observable counters
                points = {freeze(attrs): value for value, attrs in view.gauge_reader()}
            result.append(MetricView(view.spec, view.full_name, points))
        return result
