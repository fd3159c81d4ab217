"""Running one claimed job through the lifecycle: start, execute, complete or fail.

Every way a handler can end maps to one lifecycle call: a value completes the
job (or fails it when the result cannot be stored); an exception,
``SystemExit`` or ``KeyboardInterrupt`` (from a thread handler) fails it;
cancellation fails it with ``JobInterruptedError`` and propagates.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from uno.jobs.errors import JobInterruptedError, ResultNotStorableError
from uno.jobs.job import Job

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager


async def run_claimed_job(manager: JobManager, job: Job, worker_name: str) -> Job:
    job = await manager.start_job(job, worker_name)
    try:
        result = await manager.execute(job)
    except asyncio.CancelledError:
        await asyncio.shield(manager.fail_job(job, JobInterruptedError("job was cancelled")))
        raise
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        return await manager.fail_job(job, exc)
    try:
        return await manager.complete_job(job, result)
    except ResultNotStorableError as exc:
        return await manager.fail_job(job, exc)
