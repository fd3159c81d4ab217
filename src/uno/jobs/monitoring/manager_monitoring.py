"""``ManagerMonitoring``: the metrics collector and the health checker of one
``JobManager``, started and stopped together — what the instrumentation runs
for every started manager under zero code.

    monitoring = ManagerMonitoring(manager, metrics, health_interval=timedelta(seconds=30))
    await monitoring.start()     # after manager.start(): workers are running by then
    ...
    await monitoring.stop()      # before manager.stop(): no "worker not running" alarms

Both parts are idempotent, so start/stop may be called any number of times.
``exclusive_queue_gauges`` goes to the collector: by default one process per
store reports the queue gauges (see :mod:`uno.jobs.monitoring.collector`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from uno.jobs.monitoring.collector import JobMetricsCollector
from uno.jobs.monitoring.health import JobSystemHealthChecker
from uno.jobs.monitoring.job_metrics import JobMetrics, default_job_metrics

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager


class ManagerMonitoring:
    def __init__(self, job_manager: JobManager, metrics: JobMetrics | None = None,
                 collection_interval: timedelta | float = timedelta(seconds=15),
                 health_interval: timedelta | float = timedelta(minutes=1),
                 logger: logging.Logger | None = None, *,
                 exclusive_queue_gauges: bool = True) -> None:
        metrics = metrics if metrics is not None else default_job_metrics()
        self.job_manager = job_manager
        self.collector = JobMetricsCollector(job_manager, metrics, collection_interval,
                                             exclusive_queue_gauges=exclusive_queue_gauges)
        self.health_checker = JobSystemHealthChecker(job_manager, health_interval, metrics, logger)

    @property
    def running(self) -> bool:
        return self.collector.running or self.health_checker.running

    async def start(self) -> None:
        await self.collector.start()
        await self.health_checker.start()

    async def stop(self) -> None:
        await self.health_checker.stop()
        await self.collector.stop()


__all__ = ["ManagerMonitoring"]
