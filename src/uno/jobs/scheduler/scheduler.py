"""``Scheduler``: enqueues jobs on time from interval and cron schedules.

    scheduler = Scheduler(storage)
    manager = JobManager(storage, worker_classes=[AsyncWorker], scheduler=scheduler)
    await scheduler.add_schedule("nightly", "report", CronSchedule("0 3 * * *"))
    scheduler.declare_schedule("hourly", "report", IntervalSchedule(hours=1))  # at import
    scheduler.list_schedules(); scheduler.get_schedule("nightly")   # with next_run
    await scheduler.disable_schedule("nightly"); await scheduler.enable_schedule("nightly")

Each run gets the job id ``schedule:{name}:{due time}``, so processes that run
the same schedules against one store enqueue each run once. A run that was due
while the scheduler lagged is counted as missed; only the latest is enqueued.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from uno.core.background import cancel_and_wait
from uno.jobs.job import utcnow
from uno.jobs.result import Result, awaitable
from uno.jobs.scheduler.schedules import Schedule

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager
    from uno.jobs.storage.base import JobStorage

MAX_SLEEP = 1.0


@dataclass
class ScheduledTask:
    name: str
    task_name: str
    schedule: Schedule
    next_run: datetime
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue_name: str | None = None
    last_run: datetime | None = None
    run_count: int = 0
    missed_runs: int = 0
    last_lag: float = 0.0
    last_error: str | None = None
    enabled: bool = True

    def details(self) -> dict[str, Any]:
        return {
            "task_name": self.task_name,
            "enabled": self.enabled,
            "schedule": repr(self.schedule),
            "next_run": self.next_run.isoformat(),
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "run_count": self.run_count,
            "missed_runs": self.missed_runs,
            "lag_seconds": self.last_lag,
            "last_error": self.last_error,
        }


class Scheduler:
    def __init__(self, storage: JobStorage | None = None, max_lag: float = 60.0) -> None:
        self.storage = storage
        self.max_lag = max_lag
        self.running = False
        self.schedules: dict[str, ScheduledTask] = {}
        self.manager: JobManager | None = None
        self.last_tick: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def bind(self, manager: JobManager) -> None:
        self.manager = manager

    def declare_schedule(
        self,
        name: str,
        task_name: str,
        schedule: Schedule,
        args: list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        queue_name: str | None = None,
    ) -> Result[str]:
        """Add (or replace) a schedule. ``await add_schedule(...)`` is the same call;
        this form needs no event loop, so an app module can declare its schedules
        at import and every worker process running the app runs them."""
        if not isinstance(name, str) or not name:
            return Result.failure(f"schedule name must be a non-empty string, got {name!r}")
        if not hasattr(schedule, "next_after"):
            return Result.failure(f"schedule must be an IntervalSchedule or CronSchedule, "
                                  f"got {schedule!r}")
        if self.manager is not None and self.manager.get_task(task_name) is None:
            return Result.failure(f"unknown task {task_name!r}")
        self.schedules[name] = ScheduledTask(
            name=name, task_name=task_name, schedule=schedule,
            next_run=schedule.next_after(utcnow()), args=list(args or ()),
            kwargs=dict(kwargs or {}), queue_name=queue_name,
        )
        return Result.success(name)

    add_schedule = awaitable(declare_schedule)

    async def remove_schedule(self, name: str) -> Result[bool]:
        return Result.success(self.schedules.pop(name, None) is not None)

    def list_schedules(self) -> list[ScheduledTask]:
        """Every schedule, by name."""
        return [self.schedules[name] for name in sorted(self.schedules)]

    def get_schedule(self, name: str) -> ScheduledTask | None:
        return self.schedules.get(name)

    async def enable_schedule(self, name: str) -> Result[bool]:
        """Fire again from the next due time after now (runs missed while
        disabled are skipped, not counted as missed)."""
        entry = self.schedules.get(name)
        if entry is None:
            return Result.failure(f"unknown schedule {name!r}")
        if not entry.enabled:
            entry.enabled, entry.next_run = True, entry.schedule.next_after(utcnow())
        return Result.success(True)

    async def disable_schedule(self, name: str) -> Result[bool]:
        """Stop firing (kept, with its counters) until enabled again."""
        entry = self.schedules.get(name)
        if entry is None:
            return Result.failure(f"unknown schedule {name!r}")
        entry.enabled = False
        return Result.success(True)

    async def start(self, manager: JobManager | None = None) -> None:
        if manager is not None:
            self.bind(manager)
        if self.manager is None:
            raise RuntimeError("Scheduler needs a JobManager: pass it to JobManager(scheduler=)")
        if not self.running:
            self.running = True
            self.last_tick = utcnow()
            self._task = asyncio.create_task(self._loop(), name="uno-jobs-scheduler")
            self.manager.logger.info("scheduler started with %d schedule(s)", len(self.schedules))

    async def stop(self) -> None:
        self.running = False
        await cancel_and_wait(self._task)
        self._task = None

    def is_healthy(self) -> bool:
        if not self.running or self._task is None or self._task.done():
            return False
        lag = (utcnow() - self.last_tick).total_seconds() if self.last_tick else 0.0
        return lag <= self.max_lag

    def get_health_details(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "healthy": self.is_healthy(),
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
            "schedules": {name: s.details() for name, s in self.schedules.items()},
        }

    async def run_due(self, now: datetime) -> int:
        """Enqueue every schedule due at ``now``; return how many were enqueued."""
        enqueued = 0
        for entry in list(self.schedules.values()):
            if not entry.enabled or entry.next_run > now:
                continue
            due, missed = entry.next_run, 0
            while (following := entry.schedule.next_after(due)) <= now:
                due, missed = following, missed + 1
            entry.missed_runs += missed
            entry.last_lag = (now - due).total_seconds()
            enqueued += await self._enqueue(entry, due)
            entry.last_run, entry.next_run = now, entry.schedule.next_after(due)
        return enqueued

    async def _enqueue(self, entry: ScheduledTask, due: datetime) -> int:
        assert self.manager is not None
        logger = self.manager.logger
        logger.info("schedule %s triggered", entry.name, extra={"schedule": entry.name})
        result = await self.manager.enqueue(
            entry.task_name, args=entry.args, kwargs=entry.kwargs, queue_name=entry.queue_name,
            job_id=f"schedule:{entry.name}:{due.isoformat()}", metadata={"schedule": entry.name},
        )
        if result.is_failure:
            if result.code == Result.DUPLICATE:  # another scheduler enqueued this run
                return 0
            entry.last_error = result.error
            logger.warning("schedule %s could not enqueue: %s", entry.name, result.error)
            return 0
        entry.run_count += 1
        entry.last_error = None
        logger.info("schedule %s created job %s", entry.name, result.value,
                    extra={"schedule": entry.name, "job_id": result.value})
        return 1

    async def _loop(self) -> None:
        while True:
            now = utcnow()
            self.last_tick = now
            try:
                await self.run_due(now)
            except Exception:
                assert self.manager is not None
                self.manager.logger.exception("scheduler tick failed")
            upcoming = min((s.next_run for s in self.schedules.values() if s.enabled),
                           default=None)
            wait = MAX_SLEEP if upcoming is None else (upcoming - utcnow()).total_seconds()
            await asyncio.sleep(min(MAX_SLEEP, max(0.01, wait)))
