"""``JobMetricsCollector``: refreshes the queue, worker and scheduler gauges on an interval.

    collector = JobMetricsCollector(job_manager, metrics, collection_interval=timedelta(seconds=15))
    await collector.start()         # collects at once, then every interval
    ...
    await collector.stop()

Each collection reads the storage (``count_by_queue_and_status()`` and
``oldest_waiting_due_at()``: cheap, kept up to date or indexed) and the
manager's workers and scheduler, then swaps in whole new gauge values:

- ``uno_jobs.queue_length {queue, status}``: every known queue times every
  ``JobStatus``, zeros included, so a drained queue reads 0 instead of keeping
  its last value.
- ``uno_jobs.queue_oldest_job_age {queue}`` (s): how long the head of the line
  has waited — seconds since the earliest-due PENDING/RETRYING job that is due
  became due; 0 when none waits.
- ``uno_jobs.worker_busy`` / ``uno_jobs.worker_idle {worker_type}``: busy slots
  (jobs running now) and free slots (``concurrency - active_jobs``) summed over
  the running workers of that type (a stopped worker has no free slots).
- ``uno_jobs.worker_heartbeat_age {worker}`` (s): seconds since each running
  worker's last heartbeat (its claim loop and heartbeat loop both beat).
- ``uno_jobs.scheduler_lag {schedule}`` (s): how late the schedule's last run
  started; ``uno_jobs.scheduler_missed_runs {schedule}``: an observable counter
  of runs skipped because the scheduler was late past them (``_total`` in
  Prometheus, so ``increase()`` works; it restarts at 0 with the process).

**Several processes on one store.** Queue gauges describe the shared store, so
if every process reported them, a dashboard's ``sum(uno_jobs_queue_length)``
would count each job once per process. With ``exclusive_queue_gauges=True``
(the default) each collection tries to take or renew the store lease
``uno_jobs.queue_gauges`` (``lease_ttl``: 3 x the interval, at least 5 s): the
process holding it reports ``queue_length`` and ``queue_oldest_job_age`` for all
queues, the others report no queue series. If the holder dies or stalls, its
series vanish when its lease runs out and another process takes over, so sums
stay exact (with a gap of up to ``lease_ttl`` after a crash). Worker and
scheduler gauges are per process and always reported. ``stop()`` hands the
lease back. Pass ``exclusive_queue_gauges=False`` to report queue gauges from
every collector (one process, or per-process dashboards).

The observable gauges' callbacks only read the values stored here; they never
touch the event loop or the storage, so reading them costs the same with ten
jobs or a million. Ages are computed when the metric reader reads them, so they
keep growing while the event loop is stuck. A failed collection is logged and
the previous values stay (queue values until their lease runs out).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from uno.core.background import cancel_and_wait
from uno.core.timeutil import to_seconds
from uno.jobs.job import utcnow
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.gauge_values import (
    heartbeat_age_values,
    oldest_job_age_values,
    queue_length_values,
    scheduler_values,
    worker_slot_values,
)
from uno.jobs.monitoring.job_metrics import GaugeValues, JobMetrics, default_job_metrics

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager
    from uno.jobs.storage.base import JobStorage

QUEUE_GAUGES_LEASE = "uno_jobs.queue_gauges"
MIN_LEASE_TTL = 5.0
_QUEUE_GAUGES = (sc.QUEUE_LENGTH, sc.QUEUE_OLDEST_JOB_AGE)


class JobMetricsCollector:
    def __init__(self, job_manager: JobManager, metrics: JobMetrics | None = None,
                 collection_interval: timedelta | float = timedelta(seconds=15),
                 logger: logging.Logger | None = None, *,
                 exclusive_queue_gauges: bool = True,
                 lease_ttl: timedelta | float | None = None,
                 holder_id: str | None = None) -> None:
        seconds = to_seconds(collection_interval, "collection_interval", positive=True)
        ttl = (max(3 * seconds, MIN_LEASE_TTL) if lease_ttl is None
               else to_seconds(lease_ttl, "lease_ttl", positive=True))
        if ttl <= seconds:
            raise ValueError(f"lease_ttl must exceed collection_interval, got {lease_ttl!r}")
        self.job_manager = job_manager
        self.metrics = metrics if metrics is not None else default_job_metrics()
        self.collection_interval = seconds
        self.logger = logger or logging.getLogger("uno.jobs.monitoring")
        self.exclusive_queue_gauges = exclusive_queue_gauges
        self.lease_ttl = timedelta(seconds=ttl)
        self._holder_id = holder_id
        self.holds_queue_lease = False
        self._task: asyncio.Task[None] | None = None

    @property
    def holder_id(self) -> str:
        """Who this collector is to the lease: host, process and metrics stream
        (collectors sharing a ``JobMetrics`` share it, so they never blank each
        other's queue series; the pid is read now, so a forked child differs)."""
        if self._holder_id is not None:
            return self._holder_id
        stream = getattr(self.metrics, "instance_id", None) or f"{id(self.metrics):x}"
        return f"{socket.gethostname()}:{os.getpid()}:{stream[:12]}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def collect_once(self) -> bool:
        """Refresh the gauges now; False (and a log record) when it failed."""
        now = utcnow()
        queue_values: tuple[GaugeValues, GaugeValues] = ({}, {})  # when another process reports
        try:
            manager = self.job_manager
            workers = list(manager.workers)
            lag, missed = scheduler_values(manager.scheduler)
            if await self._hold_lease(manager.storage, now):
                queue_values = await self._queue_values(manager, now)
        except Exception as exc:
            self.logger.warning("job metrics collection failed: %s", exc, exc_info=True)
            return False
        expires = (now + self.lease_ttl).timestamp() if self.exclusive_queue_gauges else None
        for spec, values in zip(_QUEUE_GAUGES, queue_values, strict=True):
            self.metrics.replace_gauge(spec, values, expires_at=expires)
        busy, idle = worker_slot_values(workers)
        self.metrics.replace_gauge(sc.WORKER_BUSY, busy)
        self.metrics.replace_gauge(sc.WORKER_IDLE, idle)
        self.metrics.replace_gauge(sc.WORKER_HEARTBEAT_AGE, heartbeat_age_values(workers))
        self.metrics.replace_gauge(sc.SCHEDULER_LAG, lag)
        self.metrics.replace_gauge(sc.SCHEDULER_MISSED_RUNS, missed)
        return True

    async def _hold_lease(self, storage: JobStorage, now: datetime) -> bool:
        """Whether this collector reports the queue gauges now (taking or
        renewing the store's lease when they are exclusive)."""
        if not self.exclusive_queue_gauges:
            return True
        held = await storage.try_acquire_lease(QUEUE_GAUGES_LEASE, self.holder_id,
                                               self.lease_ttl, now)
        if held != self.holds_queue_lease:
            self.logger.info("queue gauges: %s the lease %s", "took" if held else "lost",
                             QUEUE_GAUGES_LEASE, extra={"holder": self.holder_id})
        self.holds_queue_lease = held
        return held

    @staticmethod
    async def _queue_values(manager: JobManager, now: datetime) -> tuple[GaugeValues, GaugeValues]:
        counts = await manager.storage.count_by_queue_and_status()
        oldest = await manager.storage.oldest_waiting_due_at(now)
        queues = await manager.get_queue_names()
        known = set(queues.value or ()) if queues.is_success else set()
        known |= {queue for queue, _status in counts}
        return queue_length_values(known, counts), oldest_job_age_values(known, oldest)

    async def start(self) -> None:
        """Collect at once, then every ``collection_interval``. Idempotent."""
        if self.running:
            return
        await self.collect_once()
        self._task = asyncio.create_task(self._loop(), name="uno-jobs-metrics-collector")

    async def stop(self) -> None:
        """Stop collecting. Idempotent. Counts keep their last values; ages
        (which would grow with no one refreshing them) are dropped, and so are
        exclusive queue gauges, whose lease goes back to the store at once."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        self.metrics.replace_gauge(sc.WORKER_HEARTBEAT_AGE, {})
        self.metrics.replace_gauge(sc.QUEUE_OLDEST_JOB_AGE, {})
        if self.exclusive_queue_gauges and self.holds_queue_lease:
            self.metrics.replace_gauge(sc.QUEUE_LENGTH, {})
            self.holds_queue_lease = False
            try:
                await self.job_manager.storage.try_acquire_lease(
                    QUEUE_GAUGES_LEASE, self.holder_id, timedelta(0), utcnow())
            except Exception as exc:  # it expires by itself
                self.logger.warning("could not release the queue-gauge lease: %s", exc)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.collection_interval)
            await self.collect_once()


__all__ = ["QUEUE_GAUGES_LEASE", "JobMetricsCollector", "queue_length_values",
           "worker_slot_values"]
