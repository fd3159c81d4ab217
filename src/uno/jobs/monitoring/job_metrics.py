"""``JobMetrics``: the uno record/set API over one set of OpenTelemetry
instruments, shared by the plugin and by users who record by hand.

    metrics = JobMetrics()                 # global MeterProvider; local view kept
    metrics.record_job_enqueued(queue="default", task="email", priority="HIGH")
    metrics.record_execution_time(queue="default", task="email", seconds=1.5)
    metrics.get_metrics()["uno_jobs.job_enqueued"]["total"]      # 1.0

Gauges are observable: ``set_*`` stores the latest value and the instrument's
callback reports it, so a reader never waits on the job system. A stored value
may be a :class:`Since` (a wall-clock moment): it reads as the seconds elapsed
since then, computed when the reader collects, so an age keeps growing even
while the event loop that refreshes it is stuck. ``replace_gauge(...,
expires_at=)`` makes a whole set of series vanish once its lease runs out.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from opentelemetry.metrics import MeterProvider

from uno.core.monitoring.default_metrics import register_default_metrics
from uno.core.monitoring.instruments import MetricsManager
from uno.core.monitoring.local_view import HistogramPoint
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_series import CACHE_LIMIT, JobSeries, SeriesInstruments


@dataclass(frozen=True, slots=True)
class Since:
    """A gauge value read as ``now - epoch`` seconds (never negative) at read time."""

    epoch: float

    def age(self, now: float) -> float:
        return max(0.0, now - self.epoch)


GaugeValues = dict[tuple[tuple[str, str], ...], float | Since]


class JobMetrics:
    def __init__(
        self,
        metrics_manager: MetricsManager | None = None,
        namespace: str = sc.DEFAULT_NAMESPACE,
        logger: logging.Logger | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self.metrics_manager = metrics_manager or MetricsManager(meter_provider, namespace)
        self.namespace = self.metrics_manager.namespace
        self.logger = logger or logging.getLogger("uno.jobs.monitoring")
        self.instance_id = uuid.uuid4().hex  # names this metrics stream (queue-gauge lease)
        m = self.metrics_manager
        self._enqueued = m.counter(sc.JOB_ENQUEUED)
        self._started = m.counter(sc.JOB_STARTED)
        self._completed = m.counter(sc.JOB_COMPLETED)
        self._failed = m.counter(sc.JOB_FAILED)
        self._retry = m.counter(sc.JOB_RETRY)
        self._cancelled = m.counter(sc.JOB_CANCELLED)
        self._retries_exhausted = m.counter(sc.JOB_RETRIES_EXHAUSTED)
        self._execution_time = m.histogram(sc.EXECUTION_TIME)
        self._wait_time = m.histogram(sc.WAIT_TIME)
        self._lifecycle = SeriesInstruments(self._enqueued, self._started, self._completed,
                                            self._wait_time, self._execution_time)
        self._series: dict[tuple[str, str, str, str], JobSeries] = {}
        self._gauges: dict[str, GaugeValues] = {
            spec.name: {} for spec in sc.GAUGES + sc.OBSERVABLE_COUNTERS}
        self._expires: dict[str, float] = {}  # gauge name -> epoch its values vanish at
        self._gauge_lock = threading.Lock()
        for spec in sc.GAUGES:
            m.observable_gauge(spec, self._gauge_reader(spec.name))
        for spec in sc.OBSERVABLE_COUNTERS:
            m.observable_counter(spec, self._gauge_reader(spec.name))

    # --- the plugin's fast path ---

    def series(self, queue: str, task: str, priority: str = "NORMAL", worker: str = ""
               ) -> JobSeries:
        """The cached ``JobSeries`` of one kind of job (one worker's, for the consumer side)."""
        key = (queue, task, priority, worker)
        found = self._series.get(key)
        if found is None:
            if len(self._series) >= CACHE_LIMIT:
                self._series.clear()
            found = self._series[key] = JobSeries(self._lifecycle, queue, task, priority,
                                                  worker)
        return found

    # --- counters ---

    def record_job_enqueued(self, queue: str, task: str, priority: str) -> None:
        self._enqueued.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task,
                               sc.ATTR_PRIORITY: priority})

    def record_job_started(self, queue: str, task: str, worker: str) -> None:
        self._started.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task, sc.ATTR_WORKER: worker})

    def record_job_completed(self, queue: str, task: str, worker: str) -> None:
        self._completed.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task,
                                sc.ATTR_WORKER: worker})

    def record_job_failed(self, queue: str, task: str, worker: str, error_type: str) -> None:
        self._failed.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task, sc.ATTR_WORKER: worker,
                             sc.ATTR_ERROR_TYPE: error_type})

    def record_job_retry(self, queue: str, task: str) -> None:
        self._retry.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task})

    def record_job_cancelled(self, queue: str, task: str) -> None:
        self._cancelled.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task})

    def record_job_retries_exhausted(self, queue: str, task: str, error_type: str) -> None:
        """A job failed for good after using all of its (at least one) retries."""
        self._retries_exhausted.add(1, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task,
                                        sc.ATTR_ERROR_TYPE: error_type})

    # --- histograms ---

    def record_execution_time(self, queue: str, task: str, seconds: float) -> None:
        self._execution_time.record(seconds, {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task})

    def record_wait_time(self, queue: str, task: str, priority: str = "NORMAL",
                         seconds: float | None = None) -> None:
        """uno's order: ``record_wait_time("q", "t", "LOW", 0.2)``; by keyword,
        ``priority`` may be left out (``NORMAL``)."""
        if seconds is None:
            raise TypeError("record_wait_time() needs seconds: (queue, task, priority, seconds)")
        self._wait_time.record(max(0.0, seconds), {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task,
                                                   sc.ATTR_PRIORITY: priority})

    # --- gauges ---

    def set_queue_length(self, queue: str, status: str, length: int) -> None:
        self._set_gauge(sc.QUEUE_LENGTH.name, length, queue=queue, status=status)

    def set_worker_busy(self, worker_type: str, count: int) -> None:
        self._set_gauge(sc.WORKER_BUSY.name, count, worker_type=worker_type)

    def set_worker_idle(self, worker_type: str, count: int) -> None:
        self._set_gauge(sc.WORKER_IDLE.name, count, worker_type=worker_type)

    def set_health(self, check: str, status: str) -> None:
        """1 for ``status``, 0 for the other statuses of ``check``."""
        for candidate in ("healthy", "degraded", "unhealthy"):
            self._set_gauge(sc.HEALTH.name, int(candidate == status), check=check,
                            status=candidate)

    def set_alert(self, alert: str, severity: str, firing: bool) -> None:
        self._set_gauge(sc.ALERTS.name, int(firing), alert=alert, severity=severity)

    def set_queue_oldest_job_age(self, queue: str, seconds: float) -> None:
        self._set_gauge(sc.QUEUE_OLDEST_JOB_AGE.name, max(0.0, seconds), queue=queue)

    def set_scheduler_lag(self, schedule: str, seconds: float) -> None:
        self._set_gauge(sc.SCHEDULER_LAG.name, max(0.0, seconds), schedule=schedule)

    def set_scheduler_missed_runs(self, schedule: str, count: int) -> None:
        """The running total of missed runs (an observable counter)."""
        self._set_gauge(sc.SCHEDULER_MISSED_RUNS.name, count, schedule=schedule)

    def set_worker_heartbeat_age(self, worker: str, seconds: float) -> None:
        self._set_gauge(sc.WORKER_HEARTBEAT_AGE.name, max(0.0, seconds), worker=worker)

    def clear_health(self, check: str) -> None:
        """Drop every ``health`` series of ``check`` (its checker stopped)."""
        with self._gauge_lock:
            self._gauges[sc.HEALTH.name] = {
                key: value for key, value in self._gauges[sc.HEALTH.name].items()
                if dict(key).get(sc.ATTR_CHECK) != check
            }

    def replace_gauge(self, spec: sc.MetricSpec, values: GaugeValues,
                      expires_at: float | None = None) -> None:
        """Swap in a whole new set of values for one gauge (a collector refresh).
        With ``expires_at`` (epoch seconds) the set reads empty from then on,
        unless a later call replaces it first."""
        with self._gauge_lock:
            self._gauges[spec.name] = dict(values)
            if expires_at is None:
                self._expires.pop(spec.name, None)
            else:
                self._expires[spec.name] = expires_at

    def _set_gauge(self, name: str, value: float, **attributes: str) -> None:
        with self._gauge_lock:
            values = dict(self._gauges[name])
            values[tuple(sorted(attributes.items()))] = float(value)
            self._gauges[name] = values

    def _gauge_reader(self, name: str):
        def read() -> list[tuple[float, dict[str, str]]]:
            with self._gauge_lock:
                values, expires = self._gauges[name], self._expires.get(name)
            now = time.time()
            if expires is not None and now >= expires:
                return []
            return [(value.age(now) if isinstance(value, Since) else value, dict(key))
                    for key, value in values.items()]

        return read

    # --- reading back ---

    def get_metrics(self) -> dict[str, dict[str, Any]]:
        """Current values by full metric name: ``type``, ``unit``, ``total`` (a
        counter's sum, a histogram's count, a gauge's sum) and ``series``."""
        result: dict[str, dict[str, Any]] = {}
        for view in self.metrics_manager.view.snapshot():
            series, total = [], 0.0
            for key, point in view.points.items():
                entry: dict[str, Any] = {"attributes": dict(key)}
                if isinstance(point, HistogramPoint):
                    entry.update(count=point.count, sum=point.total,
                                 buckets=dict(zip((*point.bounds, float("inf")),
                                                  point.bucket_counts, strict=True)))
                    total += point.count
                else:
                    entry["value"] = point
                    total += point
                series.append(entry)
            result[view.full_name] = {"type": view.spec.kind.value, "unit": view.spec.unit,
                                      "total": total, "series": series}
        return result


_default_lock = threading.Lock()
_default: JobMetrics | None = None


def set_default_job_metrics(job_metrics: JobMetrics | None) -> None:
    """Make ``job_metrics`` the process-wide default (the plugin does this on
    ``instrument()`` and clears it on ``uninstrument()``)."""
    global _default
    with _default_lock:
        _default = job_metrics


def default_job_metrics() -> JobMetrics:
    """The process-wide ``JobMetrics``: the plugin's when it is loaded, else one
    created on first use on the global ``MeterProvider``."""
    global _default
    with _default_lock:
        if _default is None:
            _default = JobMetrics()
        return _default


register_default_metrics(default_job_metrics)
