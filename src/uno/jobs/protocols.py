"""What the job manager, monitoring and the admin API rely on in a worker and a
scheduler: typed seams, so any class with these members plugs in.

    from uno.jobs.protocols import Scheduler, Worker

    def busy_slots(workers: Sequence[Worker]) -> int:
        return sum(worker.active_jobs for worker in workers if worker.running)

``AsyncWorker`` and ``uno.jobs.Scheduler`` satisfy them; so may a test double.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager
    from uno.jobs.scheduler.scheduler import ScheduledTask


class Worker(Protocol):
    """Claims jobs from ``queues`` and runs up to ``concurrency`` at once."""

    name: str
    queues: Sequence[str]
    concurrency: int
    running: bool
    manager: JobManager | None
    last_activity: datetime | None  # a job started or finished
    last_heartbeat: datetime | None  # the worker's loop is alive

    @property
    def worker_type(self) -> str: ...

    @property
    def active_jobs(self) -> int: ...

    def is_healthy(self) -> bool: ...

    def get_health_details(self) -> dict[str, Any]: ...

    async def start(self, manager: JobManager) -> None: ...

    async def stop(self) -> None: ...


class Scheduler(Protocol):
    """Enqueues the jobs of its ``schedules`` when they come due."""

    running: bool
    schedules: Mapping[str, ScheduledTask]

    def is_healthy(self) -> bool: ...

    def get_health_details(self) -> dict[str, Any]: ...

    async def start(self, manager: JobManager) -> None: ...

    async def stop(self) -> None: ...


__all__ = ["Scheduler", "Worker"]
