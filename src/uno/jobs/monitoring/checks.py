"""The job system's health checks: a queue, a worker, the scheduler.

    check = JobQueueHealthCheck(manager, "emails", max_queue_length=500)
    result = await check.check_health()     # HealthCheckResult(status, message, details)

- ``JobQueueHealthCheck`` (``queue:{name}``): degraded when more than
  ``max_queue_length`` jobs wait (PENDING + RETRYING) or more than
  ``max_failed_jobs`` failed (FAILED + TIMEOUT, until cleanup deletes them),
  however far past; unhealthy when a RUNNING job sent no heartbeat for the
  manager's ``stall_timeout`` (with ``alert_on_stalled_jobs``), or past
  ``unhealthy_factor`` times a threshold when that option is set.
- ``WorkerHealthCheck`` (``worker:{name}``): unhealthy when the worker is not
  running or its loops died; degraded when every slot is busy and no job has
  started or finished for ``max_inactivity`` (default: the manager's stall timeout).
- ``SchedulerHealthCheck`` (``scheduler``): unhealthy when it is not running or
  its loop stopped ticking; degraded when a schedule's last enqueue failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from uno.core.monitoring.health import HealthCheck, HealthCheckResult, HealthStatus, worst
from uno.jobs.job import JobStatus, utcnow
from uno.jobs.queue_counts import queue_counts

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager
    from uno.jobs.protocols import Scheduler, Worker

_MAX_LISTED_JOBS = 10
_DEFAULT_INACTIVITY = timedelta(minutes=30)


class JobQueueHealthCheck(HealthCheck):
    """A queue's health, as uno documents its thresholds ("maximum acceptable ...
    before degraded status"):

    - DEGRADED: more than ``max_queue_length`` jobs wait, or more than
      ``max_failed_jobs`` failed — however far past (a threshold of 0: any).
    - UNHEALTHY: a RUNNING job of the queue sent no heartbeat for the manager's
      ``stall_timeout`` (its worker is gone; with ``alert_on_stalled_jobs``); or,
      only when ``unhealthy_factor`` is set (default None: never), more than
      ``unhealthy_factor`` times a threshold (more than none, for a threshold of 0).
    """

    def __init__(self, job_manager: JobManager, queue_name: str, max_queue_length: int = 1000,
                 max_failed_jobs: int = 100, alert_on_stalled_jobs: bool = True, *,
                 unhealthy_factor: float | None = None) -> None:
        if unhealthy_factor is not None and not unhealthy_factor >= 1:
            raise ValueError(f"unhealthy_factor must be None or >= 1, got {unhealthy_factor!r}")
        self.unhealthy_factor = unhealthy_factor
        self.job_manager = job_manager
        self.queue_name = queue_name
        self.max_queue_length = max_queue_length
        self.max_failed_jobs = max_failed_jobs
        self.alert_on_stalled_jobs = alert_on_stalled_jobs
        self.name = f"queue:{queue_name}"

    async def check_health(self) -> HealthCheckResult:
        storage, queue = self.job_manager.storage, self.queue_name
        counts = await storage.count_by_queue_and_status()
        view = queue_counts(counts, [queue])[queue]
        waiting, failed = view.waiting, view.failed
        stalled: list[str] = []
        if self.alert_on_stalled_jobs and view.by_status[JobStatus.RUNNING]:
            cutoff = utcnow() - self.job_manager.stall_timeout
            stalled = [j.id for j in await storage.find_stalled(cutoff) if j.queue_name == queue]
        details = {
            "queue": queue, "queue_length": waiting, "failed_jobs": failed,
            "stalled_jobs": len(stalled), "stalled_job_ids": stalled[:_MAX_LISTED_JOBS],
            "paused": queue in await storage.paused_queues(), "jobs_by_status": view.by_value(),
            "max_queue_length": self.max_queue_length, "max_failed_jobs": self.max_failed_jobs,
            "unhealthy_factor": self.unhealthy_factor,
        }
        problems: list[tuple[HealthStatus, str]] = []
        if stalled:
            problems.append((HealthStatus.UNHEALTHY, f"{len(stalled)} stalled job(s)"))
        factor = self.unhealthy_factor
        problems += _threshold("queue length", waiting, self.max_queue_length, factor)
        problems += _threshold("failed jobs", failed, self.max_failed_jobs, factor)
        if not problems:
            return HealthCheckResult(HealthStatus.HEALTHY,
                                     f"{waiting} waiting, {failed} failed", details)
        status = worst(*(p[0] for p in problems))
        return HealthCheckResult(status, "; ".join(p[1] for p in problems), details)


def _threshold(what: str, value: int, limit: int,
               unhealthy_factor: float | None) -> list[tuple[HealthStatus, str]]:
    if unhealthy_factor is not None and value > unhealthy_factor * limit:
        return [(HealthStatus.UNHEALTHY, f"{what} {value} > {unhealthy_factor:g} x {limit}")]
    if value > limit:
        return [(HealthStatus.DEGRADED, f"{what} {value} > {limit}")]
    return []


def _liveness(component: Worker | Scheduler, what: str,
              loop_stopped: Callable[[dict[str, Any]], str]
              ) -> tuple[dict[str, Any], HealthCheckResult | None]:
    """The component's health details, and an UNHEALTHY result when it is not
    running or its loop stopped (None when it is alive)."""
    details = dict(component.get_health_details())
    if not component.running:
        return details, HealthCheckResult(HealthStatus.UNHEALTHY, f"{what} is not running",
                                          details)
    if not component.is_healthy():
        return details, HealthCheckResult(HealthStatus.UNHEALTHY, loop_stopped(details), details)
    return details, None


class WorkerHealthCheck(HealthCheck):
    def __init__(self, worker: Worker, max_inactivity: timedelta | None = None) -> None:
        self.worker = worker
        self.max_inactivity = max_inactivity
        self.name = f"worker:{worker.name}"

    def _inactivity_limit(self) -> timedelta:
        if self.max_inactivity is not None:
            return self.max_inactivity
        manager = self.worker.manager
        return manager.stall_timeout if manager is not None else _DEFAULT_INACTIVITY

    async def check_health(self) -> HealthCheckResult:
        worker = self.worker
        details, down = _liveness(worker, "worker", lambda _details: "worker loop stopped")
        if down is not None:
            return down
        concurrency, active = worker.concurrency, worker.active_jobs
        last_activity = worker.last_activity
        if concurrency and active >= concurrency and last_activity is not None:
            idle_for = utcnow() - last_activity
            limit = self._inactivity_limit()
            if idle_for > limit:
                return HealthCheckResult(
                    HealthStatus.DEGRADED,
                    f"all {concurrency} slots busy; no job started or finished for {idle_for}",
                    details)
        return HealthCheckResult(HealthStatus.HEALTHY, f"{active} active job(s)", details)


class SchedulerHealthCheck(HealthCheck):
    name = "scheduler"

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    async def check_health(self) -> HealthCheckResult:
        scheduler = self.scheduler
        details, down = _liveness(
            scheduler, "scheduler",
            lambda d: f"scheduler loop is not ticking (last tick {d.get('last_tick')})")
        if down is not None:
            return down
        failing = sorted(
            name for name, entry in details.get("schedules", {}).items()
            if entry.get("last_error")  # the scheduler never records a run another one made
        )
        if failing:
            return HealthCheckResult(HealthStatus.DEGRADED,
                                     "schedule(s) failed to enqueue: " + ", ".join(failing),
                                     details)
        return HealthCheckResult(HealthStatus.HEALTHY,
                                 f"{len(details.get('schedules', {}))} schedule(s)", details)


__all__ = ["JobQueueHealthCheck", "SchedulerHealthCheck", "WorkerHealthCheck"]
