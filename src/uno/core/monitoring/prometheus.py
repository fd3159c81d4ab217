"""``PrometheusMetricsExporter``: the Prometheus text exposition of what a
``MetricsManager`` recorded, for a ``/metrics`` endpoint or a push.

    from uno.core.monitoring.prometheus import PrometheusMetricsExporter

    exporter = PrometheusMetricsExporter(metrics_manager=job_metrics.metrics_manager)
    text = exporter.export_metrics()        # "# HELP uno_jobs_job_enqueued_total ..."
    headers = {"Content-Type": exporter.content_type}

The text is written by ``prometheus_client`` from the manager's local view, and
names follow the OpenTelemetry Prometheus exporter, so a dashboard reads the
same series from either: ``uno_jobs.job_enqueued`` (unit ``{job}``) becomes
``uno_jobs_job_enqueued_total``, ``uno_jobs.execution_time`` (unit ``s``)
``uno_jobs_execution_time_seconds_bucket/_sum/_count``, gauges keep their name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from uno.core.monitoring.default_metrics import default_metrics
from uno.core.monitoring.instruments import MetricsManager
from uno.core.monitoring.local_view import HistogramPoint, MetricView
from uno.core.monitoring.spec import InstrumentKind

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_INVALID_NAME = re.compile(r"[^a-zA-Z0-9:]+")
_INVALID_LABEL = re.compile(r"[^a-zA-Z0-9]+")
_ANNOTATION = re.compile(r"{.*}")
_UNITS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes",
    "MiBy": "mebibytes", "GiBy": "gibibytes", "%": "percent", "1": "",
}
_PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
_PROMETHEUS_TYPES = {
    InstrumentKind.COUNTER: "counter",
    InstrumentKind.HISTOGRAM: "histogram",
    InstrumentKind.OBSERVABLE_GAUGE: "gauge",
    InstrumentKind.OBSERVABLE_COUNTER: "counter",
}


def prometheus_unit(unit: str) -> str:
    """The name suffix the OpenTelemetry Prometheus exporter derives from a UCUM unit:
    annotations such as ``{job}`` vanish, ``s`` reads ``seconds``, ``m/s`` ``m_per_second``."""
    unit = _ANNOTATION.sub("", unit)
    if unit in _UNITS:
        return _UNITS[unit]
    if "/" in unit:
        top, bottom = unit.split("/", 1)
        top, bottom = _UNITS.get(top, top), _PER_UNITS.get(bottom, bottom)
        unit = f"{top}_per_{bottom}" if top else f"per_{bottom}"
    return _INVALID_NAME.sub("_", unit).strip("_")


def prometheus_name(full_name: str, unit: str) -> str:
    """A metric's Prometheus family name (without a counter's ``_total``)."""
    name = _INVALID_NAME.sub("_", full_name)
    if name[:1].isdigit():
        name = "_" + name
    suffix = prometheus_unit(unit)
    if suffix and not name.endswith(f"_{suffix}"):
        name = f"{name}_{suffix}"
    return name


def _label_name(key: str) -> str:
    label = _INVALID_LABEL.sub("_", key)
    return "_" + label if label[:1].isdigit() else label


class _ViewCollector(Collector):
    """A ``prometheus_client`` collector over a ``MetricsManager``'s local view."""

    def __init__(self, metrics_manager: MetricsManager) -> None:
        self._manager = metrics_manager

    def collect(self) -> Iterator[Metric]:
        for view in self._manager.view.snapshot():
            yield _family(view)


def _family(view: MetricView) -> Metric:
    spec = view.spec
    name = prometheus_name(view.full_name, spec.unit)
    family = Metric(name, spec.description, _PROMETHEUS_TYPES[spec.kind])
    for key, point in sorted(view.points.items(), key=lambda item: item[0]):
        labels = {_label_name(k): str(v) for k, v in key}
        if isinstance(point, HistogramPoint):
            _add_histogram(family, name, labels, point)
        elif _PROMETHEUS_TYPES[spec.kind] == "counter":
            family.add_sample(f"{name}_total", labels, float(point))
        else:
            family.add_sample(name, labels, float(point))
    return family


def _add_histogram(family: Metric, name: str, labels: dict[str, str],
                   point: HistogramPoint) -> None:
    cumulative = 0
    bounds: Iterable[float] = (*point.bounds, float("inf"))
    for bound, count in zip(bounds, point.bucket_counts, strict=True):
        cumulative += count
        family.add_sample(f"{name}_bucket", {**labels, "le": floatToGoString(bound)},
                          float(cumulative))
    family.add_sample(f"{name}_count", labels, float(point.count))
    family.add_sample(f"{name}_sum", labels, float(point.total))


class PrometheusMetricsExporter:
    """Renders a ``MetricsManager``'s metrics in the Prometheus text format (0.0.4)."""

    content_type = CONTENT_TYPE

    def __init__(self, metrics_manager: MetricsManager | None = None) -> None:
        if metrics_manager is None:
            metrics_manager = default_metrics().metrics_manager
        self.metrics_manager = metrics_manager
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_ViewCollector(metrics_manager))

    def export_metrics(self) -> str:
        """The current values as Prometheus text exposition."""
        return generate_latest(self._registry).decode("utf-8")


__all__ = ["CONTENT_TYPE", "MetricsManager", "PrometheusMetricsExporter", "prometheus_name",
           "prometheus_unit"]
