"""``JobSeries``: the attribute sets of one (queue, task, priority, worker), built
once and reused for every job of that kind (the plugin records through them).

    series = job_metrics.series("emails", "send", "HIGH", "worker-1")   # cached
    series.enqueued()
    series.started(wait_seconds=0.2)
    series.completed(run_seconds=1.5)

Each call records exactly what the matching ``JobMetrics.record_*`` calls
record, without building and sorting attribute dicts per job.
"""

from __future__ import annotations

from dataclasses import dataclass

from uno.core.monitoring.instruments import Counter, Histogram
from uno.core.monitoring.local_view import freeze
from uno.jobs.monitoring import semconv as sc

CACHE_LIMIT = 1024  # bounded: queues, tasks and workers are few; more means misuse


@dataclass(frozen=True, slots=True)
class SeriesInstruments:
    """The instruments of a job's lifecycle, as ``JobMetrics`` created them."""

    enqueued: Counter
    started: Counter
    completed: Counter
    wait_time: Histogram
    execution_time: Histogram


class JobSeries:
    __slots__ = ("_enqueued", "_started", "_completed", "_wait", "_execution",
                 "_by_priority_key", "_by_worker_key")

    def __init__(self, instruments: SeriesInstruments, queue: str, task: str, priority: str,
                 worker: str) -> None:
        self._enqueued = instruments.enqueued.totals
        self._started = instruments.started.totals
        self._completed = instruments.completed.totals
        by_priority = {sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task, sc.ATTR_PRIORITY: priority}
        self._wait = instruments.wait_time.bind(by_priority)
        self._execution = instruments.execution_time.bind({sc.ATTR_QUEUE: queue,
                                                           sc.ATTR_TASK: task})
        self._by_priority_key = freeze(by_priority)
        self._by_worker_key = freeze({sc.ATTR_QUEUE: queue, sc.ATTR_TASK: task,
                                      sc.ATTR_WORKER: worker})

    def enqueued(self) -> None:
        self._enqueued.add(self._by_priority_key)

    def started(self, wait_seconds: float | None) -> None:
        self._started.add(self._by_worker_key)
        if wait_seconds is not None:
            self._wait.record(max(0.0, wait_seconds))

    def completed(self, run_seconds: float | None) -> None:
        self._completed.add(self._by_worker_key)
        if run_seconds is not None:
            self._execution.record(run_seconds)
