"""``JobMetricsCollector``: refreshes the queue and worker gauges on an interval.

    collector = JobMetricsCollector(job_manager, metrics, collection_interval=timedelta(seconds=15))
    await collector.start()         # collects at once, then every interval
    ...
    await collector.stop()

Each collection reads ``storage.count_by_queue_and_status()`` (cheap: kept up
to date by the storage) and the manager's workers, then swaps in whole new
gauge values:

- ``uno_jobs.queue_length {queue, status}``: every known queue times every
  ``JobStatus``, zeros included, so a drained queue reads 0 instead of keeping
  its last value.
- ``uno_jobs.worker_busy {worker_type}``: busy slots — jobs running now, summed
  over the running workers of that type.
- ``uno_jobs.worker_idle {worker_type}``: free slots — ``concurrency - active_jobs``
  summed over the running workers of that type (a stopped worker has none).

The observable gauges' callbacks only read the values stored here; they never
touch the event loop or the storage, so reading them costs the same with ten
jobs or a million. A failed collection is logged and the previous values stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from uno.jobs.job import JobStatus
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import JobMetrics, default_job_metrics

GaugeValues = dict[tuple[tuple[str, str], ...], float]


def _key(**attributes: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(attributes.items()))


def queue_length_values(queues: set[str], counts: dict[tuple[str, JobStatus], int]
                        ) -> GaugeValues:
    """Every queue x every status (zeros included), from storage counts."""
    names = set(queues) | {queue for queue, _status in counts}
    return {
        _key(**{sc.ATTR_QUEUE: queue, sc.ATTR_STATUS: status.value}):
            float(counts.get((queue, status), 0))
        for queue in names for status in JobStatus
    }


def worker_slot_values(workers: list[Any]) -> tuple[GaugeValues, GaugeValues]:
    """(busy slots, idle slots) by worker type."""
    busy: defaultdict[str, float] = defaultdict(float)
    idle: defaultdict[str, float] = defaultdict(float)
    for worker in workers:
        worker_type = getattr(worker, "worker_type", type(worker).__name__)
        active = float(getattr(worker, "active_jobs", 0))
        busy[worker_type] += active
        idle[worker_type] += 0.0
        if getattr(worker, "running", False):
            idle[worker_type] += max(0.0, getattr(worker, "concurrency", 0) - active)
    return ({_key(**{sc.ATTR_WORKER_TYPE: t}): v for t, v in busy.items()},
            {_key(**{sc.ATTR_WORKER_TYPE: t}): v for t, v in idle.items()})


class JobMetricsCollector:
    def __init__(self, job_manager: Any, metrics: JobMetrics | None = None,
                 collection_interval: timedelta | float = timedelta(seconds=15),
                 logger: logging.Logger | None = None) -> None:
        seconds = (collection_interval.total_seconds()
                   if isinstance(collection_interval, timedelta) else float(collection_interval))
        if seconds <= 0:
            raise ValueError(f"collection_interval must be positive, got {collection_interval!r}")
        self.job_manager = job_manager
        self.metrics = metrics if metrics is not None else default_job_metrics()
        self.collection_interval = seconds
        self.logger = logger or logging.getLogger("uno.jobs.monitoring")
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def collect_once(self) -> bool:
        """Refresh the gauges now; False (and a log record) when it failed."""
        try:
            manager = self.job_manager
            counts = await manager.storage.count_by_queue_and_status()
            queues = await manager.get_queue_names()
            known = set(queues.value or ()) if queues.is_success else set()
            busy, idle = worker_slot_values(list(getattr(manager, "workers", None) or ()))
        except Exception as exc:
            self.logger.warning("job metrics collection failed: %s", exc, exc_info=True)
            return False
        self.metrics.replace_gauge(sc.QUEUE_LENGTH, queue_length_values(known, counts))
        self.metrics.replace_gauge(sc.WORKER_BUSY, busy)
        self.metrics.replace_gauge(sc.WORKER_IDLE, idle)
        return True

    async def start(self) -> None:
        """Collect at once, then every ``collection_interval``. Idempotent."""
        if self.running:
            return
        await self.collect_once()
        self._task = asyncio.create_task(self._loop(), name="uno-jobs-metrics-collector")

    async def stop(self) -> None:
        """Stop collecting (the gauges keep their last values). Idempotent."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.collection_interval)
            await self.collect_once()


__all__ = ["JobMetricsCollector", "queue_length_values", "worker_slot_values"]
