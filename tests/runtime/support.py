"""Shared pieces of the runtime tests: a test case that owns a storage and the
managers built on it (stopped and closed after each test), and small helpers.

Subclass :class:`RuntimeCase` for in-memory storage; subclass that class again
with ``storage_kind = "sqlite"`` (or ``"postgres"``: a schema of its own per
test, dropped after it) to run the same tests against that store.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import unittest
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from postgres_support import drop_schema, new_schema, require_postgres
from uno.jobs import (
    AsyncWorker,
    InMemoryJobStorage,
    Job,
    JobManager,
    JobStatus,
    JobStorage,
    PostgresJobStorage,
    SQLiteJobStorage,
)

POLL = 0.02  # worker poll interval in tests: idle workers notice due jobs quickly


def fast_worker(**options: Any) -> AsyncWorker:
    """An ``AsyncWorker`` that polls often and gives in-flight jobs 2 s on stop."""
    options.setdefault("poll_interval", POLL)
    options.setdefault("shutdown_timeout", 2.0)
    return AsyncWorker(**options)


class RuntimeCase(unittest.IsolatedAsyncioTestCase):
    storage_kind = "memory"

    async def asyncSetUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp_path = Path(self._tmp.name)
        self.db_path = self.tmp_path / "jobs.db"
        self._storages: list[JobStorage] = []
        self._managers: list[JobManager] = []
        self.pg_schema = new_schema() if self.storage_kind == "postgres" else None
        self.storage = self.new_storage()

    async def asyncTearDown(self) -> None:
        for manager in reversed(self._managers):
            await manager.stop()
        for storage in self._storages:
            await storage.close()
        if self.pg_schema is not None:
            await drop_schema(self.pg_schema)
        self._tmp.cleanup()

    def new_storage(self) -> JobStorage:
        """Another handle on the test's store: a second connection to the same
        SQLite file, or (in memory, where there is only one) the same object."""
        if self.storage_kind == "memory":
            if self._storages:
                return self._storages[0]
            storage: JobStorage = InMemoryJobStorage()
        elif self.storage_kind == "postgres":
            storage = PostgresJobStorage(require_postgres(), schema=self.pg_schema)
        else:
            storage = SQLiteJobStorage(self.db_path)
        self._storages.append(storage)
        return storage

    def manager(
        self,
        *,
        workers: Sequence[AsyncWorker] | None = None,
        storage: JobStorage | None = None,
        **options: Any,
    ) -> JobManager:
        """A manager on the test's storage, stopped after the test."""
        manager = JobManager(storage or self.storage, workers=workers, **options)
        self._managers.append(manager)
        return manager

    async def enqueue_ok(self, manager: JobManager, task_name: str, **options: Any) -> str:
        result = await manager.enqueue(task_name, **options)
        self.assertTrue(result.is_success, result.error)
        return result.value

    async def job(self, manager: JobManager, job_id: str) -> Job:
        result = await manager.get_job(job_id)
        self.assertTrue(result.is_success, result.error)
        self.assertIsNotNone(result.value, f"job {job_id} is gone")
        return result.value

    async def finished(self, manager: JobManager, job_id: str, timeout: float = 5.0) -> Job:
        return await manager.wait_for_job(job_id, timeout=timeout)


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``check`` until it is true; ``AssertionError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if isinstance(outcome, Awaitable):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


async def status_of(manager: JobManager, job_id: str) -> JobStatus | None:
    job = (await manager.get_job(job_id)).value
    return job.status if job is not None else None


def is_utc(moment: datetime | None) -> bool:
    """A timezone-aware datetime at UTC offset zero."""
    return moment is not None and moment.utcoffset() == timedelta(0)
