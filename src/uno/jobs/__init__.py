"""uno.jobs: a lean asyncio background-job runtime (no OpenTelemetry import).

    from uno.jobs import JobManager, InMemoryJobStorage, AsyncWorker

    manager = JobManager(storage=InMemoryJobStorage(), worker_classes=[AsyncWorker])

    @manager.task()
    async def greet(name: str) -> str:
        return f"hello {name}"

    async with manager:
        job_id = (await manager.enqueue("greet", args=["ada"])).value
        print((await manager.wait_for_job(job_id)).result)
"""

from uno.core.lazy import lazy_exports
from uno.jobs.job import Job, JobStatus, Priority
from uno.jobs.manager import JobManager
from uno.jobs.result import Result
from uno.jobs.scheduler import CronSchedule, IntervalSchedule, Scheduler
from uno.jobs.storage import InMemoryJobStorage, JobStorage, SQLiteJobStorage
from uno.jobs.tasks import task
from uno.jobs.worker import AsyncWorker

__all__ = [
    "AsyncWorker",
    "CronSchedule",
    "IntervalSchedule",
    "InMemoryJobStorage",
    "Job",
    "JobManager",
    "JobStatus",
    "JobStorage",
    "Priority",
    "Result",
    "SQLiteJobStorage",
    "Scheduler",
    "task",
]

# stores whose driver is an extra: imported on first use (and left out of
# __all__, so `import *` works without the extras)
_DRIVER_STORES = {"PostgresJobStorage": "storage.postgres"}
__getattr__, __dir__ = lazy_exports(__name__, _DRIVER_STORES, globals())
