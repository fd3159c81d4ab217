"""Waiting for a job to finish: woken at once in this process, polled for jobs
that finish in other processes. Only waited-on jobs take memory, and only while
someone waits."""

from __future__ import annotations

import asyncio

from uno.jobs.job import FINISHED_STATUSES, Job
from uno.jobs.storage.base import JobStorage

POLL_INTERVAL = 0.2


class JobWaiters:
    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def notify(self, job: Job) -> None:
        event = self._events.get(job.id)
        if event is not None:
            event.set()

    async def wait(self, job_id: str, storage: JobStorage) -> Job:
        event = self._events.setdefault(job_id, asyncio.Event())
        try:
            while True:
                job = await storage.get(job_id)
                if job is None:
                    raise LookupError(f"no job with id {job_id!r}")
                if job.status in FINISHED_STATUSES:
                    return job
                event.clear()
                try:
                    async with asyncio.timeout(POLL_INTERVAL):
                        await event.wait()
                except TimeoutError:
                    pass
        finally:
            self._events.pop(job_id, None)
