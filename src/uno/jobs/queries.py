"""Queue control and job listings of ``JobManager``: each answers a ``Result``;
an unknown queue is a failure that names it, and so is a store that cannot be
read (the message names the store and the cause)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from uno.jobs.job import WAITING_STATUSES, Job, JobStatus
from uno.jobs.queue_counts import queue_counts
from uno.jobs.result import Result, storage_failures

if TYPE_CHECKING:
    from uno.jobs.protocols import Worker
    from uno.jobs.storage.base import JobStorage
    from uno.jobs.tasks import TaskRegistry

class JobQueries:
    storage: JobStorage
    tasks: TaskRegistry
    workers: list[Worker]

    async def known_queues(self) -> set[str]:
        """Queues with jobs, queues of registered tasks, and queues workers serve."""
        names = await self.storage.queue_names()
        names.update(d.queue for d in self.tasks.definitions())
        for worker in self.workers:
            names.update(worker.queues)
        return names

    @storage_failures
    async def get_queue_names(self) -> Result[set[str]]:
        return Result.success(await self.known_queues())

    @storage_failures
    async def get_queue_length(self, queue_name: str) -> Result[int]:
        """Jobs waiting in the queue (PENDING and RETRYING)."""
        failure = await self._check_queue(queue_name)
        if failure is not None:
            return failure
        counts = await self.storage.count_by_queue_and_status()
        return Result.success(queue_counts(counts, [queue_name])[queue_name].waiting)

    @storage_failures
    async def pause_queue(self, queue_name: str) -> Result[bool]:
        return await self._set_paused(queue_name, True)

    @storage_failures
    async def resume_queue(self, queue_name: str) -> Result[bool]:
        return await self._set_paused(queue_name, False)

    @storage_failures
    async def clear_queue(self, queue_name: str) -> Result[int]:
        """Delete the queue's waiting jobs; answer how many."""
        failure = await self._check_queue(queue_name)
        return failure or Result.success(await self.storage.delete_waiting(queue_name))

    @storage_failures
    async def get_failed_jobs(self, queue_name: str | None = None, limit: int = 100,
                              offset: int = 0) -> Result[list[Job]]:
        return await self._list((JobStatus.FAILED, JobStatus.TIMEOUT), queue_name, limit, offset)

    @storage_failures
    async def get_running_jobs(self, queue_name: str | None = None, limit: int = 100,
                               offset: int = 0) -> Result[list[Job]]:
        return await self._list((JobStatus.RUNNING,), queue_name, limit, offset)

    @storage_failures
    async def get_pending_jobs(self, queue_name: str | None = None, limit: int = 100,
                               offset: int = 0) -> Result[list[Job]]:
        return await self._list(WAITING_STATUSES, queue_name, limit, offset)

    @storage_failures
    async def get_completed_jobs(self, queue_name: str | None = None, limit: int = 100,
                                 offset: int = 0) -> Result[list[Job]]:
        return await self._list((JobStatus.COMPLETED,), queue_name, limit, offset)

    async def _list(self, statuses: Iterable[JobStatus], queue_name: str | None, limit: int,
                    offset: int) -> Result[list[Job]]:
        if queue_name is not None and (failure := await self._check_queue(queue_name)):
            return failure
        if limit < 0 or offset < 0:
            return Result.failure(f"limit and offset must be >= 0, got {limit}, {offset}")
        return Result.success(await self.storage.list_jobs(statuses, queue_name, limit, offset))

    async def _set_paused(self, queue_name: str, paused: bool) -> Result[bool]:
        failure = await self._check_queue(queue_name)
        if failure is None:
            await self.storage.set_paused(queue_name, paused)
        return failure or Result.success(True)

    async def _check_queue(self, queue_name: str) -> Result | None:
        if queue_name in await self.known_queues():
            return None
        return Result.failure(f"unknown queue {queue_name!r}")
