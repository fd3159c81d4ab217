"""``JobEventMetrics``: the metrics each job event records — the uno ones
(``JobMetrics``), the messaging semantic conventions' (``MessagingMetrics``), or
both, as ``OTEL_SEMCONV_STABILITY_OPT_IN`` asks (see ``config.semconv_opt_in``).

    metrics = JobEventMetrics(job_metrics, config)
    metrics.enqueued("emails", "send", "HIGH", seconds=0.002, error_type=None)
    metrics.started("emails", "send", "HIGH", "worker-1", wait_seconds=0.1)
    metrics.processed("emails", "send", "HIGH", "worker-1", seconds=0.3, error=None)

The uno metrics of a successful job go through the cached ``JobSeries`` of its
(queue, task, priority, worker): attribute sets built once, counters kept as
numbers (``counter_table``). Callers that keep the series (``series()``) pass it
back and skip the lookup.

Only the uno metrics the messaging set covers are swapped
(``semconv.UNO_METRICS_REPLACED_BY_MESSAGING``); wait time, retries, exhausted
retries, cancellations and the gauges have no messaging equivalent and stay.
The messaging instruments live on ``JobMetrics``' ``MetricsManager``, so
``get_metrics()`` and the Prometheus export show them too. Callers record while
the job's span is current: histogram points then carry it as an exemplar.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig

from uno.core.monitoring.instruments import MetricsManager
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import JobMetrics
from uno.jobs.monitoring.job_series import JobSeries

ENQUEUE, SEND, PROCESS = "enqueue", "send", "process"  # messaging.operation.name / .type


class MessagingMetrics:
    """The four messaging metrics of the semantic conventions, on one ``MetricsManager``."""

    def __init__(self, manager: MetricsManager) -> None:
        self._sent = manager.counter(sc.MESSAGING_CLIENT_SENT_MESSAGES)
        self._operation = manager.histogram(sc.MESSAGING_CLIENT_OPERATION_DURATION)
        self._consumed = manager.counter(sc.MESSAGING_CLIENT_CONSUMED_MESSAGES)
        self._process = manager.histogram(sc.MESSAGING_PROCESS_DURATION)

    def sent(self, queue: str, seconds: float, error_type: str | None) -> None:
        attributes = _attributes(ENQUEUE, SEND, queue, error_type)
        self._sent.add(1, attributes)
        self._operation.record(max(0.0, seconds), attributes)

    def consumed(self, queue: str) -> None:
        self._consumed.add(1, _attributes(PROCESS, PROCESS, queue, None))

    def processed(self, queue: str, seconds: float, error_type: str | None) -> None:
        self._process.record(max(0.0, seconds), _attributes(PROCESS, PROCESS, queue, error_type))


def _attributes(name: str, kind: str, queue: str, error_type: str | None) -> dict[str, Any]:
    attributes = {sc.SPAN_MESSAGING_SYSTEM: sc.MESSAGING_SYSTEM, sc.SPAN_OPERATION_NAME: name,
                  sc.SPAN_OPERATION_TYPE: kind}
    if queue:
        attributes[sc.SPAN_DESTINATION] = queue
    if error_type is not None:
        attributes[sc.SPAN_ERROR_TYPE] = error_type
    return attributes


class JobEventMetrics:
    def __init__(self, job_metrics: JobMetrics, config: UnoJobsConfig) -> None:
        self.job_metrics = job_metrics  # wait time: recorded in every mode
        self.uno = job_metrics if config.uno_metrics else None
        self.messaging = (MessagingMetrics(job_metrics.metrics_manager)
                          if config.messaging_metrics else None)

    def series(self, queue: str, task: str, priority: str, worker: str = "") -> JobSeries | None:
        """The uno metrics' cached series of (queue, task, priority[, worker]), to
        pass back as ``series`` (None when the uno metrics are off)."""
        return self.uno.series(queue, task, priority, worker) if self.uno is not None else None

    def enqueued(self, queue: str, task: str, priority: str, seconds: float,
                 error_type: str | None, series: JobSeries | None = None) -> None:
        """An ``enqueue`` call ended (``error_type`` None: the job was stored);
        ``series``: what ``series(queue, task, priority)`` gave, if kept."""
        if self.uno is not None and error_type is None:
            (series or self.uno.series(queue, task, priority)).enqueued()
        if self.messaging is not None:
            self.messaging.sent(queue, seconds, error_type)

    def started(self, queue: str, task: str, priority: str, worker: str,
                wait_seconds: float | None, series: JobSeries | None = None) -> None:
        """An attempt started, ``wait_seconds`` after the job became due (None: unknown)."""
        if self.uno is not None:
            (series or self.uno.series(queue, task, priority, worker)).started(wait_seconds)
        elif wait_seconds is not None:
            self.job_metrics.record_wait_time(queue, task, priority, wait_seconds)
        if self.messaging is not None:
            self.messaging.consumed(queue)

    def processed(self, queue: str, task: str, priority: str, worker: str,
                  seconds: float | None, error: BaseException | None,
                  series: JobSeries | None = None) -> None:
        """An attempt ended (``seconds`` None: its run time is unknown)."""
        if self.uno is not None:
            if error is None:
                (series or self.uno.series(queue, task, priority, worker)).completed(seconds)
            else:
                self.uno.record_job_failed(queue, task, worker, type(error).__name__)
                if seconds is not None:
                    self.uno.record_execution_time(queue, task, seconds)
        if self.messaging is not None and seconds is not None:
            self.messaging.processed(queue, seconds,
                                     None if error is None else type(error).__qualname__)
