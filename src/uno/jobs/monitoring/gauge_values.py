"""Pure functions that turn storage answers and runtime objects into gauge
values for :class:`~uno.jobs.monitoring.job_metrics.JobMetrics` (what the
collector swaps in on each collection).

    values = queue_length_values({"emails"}, {("emails", JobStatus.PENDING): 3})
    metrics.replace_gauge(semconv.QUEUE_LENGTH, values)

Ages are :class:`Since` values: the metric reader turns them into seconds when
it collects, so they keep growing between (or without) refreshes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import GaugeValues, Since

if TYPE_CHECKING:
    from uno.jobs.protocols import Scheduler, Worker
from uno.jobs.queue_counts import StoreCounts, queue_counts


def _key(**attributes: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(attributes.items()))


def queue_length_values(queues: set[str], counts: StoreCounts) -> GaugeValues:
    """Every queue x every status (zeros included), from storage counts."""
    return {
        _key(**{sc.ATTR_QUEUE: queue, sc.ATTR_STATUS: status.value}): float(count)
        for queue, view in queue_counts(counts, queues).items()
        for status, count in view.by_status.items()
    }


def oldest_job_age_values(queues: set[str], oldest_due: dict[str, datetime]) -> GaugeValues:
    """Every queue: the age of its oldest due waiting job, 0 when none waits."""
    return {
        _key(**{sc.ATTR_QUEUE: queue}):
            Since(oldest_due[queue].timestamp()) if queue in oldest_due else 0.0
        for queue in set(queues) | set(oldest_due)
    }


def worker_slot_values(workers: Sequence[Worker]) -> tuple[GaugeValues, GaugeValues]:
    """(busy slots, idle slots) by worker type."""
    busy: defaultdict[str, float] = defaultdict(float)
    idle: defaultdict[str, float] = defaultdict(float)
    for worker in workers:
        worker_type, active = worker.worker_type, float(worker.active_jobs)
        busy[worker_type] += active
        idle[worker_type] += 0.0
        if worker.running:
            idle[worker_type] += max(0.0, worker.concurrency - active)
    return ({_key(**{sc.ATTR_WORKER_TYPE: t}): v for t, v in busy.items()},
            {_key(**{sc.ATTR_WORKER_TYPE: t}): v for t, v in idle.items()})


def heartbeat_age_values(workers: Sequence[Worker]) -> GaugeValues:
    """Running workers: the age of their last heartbeat (``last_heartbeat``, or
    ``last_activity`` for workers without one). Stopped workers have no series."""
    values: GaugeValues = {}
    for worker in workers:
        beat = worker.last_heartbeat or worker.last_activity
        if worker.running and beat is not None:
            values[_key(**{sc.ATTR_WORKER: str(worker.name)})] = Since(beat.timestamp())
    return values


def scheduler_values(scheduler: Scheduler | None) -> tuple[GaugeValues, GaugeValues]:
    """(lag of the last run, cumulative missed runs) by schedule, for a running
    scheduler; nothing for a stopped or absent one."""
    if scheduler is None or not scheduler.running:
        return {}, {}
    lag: GaugeValues = {}
    missed: GaugeValues = {}
    for name, entry in dict(scheduler.schedules).items():
        key = _key(**{sc.ATTR_SCHEDULE: str(name)})
        lag[key] = max(0.0, float(entry.last_lag))
        missed[key] = float(entry.missed_runs)
    return lag, missed


__all__ = ["heartbeat_age_values", "oldest_job_age_values", "queue_length_values",
           "scheduler_values", "worker_slot_values"]
