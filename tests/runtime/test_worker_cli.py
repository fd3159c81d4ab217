"""``python -m uno.jobs worker`` as a new user meets it: a store that cannot be
opened or a bad ``--log-level`` is one line saying what to fix; without
``--queues`` the worker serves the queues its app's tasks declare; the process
runs the app's own manager (settings, logger, scheduler) on ``--storage``, and
two such processes fire each scheduled run once."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

from uno.jobs import Job, JobStatus
from uno.jobs.job import utcnow

from .support import eventually, status_of
from .test_worker_process import APPS, WorkerProcessCase

NOT_SQLITE = b"this is a spreadsheet, not a job store\n" * 20


class OneLineErrorTests(WorkerProcessCase):
    async def one_line_error(self, proc) -> str:
        code = await self.exit_code(proc)
        output = self.output(proc)
        self.assertNotEqual(code, 0, output)
        self.assertNotIn("Traceback", output)
        lines = [line for line in output.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, output)
        return lines[0]

    async def test_a_store_in_a_missing_directory_is_one_line(self) -> None:
        missing = self.tmp_path / "nowhere" / "jobs.db"
        line = await self.one_line_error(self.spawn(storage=f"sqlite:///{missing}"))
        self.assertIn(f"sqlite:///{missing}", line)
        self.assertIn(f"directory {missing.parent} does not exist", line)

    async def test_a_file_that_is_not_sqlite_is_one_line_and_left_alone(self) -> None:
        sheet = self.tmp_path / "sheet.csv"
        sheet.write_bytes(NOT_SQLITE)
        before = sheet.stat().st_mtime_ns
        line = await self.one_line_error(self.spawn(storage=f"sqlite:///{sheet}"))
        self.assertIn(f"sqlite:///{sheet}", line)
        self.assertIn("file is not a database", line)
        self.assertEqual((sheet.read_bytes(), sheet.stat().st_mtime_ns), (NOT_SQLITE, before))

    async def test_an_unknown_log_level_is_one_line(self) -> None:
        line = await self.one_line_error(self.spawn("--log-level", "LOUD"))
        self.assertIn("--log-level", line)
        self.assertIn("LOUD", line)
        self.assertIn("DEBUG, INFO, WARNING, ERROR or CRITICAL", line)


class QueuesFromTheAppTests(WorkerProcessCase):
    async def runs_then_stops(self, proc, task: str, arg: str, expected: str) -> None:
        """A job of ``task`` enqueued on its own queue completes; SIGTERM exits 0."""
        job_id = await self.enqueue_ok(self.producer, task, args=[arg])
        job = await self.producer.wait_for_job(job_id, timeout=10)
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, expected))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(await self.exit_code(proc), 0, self.output(proc))

    async def test_without_queues_the_worker_serves_every_queue_its_tasks_declare(self) -> None:
        self.producer.register_task("send", _not_here, queue="emails")
        proc = self.spawn(app="configured")
        await self.ready(proc)
        self.assertIn("serving queues emails,reports", self.output(proc))
        await self.runs_then_stops(proc, "send", "ada", "sent to ada")

    async def test_a_registry_only_app_without_queues_serves_its_queue(self) -> None:
        self.producer.register_task("shout", _not_here)
        proc = self.spawn(app="registry_tasks")
        await self.ready(proc)
        await self.runs_then_stops(proc, "shout", "hey", "HEY")

    async def test_queues_that_no_worker_serves_are_named_in_a_warning(self) -> None:
        proc = self.spawn("--queues", "default", app="configured")
        await self.ready(proc)
        output = self.output(proc)
        self.assertIn("WARNING", output)
        self.assertIn("task 'send' uses queue 'emails'", output)
        proc.send_signal(signal.SIGTERM)
        await self.exit_code(proc)


class TheAppsOwnManagerTests(WorkerProcessCase):
    async def test_the_apps_settings_logger_and_scheduler_run_in_the_worker(self) -> None:
        stalled = Job(task_name="send", queue_name="emails", args=["x"], max_retries=0)
        stalled.status, stalled.worker_id = JobStatus.RUNNING, "a-dead-worker"
        stalled.started_at = stalled.updated_at = utcnow() - timedelta(minutes=5)
        await self.storage.add(stalled)
        proc = self.spawn(app="configured")
        await self.ready(proc)

        async def stall_failed() -> bool:  # the app's stall_timeout (1 s), not 30 minutes
            return await status_of(self.producer, stalled.id) is JobStatus.FAILED

        await eventually(stall_failed, timeout=10, what="the stalled job to be failed")
        await eventually(lambda: len(self.runs()) >= 3, timeout=10, what="three scheduled runs")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(await self.exit_code(proc), 0, self.output(proc))
        self.assertIn("JobStalledError", (await self.job(self.producer, stalled.id)).error)
        self.assertIn("configured_app.jobs: job", self.output(proc), "the app's logger")
        scheduled = (await self.producer.get_completed_jobs(queue_name="reports")).value
        self.assertTrue(all(job.id.startswith("schedule:ticker:") for job in scheduled))

    async def test_two_worker_processes_fire_each_scheduled_run_once(self) -> None:
        procs = [self.spawn(app="configured") for _ in range(2)]
        await self.ready(*procs)
        await eventually(lambda: len(self.runs()) >= 8, timeout=15, what="eight scheduled runs")
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            self.assertEqual(await self.exit_code(proc), 0, self.output(proc))
        jobs = [job for status in (JobStatus.COMPLETED, JobStatus.PENDING)
                for job in await self.storage.list_jobs([status], "reports", limit=1000)]
        created = sum(self.output(proc).count("schedule ticker created job") for proc in procs)
        self.assertEqual(created, len(jobs), "a run was created twice")
        self.assertEqual(len(self.runs()), Counter(j.status for j in jobs)[JobStatus.COMPLETED])
        self.assertTrue(all(self.output(proc).count("schedule ticker created job")
                            for proc in procs), "both schedulers should have created runs")


def _not_here(*args: object, **kwargs: object) -> None:
    raise AssertionError("the producer must never run jobs")


__all__ = ["APPS"]
