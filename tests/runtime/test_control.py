"""Controlling jobs and queues: cancel, retry, pause/resume/clear, listings,
``get_job`` and ``wait_for_job``; an unknown queue is a failed ``Result``."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

from uno.jobs import JobStatus, Priority
from uno.jobs.job import utcnow

from .support import RuntimeCase, eventually, fast_worker, status_of


class ControlTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.worker = fast_worker(queues=["default", "mail"], concurrency=2)
        self.m = self.manager(workers=[self.worker])
        self.ran: list[str] = []
        self.release = asyncio.Event()

        @self.m.task(max_retries=0)
        async def record(label: str) -> str:
            self.ran.append(label)
            return label

        @self.m.task(queue="mail", max_retries=0)
        async def mail(label: str) -> str:
            self.ran.append(label)
            return label

        @self.m.task(max_retries=0)
        async def hold() -> None:
            await self.release.wait()

        @self.m.task(max_retries=0)
        async def fail() -> None:
            raise RuntimeError("nope")

    async def test_cancelled_pending_job_never_runs(self) -> None:
        job_id = await self.enqueue_ok(self.m, "record", args=["cancelled"])
        kept = await self.enqueue_ok(self.m, "record", args=["kept"])
        result = await self.m.cancel_job(job_id)
        self.assertTrue(result.is_success and result.value is True, result.error)
        async with self.m:
            await self.finished(self.m, kept)
            job = await self.finished(self.m, job_id)
        self.assertEqual(self.ran, ["kept"])
        self.assertEqual(job.status, JobStatus.CANCELLED)
        self.assertIsNotNone(job.completed_at)

    async def test_running_finished_or_unknown_jobs_cannot_be_cancelled(self) -> None:
        async with self.m:
            running = await self.enqueue_ok(self.m, "hold")

            async def is_running() -> bool:  # stored as running
                return await status_of(self.m, running) is JobStatus.RUNNING

            await eventually(is_running, what="hold to start")
            result = await self.m.cancel_job(running)
            self.assertIn(f"job {running} is running and cannot be cancelled", result.error)
            self.release.set()
            await self.finished(self.m, running)
        result = await self.m.cancel_job(running)
        self.assertIn("is completed and cannot be cancelled", result.error)
        self.assertIn("no job with id 'ghost'", (await self.m.cancel_job("ghost")).error)
        self.assertEqual(await status_of(self.m, running), JobStatus.COMPLETED)

    async def test_job_a_worker_has_claimed_cannot_be_cancelled(self) -> None:
        job_id = await self.enqueue_ok(self.m, "record", args=["claimed"])
        claimed = await self.storage.claim_next(["default"], "w", utcnow())
        result = await self.m.cancel_job(job_id)
        self.assertIn(f"job {job_id} is running and cannot be cancelled", result.error)
        job = await self.m.complete_job(await self.m.start_job(claimed, "w"), "ran")
        self.assertEqual((await self.job(self.m, job.id)).status, JobStatus.COMPLETED)

    async def test_job_waiting_to_be_retried_can_be_cancelled(self) -> None:
        self.m.register_task("again", lambda: 1 / 0, max_retries=3, retry_delay=60)
        async with self.m:
            job_id = await self.enqueue_ok(self.m, "again")
            await eventually(self._is(job_id, JobStatus.RETRYING), what="RETRYING")
            self.assertTrue((await self.m.cancel_job(job_id)).is_success)
        job = await self.job(self.m, job_id)
        self.assertEqual((job.status, job.retry_count), (JobStatus.CANCELLED, 1))

    async def test_retry_job_runs_a_failed_job_again(self) -> None:
        async with self.m:
            job_id = await self.enqueue_ok(self.m, "fail")
            failed = await self.finished(self.m, job_id)
            self.assertEqual(failed.status, JobStatus.FAILED)
            self.m.register_task("fail", lambda: "fixed", max_retries=0)  # deploy a fix
            result = await self.m.retry_job(job_id)
            self.assertTrue(result.is_success, result.error)
            job = await self.finished(self.m, job_id)
        self.assertEqual((job.status, job.result, job.error), (JobStatus.COMPLETED, "fixed", None))

    async def test_only_unsuccessful_finished_jobs_can_be_retried(self) -> None:
        pending = await self.enqueue_ok(self.m, "record", args=["x"])
        self.assertIn("only finished, unsuccessful jobs can be retried",
                      (await self.m.retry_job(pending)).error)
        self.assertIn("no job with id 'ghost'", (await self.m.retry_job("ghost")).error)
        await self.m.cancel_job(pending)
        self.assertTrue((await self.m.retry_job(pending)).is_success)
        self.assertEqual(await status_of(self.m, pending), JobStatus.PENDING)

    async def test_paused_queue_is_not_run_until_resumed(self) -> None:
        self.assertTrue((await self.m.pause_queue("mail")).value)
        mail_id = await self.enqueue_ok(self.m, "mail", args=["mail"])
        async with self.m:
            await self.finished(self.m, await self.enqueue_ok(self.m, "record", args=["default"]))
            await asyncio.sleep(0.15)
            self.assertEqual(self.ran, ["default"])
            self.assertEqual(await status_of(self.m, mail_id), JobStatus.PENDING)
            self.assertTrue((await self.m.resume_queue("mail")).value)
            await self.finished(self.m, mail_id)
        self.assertEqual(self.ran, ["default", "mail"])

    async def test_clear_queue_deletes_only_that_queues_waiting_jobs(self) -> None:
        mail = [await self.enqueue_ok(self.m, "mail", args=[str(n)]) for n in range(3)]
        other = await self.enqueue_ok(self.m, "record", args=["other"])
        result = await self.m.clear_queue("mail")
        self.assertEqual((result.is_success, result.value), (True, 3))
        for job_id in mail:
            self.assertIsNone((await self.m.get_job(job_id)).value)
        self.assertEqual(await status_of(self.m, other), JobStatus.PENDING)
        self.assertEqual((await self.m.get_queue_length("mail")).value, 0)
        self.assertEqual((await self.m.get_queue_length("default")).value, 1)

    async def test_listings_filter_by_status_and_queue_with_limit_and_offset(self) -> None:
        pending = [await self.enqueue_ok(self.m, "mail", args=[str(n)]) for n in range(3)]
        await self.m.pause_queue("mail")
        async with self.m:
            done = await self.enqueue_ok(self.m, "record", args=["done"])
            failed = await self.enqueue_ok(self.m, "fail")
            timed_out = await self.enqueue_ok(self.m, "hold", timeout=0.05)
            running = await self.enqueue_ok(self.m, "hold", priority=Priority.LOW)
            for job_id in (done, failed, timed_out):
                await self.finished(self.m, job_id)
            await eventually(self._is(running, JobStatus.RUNNING), what="RUNNING")

            def ids(result):
                self.assertTrue(result.is_success, result.error)
                return [job.id for job in result.value]

            self.assertEqual(ids(await self.m.get_pending_jobs()), pending)
            self.assertEqual(ids(await self.m.get_pending_jobs("mail", limit=2, offset=1)),
                             pending[1:])
            self.assertEqual(ids(await self.m.get_pending_jobs("default")), [])
            self.assertEqual(ids(await self.m.get_completed_jobs()), [done])
            self.assertEqual(ids(await self.m.get_failed_jobs()), [failed, timed_out])
            self.assertEqual(ids(await self.m.get_running_jobs("default")), [running])
            self.assertEqual((await self.m.get_queue_length("mail")).value, 3)
            self.release.set()

    async def test_unknown_queue_is_a_failed_result_naming_it(self) -> None:
        calls = {
            "get_queue_length": self.m.get_queue_length, "pause_queue": self.m.pause_queue,
            "resume_queue": self.m.resume_queue, "clear_queue": self.m.clear_queue,
            "get_failed_jobs": self.m.get_failed_jobs, "get_running_jobs": self.m.get_running_jobs,
            "get_pending_jobs": self.m.get_pending_jobs,
            "get_completed_jobs": self.m.get_completed_jobs,
        }
        for name, call in calls.items():
            with self.subTest(name):
                result = await call("nosuchqueue")
                self.assertTrue(result.is_failure)
                self.assertEqual(result.error, "unknown queue 'nosuchqueue'")
        self.assertNotIn("nosuchqueue", (await self.m.get_queue_names()).value)
        self.assertIn("limit and offset must be >= 0",
                      (await self.m.get_pending_jobs(limit=-1)).error)

    async def test_queue_names_cover_tasks_workers_and_stored_jobs(self) -> None:
        other = self.manager(storage=self.new_storage())
        other.register_task("x", lambda: None, queue="extra")
        await self.enqueue_ok(other, "x")
        self.assertEqual((await self.m.get_queue_names()).value, {"default", "mail", "extra"})

    async def test_get_job_of_unknown_id_is_success_with_none(self) -> None:
        result = await self.m.get_job("ghost")
        self.assertTrue(result.is_success)
        self.assertIsNone(result.value)

    async def test_wait_for_job_times_out_and_rejects_unknown_ids(self) -> None:
        job_id = await self.enqueue_ok(self.m, "record", args=["never run"])
        with self.assertRaises(TimeoutError):
            await self.m.wait_for_job(job_id, timeout=0.1)
        with self.assertRaisesRegex(LookupError, "no job with id 'ghost'"):
            await self.m.wait_for_job("ghost", timeout=1)

    async def test_wait_for_job_returns_on_each_finished_status(self) -> None:
        cancelled = await self.enqueue_ok(self.m, "record", args=["c"])
        waiter = asyncio.create_task(self.m.wait_for_job(cancelled, timeout=5))
        await asyncio.sleep(0.05)
        await self.m.cancel_job(cancelled)
        self.assertEqual((await waiter).status, JobStatus.CANCELLED)
        async with self.m:
            jobs = {
                JobStatus.COMPLETED: await self.enqueue_ok(self.m, "record", args=["ok"]),
                JobStatus.FAILED: await self.enqueue_ok(self.m, "fail"),
                JobStatus.TIMEOUT: await self.enqueue_ok(self.m, "hold", timeout=0.05),
            }
            for status, job_id in jobs.items():
                self.assertEqual((await self.m.wait_for_job(job_id, timeout=5)).status, status)

    def _is(self, job_id: str, status: JobStatus):
        async def check() -> bool:
            return await status_of(self.m, job_id) is status

        return check


class SQLiteControlTests(ControlTests):
    storage_kind = "sqlite"

    async def test_get_job_of_an_undecodable_row_is_a_failed_result(self) -> None:
        job_id = await self.enqueue_ok(self.m, "record", args=["x"])
        with closing(sqlite3.connect(self.db_path)) as conn, conn:
            conn.execute("UPDATE jobs SET data = '{broken' WHERE id = ?", (job_id,))
        result = await self.m.get_job(job_id)
        self.assertTrue(result.is_failure)
        self.assertIn(f"cannot read job {job_id!r}", result.error)
        self.assertIn("could not be decoded", result.error)


class PostgresControlTests(ControlTests):
    storage_kind = "postgres"


class RedisControlTests(ControlTests):
    storage_kind = "redis"
