"""A SQLite store that cannot be opened (a path in a missing directory, a file
that is not SQLite): every ``Result`` call of ``JobManager`` answers a failed
``Result`` naming the store and the cause, the other calls raise the one
documented ``StorageUnavailableError``, and the file is never modified."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path

from uno.jobs import JobManager, SQLiteJobStorage
from uno.jobs.errors import StorageError, StorageUnavailableError
from uno.jobs.storage.memory import InMemoryJobStorage

NOT_SQLITE = b"name,email\nada,ada@example.com\n" * 40


class UnopenableStoreCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)
        self.not_sqlite = self.tmp / "notes.csv"
        self.not_sqlite.write_bytes(NOT_SQLITE)
        os.utime(self.not_sqlite, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
        self.missing_dir = self.tmp / "no" / "such" / "dir" / "jobs.db"
        self.storages: list[SQLiteJobStorage] = []

    async def asyncTearDown(self) -> None:
        for storage in self.storages:
            await storage.close()
        self._tmp.cleanup()

    def stores(self) -> list[tuple[Path, str, SQLiteJobStorage]]:
        """(path, the cause a message must give, storage) for each bad store."""
        cases = [(self.missing_dir, "does not exist"), (self.not_sqlite, "not a database")]
        built = []
        for path, cause in cases:
            storage = SQLiteJobStorage(path)
            self.storages.append(storage)
            built.append((path, cause, storage))
        return built

    def manager(self, storage: SQLiteJobStorage) -> JobManager:
        manager = JobManager(storage)

        @manager.task(queue="emails")
        async def send(to: str) -> str:
            return to

        return manager


class FailedResultTests(UnopenableStoreCase):
    async def test_every_result_call_is_a_failure_naming_the_store_and_cause(self) -> None:
        for path, cause, storage in self.stores():
            m = self.manager(storage)
            calls = {
                "enqueue": m.enqueue("send", args=["a@b.c"]),
                "get_job": m.get_job("some-id"),
                "cancel_job": m.cancel_job("some-id"),
                "retry_job": m.retry_job("some-id"),
                "run_job_sync": m.run_job_sync("send", args=["a@b.c"]),
                "get_queue_names": m.get_queue_names(),
                "get_queue_length": m.get_queue_length("emails"),
                "pause_queue": m.pause_queue("emails"),
                "resume_queue": m.resume_queue("emails"),
                "clear_queue": m.clear_queue("emails"),
                "get_failed_jobs": m.get_failed_jobs(),
                "get_running_jobs": m.get_running_jobs(),
                "get_pending_jobs": m.get_pending_jobs(),
                "get_completed_jobs": m.get_completed_jobs(queue_name="emails"),
            }
            for name, call in calls.items():
                with self.subTest(store=path.name, call=name):
                    result = await call
                    self.assertTrue(result.is_failure, f"{name} answered {result!r}")
                    self.assertIn(f"sqlite:///{path}", result.error)
                    self.assertIn(cause, result.error)

    async def test_other_calls_raise_storage_unavailable_naming_the_store(self) -> None:
        for path, cause, storage in self.stores():
            m = self.manager(storage)
            with self.subTest(store=path.name):
                with self.assertRaises(StorageUnavailableError) as raised:
                    await m.start()
                self.assertIn(f"sqlite:///{path}", str(raised.exception))
                self.assertIn(cause, str(raised.exception))
                self.assertFalse(m.running)
                with self.assertRaises(StorageUnavailableError):
                    await m.wait_for_job("some-id", timeout=1)
                with self.assertRaises(StorageUnavailableError):
                    await storage.ping()

    async def test_the_file_is_never_modified(self) -> None:
        before = self.not_sqlite.stat()
        for _path, _cause, storage in self.stores():
            m = self.manager(storage)
            await m.enqueue("send", args=["a@b.c"])
            await m.pause_queue("emails")
            await m.clear_queue("emails")
            with self.assertRaises(StorageError):
                await m.start()
        after = self.not_sqlite.stat()
        self.assertEqual(self.not_sqlite.read_bytes(), NOT_SQLITE)
        self.assertEqual((after.st_mtime_ns, after.st_size), (before.st_mtime_ns, before.st_size))
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()), ["notes.csv"],
                         "no journal or WAL file, no directory created")


class DescribeAndPingTests(UnopenableStoreCase):
    async def test_describe_names_the_store(self) -> None:
        self.assertEqual(SQLiteJobStorage("jobs.db").describe(), "sqlite:///jobs.db")
        self.assertEqual(SQLiteJobStorage("/var/lib/jobs.db").describe(),
                         "sqlite:////var/lib/jobs.db")
        self.assertEqual(InMemoryJobStorage().describe(), "memory://")

    async def test_ping_answers_once_the_store_can_be_opened(self) -> None:
        storage = SQLiteJobStorage(self.missing_dir)
        self.storages.append(storage)
        with self.assertRaisesRegex(StorageUnavailableError, "does not exist"):
            await storage.ping()
        self.missing_dir.parent.mkdir(parents=True)
        await storage.ping()  # the directory exists now: the store opens
        await InMemoryJobStorage().ping()

    def test_unavailable_is_a_storage_error_is_a_runtime_error(self) -> None:
        self.assertTrue(issubclass(StorageUnavailableError, StorageError))
        self.assertTrue(issubclass(StorageError, RuntimeError))
