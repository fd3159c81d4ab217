"""``JobSystemHealthChecker``: runs the job system's health checks on an
interval, aggregates them (the worst status wins) and turns them into telemetry.

    from uno.jobs.monitoring.health import JobSystemHealthChecker

    health_checker = JobSystemHealthChecker(job_manager, check_interval=timedelta(seconds=30))
    await health_checker.start()                     # evaluates at once, then every interval
    health = await health_checker.get_system_health()
    health.status, health.message, health.checks, health.timestamp, health.to_dict()
    await health_checker.stop()

Checks for the manager's store (``storage``: a ping within a bound, UNHEALTHY
while the store cannot be read), queues, workers and scheduler are added by
themselves, on every evaluation (so a queue that appears later gets its check);
``add_health_check`` adds your own. A check that raises or times out counts as
unhealthy with its error. Each evaluation sets ``uno_jobs.health {check, status}``
and logs status changes on ``uno.jobs.health`` (see ``check_telemetry``).

``get_system_health()`` answers a ``HealthQuery``: awaiting it evaluates now;
reading ``.status`` on it without awaiting gives the latest evaluation, which
keeps the documented alert condition
``lambda: health_checker.get_system_health().status != "healthy"`` working.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from uno.core.background import cancel_and_wait
from uno.core.monitoring.health import (
    HealthCheck,
    HealthCheckResult,
    HealthQuery,
    HealthStatus,
    SystemHealth,
)
from uno.core.timeutil import to_seconds
from uno.jobs.monitoring.check_telemetry import HealthTelemetry
from uno.jobs.monitoring.checks import (
    JobQueueHealthCheck,
    SchedulerHealthCheck,
    WorkerHealthCheck,
)
from uno.jobs.monitoring.storage_check import DEFAULT_TIMEOUT as STORAGE_TIMEOUT
from uno.jobs.monitoring.storage_check import StorageHealthCheck

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager
    from uno.jobs.monitoring.job_metrics import JobMetrics

_running: weakref.WeakKeyDictionary[Any, JobSystemHealthChecker] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class QueueThresholds:
    """The options of the ``JobQueueHealthCheck``s the checker adds by itself."""

    max_queue_length: int = 1000
    max_failed_jobs: int = 100
    alert_on_stalled_jobs: bool = True
    unhealthy_factor: float | None = None  # a backlog is never more than degraded


def running_checker_for(job_manager: JobManager) -> JobSystemHealthChecker | None:
    """The started checker of ``job_manager`` (the plugin's, under zero code), if any."""
    return _running.get(job_manager)


class JobSystemHealthChecker:
    def __init__(self, job_manager: JobManager,
                 check_interval: timedelta | float = timedelta(minutes=1),
                 metrics: JobMetrics | None = None, logger: logging.Logger | None = None, *,
                 queue_thresholds: QueueThresholds | None = None,
                 check_timeout: float = 10.0) -> None:
        seconds = to_seconds(check_interval, "check_interval", positive=True)
        self.job_manager = job_manager
        self.check_interval = seconds
        self.check_timeout = check_timeout
        self.queue_thresholds = queue_thresholds or QueueThresholds()
        self.telemetry = HealthTelemetry(metrics, logger)
        self._checks: dict[str, HealthCheck] = {}
        self._latest: SystemHealth | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def checks(self) -> dict[str, HealthCheck]:
        return dict(self._checks)

    @property
    def last_health(self) -> SystemHealth | None:
        """The latest completed evaluation, or None."""
        return self._latest

    def add_health_check(self, check: HealthCheck) -> None:
        """Add (or replace, by name) a check; it runs on every evaluation."""
        self._checks[check.name] = check

    def remove_health_check(self, name: str) -> bool:
        """Remove a check and its gauge series (an automatic one comes back on the
        next evaluation while its queue, worker or scheduler exists)."""
        self.telemetry.forget(name)
        return self._checks.pop(name, None) is not None

    def get_system_health(self) -> HealthQuery:
        """Await for a fresh evaluation (a ``SystemHealth``)."""
        return HealthQuery(self.evaluate, lambda: self._latest)

    async def evaluate(self) -> SystemHealth:
        """Run every check now, publish the results, answer the aggregate."""
        await self.refresh_checks()
        checks = list(self._checks.values())
        results = await asyncio.gather(*(self._run(check) for check in checks))
        by_name = {check.name: result for check, result in zip(checks, results, strict=True)}
        for name, result in by_name.items():
            self.telemetry.record(name, result)
        self._latest = SystemHealth.aggregate(by_name)
        return self._latest

    async def refresh_checks(self) -> None:
        """Add checks for the store, queues, workers and the scheduler that have
        none yet (the store's again when the manager got another store)."""
        manager = self.job_manager
        current = self._checks.get(StorageHealthCheck.name)
        if current is None or (isinstance(current, StorageHealthCheck)
                               and current.storage is not manager.storage):
            self._checks[StorageHealthCheck.name] = StorageHealthCheck(
                manager.storage, timeout=min(STORAGE_TIMEOUT, self.check_timeout / 2))
        for worker in manager.workers:
            self._add_missing(f"worker:{worker.name}", lambda w=worker: WorkerHealthCheck(w))
        scheduler = manager.scheduler
        if scheduler is not None:
            self._add_missing(SchedulerHealthCheck.name, lambda: SchedulerHealthCheck(scheduler))
        try:
            queues = await manager.get_queue_names()
        except Exception as exc:  # the queue checks that exist will report the storage
            self.telemetry.logger.warning("cannot list the job queues: %s", exc)
            return
        options = asdict(self.queue_thresholds)
        names = queues.value if queues.is_success and queues.value else ()
        for queue in sorted(names):
            self._add_missing(f"queue:{queue}",
                              lambda q=queue: JobQueueHealthCheck(manager, q, **options))

    def _add_missing(self, name: str, create: Any) -> None:
        if name not in self._checks:
            self._checks[name] = create()

    async def _run(self, check: HealthCheck) -> HealthCheckResult:
        try:
            result = await asyncio.wait_for(check.check_health(), self.check_timeout)
        except TimeoutError:
            return HealthCheckResult(HealthStatus.UNHEALTHY,
                                     f"check timed out after {self.check_timeout}s",
                                     {"error_type": "TimeoutError"})
        except Exception as exc:
            return HealthCheckResult(HealthStatus.UNHEALTHY,
                                     f"check raised {type(exc).__name__}: {exc}",
                                     {"error_type": type(exc).__name__, "error": str(exc)})
        if not isinstance(result, HealthCheckResult):
            return HealthCheckResult(HealthStatus.UNHEALTHY,
                                     f"check returned {type(result).__name__}, "
                                     "not a HealthCheckResult")
        return result

    async def start(self) -> None:
        """Evaluate at once, then every ``check_interval`` in a background task.
        Starting a started checker does nothing."""
        if self.running:
            return
        _running[self.job_manager] = self
        await self._evaluate_logged()
        self._task = asyncio.create_task(self._loop(), name="uno-jobs-health")

    async def stop(self) -> None:
        """Stop the loop and drop this checker's health series. Idempotent."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if _running.get(self.job_manager) is self:
            del _running[self.job_manager]
        self.telemetry.forget_all()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            await self._evaluate_logged()

    async def _evaluate_logged(self) -> None:
        try:
            await self.evaluate()
        except Exception:
            self.telemetry.logger.exception("health evaluation failed")


__all__ = [
    "HealthCheck",
    "HealthCheckResult",
    "HealthStatus",
    "JobQueueHealthCheck",
    "JobSystemHealthChecker",
    "QueueThresholds",
    "SchedulerHealthCheck",
    "StorageHealthCheck",
    "SystemHealth",
    "WorkerHealthCheck",
    "running_checker_for",
]
