"""``python -m uno.jobs worker``: two processes drain one SQLite file and never
run a job twice; SIGTERM/SIGINT let the in-flight job finish and exit 0; an
``--app`` that registers no tasks is refused with exit status 2."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from postgres_support import DSN
from redis_support import REDIS_URL
from uno.jobs import JobStatus

from .support import RuntimeCase, eventually, status_of

ROOT = Path(__file__).resolve().parents[2]
APPS = "tests.runtime.apps"
READY = "worker process serving queues"


class WorkerProcessCase(RuntimeCase):
    storage_kind = "sqlite"

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.run_log = self.tmp_path / "runs.log"
        self.procs: list[tuple[subprocess.Popen, Path]] = []
        self.producer = self.manager()  # never started: enqueues into the shared file
        self.producer.register_task("record", _not_here, max_retries=0)
        # the producer creates the file before workers open it (several processes
        # creating a brand-new file at once can fail: see the report on sqlite.py)
        await self.storage.open()

    async def asyncTearDown(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        await super().asyncTearDown()

    def spawn(self, *args: str, app: str = "recorder", name: str | None = None,
              storage: str | None = None) -> subprocess.Popen:
        """Start a worker process; its output goes to a file (a full pipe would block it)."""
        index = len(self.procs)
        log = self.tmp_path / f"worker-{index}.err"
        env = dict(os.environ, UNO_TEST_RUN_LOG=str(self.run_log),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                            os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "uno.jobs", "worker",
                   "--storage", storage or self.storage_url(),
                   "--app", f"{APPS}.{app}", "--name", name or f"proc-{index}", *args]
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def storage_url(self) -> str:
        if self.storage_kind == "postgres":
            return f"{DSN}{'&' if '?' in DSN else '?'}schema={self.pg_schema}"
        if self.storage_kind == "redis":
            return f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}prefix={self.redis_prefix}"
        return f"sqlite:///{self.db_path}"

    def output(self, proc: subprocess.Popen) -> str:
        return next(log for p, log in self.procs if p is proc).read_text()

    async def ready(self, *procs: subprocess.Popen) -> None:
        for proc in procs:
            await eventually(lambda p=proc: READY in self.output(p) or p.poll() is not None,
                             timeout=15, what="worker process to start")
            self.assertIsNone(proc.poll(), self.output(proc))

    async def exit_code(self, proc: subprocess.Popen, timeout: float = 15) -> int:
        await eventually(lambda: proc.poll() is not None, timeout=timeout, what="worker exit")
        return proc.returncode

    async def _is_running(self, job_id: str) -> bool:
        return await status_of(self.producer, job_id) is JobStatus.RUNNING

    def runs(self) -> list[tuple[str, int]]:
        if not self.run_log.exists():
            return []
        return [(label, int(pid)) for label, pid in
                (line.split() for line in self.run_log.read_text().splitlines())]


def _not_here(*args: object, **kwargs: object) -> None:
    raise AssertionError("the producer must never run jobs")


class TwoWorkerProcessesTests(WorkerProcessCase):
    async def test_two_worker_processes_run_each_of_200_jobs_exactly_once(self) -> None:
        workers = [self.spawn("--concurrency", "4") for _ in range(2)]
        await self.ready(*workers)
        labels = [f"job-{n:03d}" for n in range(200)]
        for label in labels:
            await self.enqueue_ok(self.producer, "record", job_id=label,
                                  args=[label], kwargs={"seconds": 0.03})

        async def all_finished() -> bool:
            counts = await self.storage.count_by_queue_and_status()
            return counts.get(("default", JobStatus.COMPLETED), 0) == len(labels)

        await eventually(all_finished, timeout=30, what="200 jobs to finish")
        slow = await self.enqueue_ok(self.producer, "record", args=["slow"],
                                     kwargs={"seconds": 0.8})
        await eventually(lambda: self._is_running(slow), timeout=10, what="slow job to start")
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            self.assertEqual(await self.exit_code(proc), 0, self.output(proc))
        self.assertEqual(await status_of(self.producer, slow), JobStatus.COMPLETED)

        runs = self.runs()
        self.assertEqual(runs.pop()[0], "slow")
        repeated = {label: n for label, n in Counter(label for label, _ in runs).items() if n > 1}
        self.assertEqual(repeated, {}, "jobs that ran more than once")
        self.assertEqual(sorted(label for label, _ in runs), labels)
        self.assertEqual({pid for _, pid in runs}, {p.pid for p in workers},
                         "both processes should have taken jobs")
        done = [job for job in (await self.producer.get_completed_jobs(limit=500)).value
                if job.id != slow]
        self.assertEqual(len(done), 200)
        ran_in = dict(runs)
        for job in done:
            self.assertEqual(job.result, ran_in[job.id])  # the handler's pid, stored
            self.assertIn(job.worker_id, ("proc-0", "proc-1"))
            self.assertEqual(job.retry_count, 0)


class ShutdownTests(WorkerProcessCase):
    async def check_signal_finishes_in_flight_job(self, sig: signal.Signals) -> None:
        proc = self.spawn("--concurrency", "2")
        await self.ready(proc)
        slow = await self.enqueue_ok(self.producer, "record", args=["slow"],
                                     kwargs={"seconds": 1.0})
        await eventually(lambda: self._is_running(slow), timeout=10, what="slow job to start")
        signalled = time.monotonic()
        proc.send_signal(sig)
        await asyncio.sleep(0.2)
        late = await self.enqueue_ok(self.producer, "record", args=["after-signal"])
        self.assertEqual(await self.exit_code(proc), 0, self.output(proc))
        self.assertGreater(time.monotonic() - signalled, 0.5, "exited before the job finished")
        job = await self.job(self.producer, slow)
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, proc.pid))
        self.assertEqual(self.runs(), [("slow", proc.pid)])
        self.assertEqual(await status_of(self.producer, late), JobStatus.PENDING)
        self.assertIn("shutting down: finishing in-flight jobs", self.output(proc))

    async def test_sigterm_lets_the_in_flight_job_finish_and_exits_0(self) -> None:
        await self.check_signal_finishes_in_flight_job(signal.SIGTERM)

    async def test_sigint_lets_the_in_flight_job_finish_and_exits_0(self) -> None:
        await self.check_signal_finishes_in_flight_job(signal.SIGINT)


class AppModuleTests(WorkerProcessCase):
    async def test_app_with_no_tasks_exits_2_with_a_message(self) -> None:
        proc = self.spawn(app="no_tasks")
        self.assertEqual(await self.exit_code(proc), 2)
        self.assertIn(f"error: module '{APPS}.no_tasks' registers no tasks", self.output(proc))

    async def test_missing_app_module_or_bad_storage_url_exits_2(self) -> None:
        missing = self.spawn(app="does_not_exist")
        bad_url = self.spawn(storage="mysql://nowhere")
        self.assertEqual(await self.exit_code(missing), 2)
        self.assertIn("error: No module named", self.output(missing))
        self.assertEqual(await self.exit_code(bad_url), 2)
        self.assertIn("error: unsupported storage URL 'mysql://nowhere'", self.output(bad_url))

    async def test_unreachable_database_is_one_error_line_and_exit_2(self) -> None:
        proc = self.spawn(storage="postgresql://postgres@127.0.0.1:1/postgres")
        self.assertEqual(await self.exit_code(proc), 2, self.output(proc))
        self.assertIn("error: postgresql://postgres@127.0.0.1:1/postgres (schema uno_jobs)",
                      self.output(proc))

    async def test_unreachable_redis_is_one_error_line_and_exit_2(self) -> None:
        proc = self.spawn(storage="redis://:s3cret@127.0.0.1:1/0")
        self.assertEqual(await self.exit_code(proc), 2, self.output(proc))
        self.assertIn("error: redis://127.0.0.1:1/0 (prefix uno_jobs)", self.output(proc))
        self.assertNotIn("s3cret", self.output(proc))

    async def test_start_up_objects_are_frozen_out_of_full_collections(self) -> None:
        # a full collection would otherwise walk every imported module's objects:
        # 45-200 ms pauses of the event loop in a worker under zero-code telemetry
        proc = self.spawn()
        await self.ready(proc)
        self.producer.register_task("frozen_objects", _not_here, max_retries=0)
        job_id = await self.enqueue_ok(self.producer, "frozen_objects")
        job = await self.finished(self.producer, job_id, timeout=15)
        self.assertEqual(job.status, JobStatus.COMPLETED, job.error)
        self.assertGreater(job.result, 10_000)

    async def test_tasks_registered_with_uno_jobs_task_are_served(self) -> None:
        self.producer.register_task("shout", _not_here)
        proc = self.spawn("--queues", "default,other", app="registry_tasks")
        await self.ready(proc)
        job_id = await self.enqueue_ok(self.producer, "shout", args=["hey"], queue_name="other")
        job = await self.producer.wait_for_job(job_id, timeout=10)
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, "HEY"))
        self.assertIn("serving queues default,other", self.output(proc))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(await self.exit_code(proc), 0, self.output(proc))


class PostgresTwoWorkerProcessesTests(TwoWorkerProcessesTests):
    storage_kind = "postgres"


class RedisTwoWorkerProcessesTests(TwoWorkerProcessesTests):
    storage_kind = "redis"
