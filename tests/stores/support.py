"""Shared harness of the multi-process store tests: a namespace of its own per
test (a SQLite file, a PostgreSQL schema, a Redis key prefix) reached by URL,
worker processes started with the real CLI, and the marks their tasks write.

    class PostgresManyWorkersTests(ManyWorkersCase):
        store_kind = "postgres"

    # in a test of a StoreCase subclass:
    workers = [self.spawn_worker(concurrency=5) for _ in range(4)]
    await self.enqueue_marks(labels)
    await self.wait_completed(len(labels))
    self.assertEqual(self.marks().runs("done"), Counter(labels))

Server addresses: ``UNO_JOBS_TEST_PG_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) and ``UNO_JOBS_TEST_REDIS_URL``
(default ``redis://127.0.0.1:6379/0``). A store this branch does not have yet
(``storage_from_url`` refuses its URL) skips its tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runtime.support import eventually  # tests/ is on sys.path under pytest
from uno.jobs import JobManager, JobStatus, JobStorage
from uno.jobs.storage.url import storage_from_url

from .apps import tasks
from .namespaces import Namespace, namespace_for

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.stores.apps.tasks"
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"


@dataclass(frozen=True)
class Marks:
    """What the tasks wrote: (event, label, pid) per line, from every process."""

    lines: tuple[tuple[str, str, int], ...]

    def runs(self, event: str = "done") -> Counter[str]:
        return Counter(label for e, label, _pid in self.lines if e == event)

    def by_pid(self, pid: int, event: str) -> set[str]:
        return {label for e, label, p in self.lines if e == event and p == pid}

    def pids_of(self, label: str, event: str = "done") -> list[int]:
        return [p for e, lab, p in self.lines if e == event and lab == label]


class StoreCase(unittest.IsolatedAsyncioTestCase):
    """A store namespace, a handle on it, and the worker processes of one test."""

    store_kind = "sqlite"

    async def asyncSetUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.tmp_path = Path(self._tmp.name)
        self.marks_dir = self.tmp_path / "marks"
        self.marks_dir.mkdir()
        self.namespace: Namespace = namespace_for(self.store_kind, self.tmp_path)
        try:
            self.storage: JobStorage = storage_from_url(self.namespace.url)
        except ValueError as exc:
            self.skipTest(f"no {self.store_kind} store on this branch: {exc}")
        if self.namespace.name not in self.storage.describe():
            self.skipTest(f"{self.namespace.url} does not select the namespace "
                          f"{self.namespace.name} on this branch: {self.storage.describe()}")
        self.addAsyncCleanup(self._drop_namespace)
        await self.storage.open()
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self._managers: list[JobManager] = []
        self.producer = self.manager()  # never started: enqueues only

    async def asyncTearDown(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for manager in reversed(self._managers):
            await manager.stop()

    async def _drop_namespace(self) -> None:
        await self.storage.close()
        self.namespace.drop()

    def manager(self, **options: object) -> JobManager:
        """A manager on the test's store with the app's tasks (stopped after the test)."""
        manager = JobManager(self.storage, **options)  # type: ignore[arg-type]
        for definition in tasks.manager.tasks.definitions():
            manager.tasks.register(definition)
        self._managers.append(manager)
        return manager

    # --- worker processes ---

    def child_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env.update(UNO_TEST_MARKS=str(self.marks_dir), PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), **extra)
        return env

    def spawn(self, command: Sequence[str], label: str, instrumented: bool = False,
              **env: str) -> subprocess.Popen:
        """Start a child; its output goes to a file (a full pipe would block it)."""
        log = self.tmp_path / f"{label}.log"
        prefix = [str(INSTRUMENT)] if instrumented else []
        with open(log, "wb") as out:
            proc = subprocess.Popen([*prefix, *command], cwd=ROOT, env=self.child_env(**env),
                                    stdout=out, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def spawn_worker(self, concurrency: int = 5, queues: str = "default",
                     instrumented: bool = False, **env: str) -> subprocess.Popen:
        name = f"proc-{len(self.procs)}"
        command = [sys.executable, "-m", "uno.jobs", "worker", "--storage", self.namespace.url,
                   "--app", APP, "--name", name, "--queues", queues,
                   "--concurrency", str(concurrency), "--log-level", "WARNING"]
        return self.spawn(command, name, instrumented, **env)

    def output(self, proc: subprocess.Popen) -> str:
        return next(log for p, log in self.procs if p is proc).read_text()

    def assert_exits_cleanly(self, proc: subprocess.Popen, timeout: float = 20) -> None:
        self.assertEqual(proc.wait(timeout=timeout), 0, self.output(proc))

    # --- jobs ---

    async def enqueue_marks(self, labels: Sequence[str], seconds: float = 0.0,
                            task: str = "mark") -> list[str]:
        """Enqueue one ``task`` job per label; answer the job ids."""
        ids: list[str] = []
        if hasattr(self.producer, "enqueue_many"):
            for start in range(0, len(labels), 500):
                chunk = labels[start:start + 500]
                result = await self.producer.enqueue_many(
                    task, [[label] for label in chunk],
                    kwargs_list=[{"seconds": seconds}] * len(chunk) if task == "mark" else None)
                self.assertTrue(result.is_success, result.error)
                ids += result.value
            return ids
        for label in labels:
            result = await self.producer.enqueue(
                task, args=[label], kwargs={"seconds": seconds} if task == "mark" else None)
            self.assertTrue(result.is_success, result.error)
            ids.append(result.value)
        return ids

    async def count(self, status: JobStatus, queue: str = "default") -> int:
        return (await self.storage.count_by_queue_and_status()).get((queue, status), 0)

    async def wait_completed(self, jobs: int, timeout: float = 60) -> None:
        async def all_completed() -> bool:
            return await self.count(JobStatus.COMPLETED) >= jobs

        try:
            await eventually(all_completed, timeout=timeout, what=f"{jobs} jobs to complete")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the store holds {await self.unfinished()}") from None

    async def unfinished(self) -> str:
        """Counts by status and the first unfinished jobs: what a failure message needs."""
        counts = {f"{q}/{s.value}": n
                  for (q, s), n in (await self.storage.count_by_queue_and_status()).items()}
        stuck = await self.storage.list_jobs(
            [JobStatus.PENDING, JobStatus.RESERVED, JobStatus.RUNNING, JobStatus.RETRYING], limit=5)
        return f"{counts}; e.g. " + "; ".join(
            f"{job.args} {job.status.value} by {job.worker_id} updated {job.updated_at:%T.%f} "
            f"retries {job.retry_count} due {job.due_at:%T.%f}" for job in stuck)

    def marks(self) -> Marks:
        lines = []
        for path in self.marks_dir.glob("*.marks"):
            pid = int(path.stem)
            for line in path.read_text().splitlines():
                event, label = line.split(" ", 1)
                lines.append((event, label, pid))
        return Marks(tuple(lines))

    async def assert_each_completed_once(self, labels: Sequence[str]) -> None:
        """Every label's job is COMPLETED in the store and ran to the end exactly once."""
        done = await self.storage.list_jobs([JobStatus.COMPLETED], limit=len(labels) + 100)
        self.assertEqual(sorted(job.args[0] for job in done), sorted(labels))
        runs = self.marks().runs("done")
        twice = {label: n for label, n in runs.items() if n > 1}
        self.assertEqual(twice, {}, "jobs that ran to the end more than once")
        self.assertEqual(set(runs), set(labels), "jobs that never ran to the end")


__all__ = ["Marks", "StoreCase", "eventually"]
