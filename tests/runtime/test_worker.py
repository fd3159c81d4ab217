"""``AsyncWorker``: its queues and concurrency limit, busy/idle state, health
details, the heartbeat, and ``stop()``: a grace period for in-flight jobs, then
cancellation."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import unittest
from contextlib import closing
from datetime import timedelta
from typing import Any

from uno.jobs import AsyncWorker, InMemoryJobStorage, Job, JobManager, JobStatus

from .support import RuntimeCase, eventually, fast_worker, status_of


class WorkerTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.release = asyncio.Event()
        self.running_now = 0
        self.most_at_once = 0
        self.ran: list[str] = []

    def add_tasks(self, m) -> None:
        @m.task(max_retries=0)
        async def hold(label: str = "") -> str:
            self.running_now += 1
            self.most_at_once = max(self.most_at_once, self.running_now)
            try:
                await self.release.wait()
            finally:
                self.running_now -= 1
            self.ran.append(label)
            return label

        @m.task(max_retries=0)
        async def nap(seconds: float) -> str:
            await asyncio.sleep(seconds)
            return "woke"

        @m.task(queue="other")
        async def elsewhere() -> str:
            return "other"

    async def test_concurrency_limit_is_respected(self) -> None:
        worker = fast_worker(concurrency=3)
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        ids = [await self.enqueue_ok(m, "hold", args=[str(n)]) for n in range(8)]
        async with m:
            await eventually(lambda: self.running_now == 3, what="3 jobs running")
            await asyncio.sleep(0.1)  # room for a fourth claim, were the limit broken
            self.assertEqual((self.running_now, worker.active_jobs), (3, 3))
            self.assertEqual(len((await m.get_pending_jobs()).value), 5)
            self.release.set()
            for job_id in ids:
                await self.finished(m, job_id)
        self.assertEqual(self.most_at_once, 3)
        self.assertEqual(sorted(self.ran), [str(n) for n in range(8)])

    async def test_worker_only_takes_jobs_from_its_queues(self) -> None:
        m = self.manager(workers=[fast_worker(queues=["default"])])
        self.add_tasks(m)
        other = await self.enqueue_ok(m, "elsewhere")
        async with m:
            await self.finished(m, await self.enqueue_ok(m, "nap", args=[0]))
            await asyncio.sleep(0.1)
            self.assertEqual(await status_of(m, other), JobStatus.PENDING)

    async def test_busy_while_a_job_runs_and_idle_otherwise(self) -> None:
        worker = fast_worker()
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        async with m:
            self.assertFalse(worker.is_busy())
            job_id = await self.enqueue_ok(m, "hold")
            await eventually(worker.is_busy, what="worker to be busy")
            self.assertEqual(worker.get_health_details()["active_jobs"], 1)
            self.release.set()
            await self.finished(m, job_id)
            await eventually(lambda: not worker.is_busy(), what="worker to be idle")

    async def test_health_details_describe_the_worker(self) -> None:
        worker = fast_worker(name="mailer", queues=["default", "other"], concurrency=4)
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        self.assertFalse(worker.is_healthy())
        self.assertEqual(worker.get_health_details()["started_at"], None)
        async with m:
            await self.finished(m, await self.enqueue_ok(m, "nap", args=[0]))
            failing = await self.enqueue_ok(m, "nap", args=[0], timeout=timedelta(microseconds=1))
            await self.finished(m, failing)
            self.assertTrue(worker.is_healthy())
            details = worker.get_health_details()
        self.assertEqual(details["name"], "mailer")
        self.assertEqual(details["worker_type"], "AsyncWorker")
        self.assertEqual(details["queues"], ["default", "other"])
        self.assertEqual((details["concurrency"], details["active_jobs"], details["busy"]),
                         (4, 0, False))
        self.assertEqual((details["running"], details["healthy"]), (True, True))
        self.assertEqual((details["jobs_processed"], details["jobs_failed"]), (2, 1))
        self.assertIsNotNone(details["started_at"])
        self.assertIsNotNone(details["last_activity"])
        self.assertFalse(worker.is_healthy())
        self.assertFalse(worker.get_health_details()["running"])

    async def test_heartbeat_keeps_updated_at_fresh_while_a_job_runs(self) -> None:
        m = self.manager(workers=[fast_worker()], stall_timeout=timedelta(seconds=0.4))
        self.add_tasks(m)
        async with m:
            job_id = await self.enqueue_ok(m, "hold")
            await eventually(lambda: self.running_now == 1, what="job to start")
            started = (await self.job(m, job_id)).started_at
            await asyncio.sleep(0.3)  # three heartbeats at stall_timeout / 4
            beat = (await self.job(m, job_id)).updated_at
            self.assertGreaterEqual(beat - started, timedelta(seconds=0.15))
            self.assertEqual(await status_of(m, job_id), JobStatus.RUNNING)
            self.release.set()
            await self.finished(m, job_id)

    async def test_stop_lets_in_flight_jobs_finish_within_the_grace_period(self) -> None:
        worker = fast_worker(shutdown_timeout=5)
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        await m.start()
        job_id = await self.enqueue_ok(m, "nap", args=[0.3])
        await eventually(worker.is_busy, what="nap to start")
        started = time.monotonic()
        await m.stop()
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        job = await self.job(m, job_id)
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, "woke"))
        self.assertFalse(worker.running or worker.is_busy())

    async def test_stop_cancels_jobs_still_running_after_shutdown_timeout(self) -> None:
        worker = fast_worker(shutdown_timeout=0.2)
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        await m.start()
        job_id = await self.enqueue_ok(m, "hold")
        retried = await self.enqueue_ok(m, "nap", args=[30], max_retries=1, retry_delay=0)
        await eventually(lambda: worker.active_jobs == 2, what="both jobs to start")
        started = time.monotonic()
        await m.stop()
        self.assertLess(time.monotonic() - started, 2)
        job = await self.job(m, job_id)
        self.assertEqual((job.status, job.error),
                         (JobStatus.FAILED, "JobInterruptedError: job was cancelled"))
        again = await self.job(m, retried)
        self.assertEqual((again.status, again.retry_count), (JobStatus.RETRYING, 1))
        self.assertEqual(worker.get_health_details()["jobs_failed"], 2)

    async def test_stopped_worker_claims_nothing_and_can_start_again(self) -> None:
        worker = fast_worker(concurrency=1)
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        await m.start()
        await m.stop()
        job_id = await self.enqueue_ok(m, "nap", args=[0])
        await asyncio.sleep(0.1)
        self.assertEqual(await status_of(m, job_id), JobStatus.PENDING)
        async with m:
            self.assertEqual((await self.finished(m, job_id)).status, JobStatus.COMPLETED)

    async def test_several_workers_share_the_jobs(self) -> None:
        workers = [fast_worker(concurrency=2) for _ in range(3)]
        m = self.manager(workers=workers)
        self.add_tasks(m)
        ids = [await self.enqueue_ok(m, "hold", args=[str(n)]) for n in range(6)]
        async with m:
            await eventually(lambda: self.running_now == 6, what="6 jobs on 3 workers")
            self.assertEqual([w.active_jobs for w in workers], [2, 2, 2])
            self.release.set()
            jobs = [await self.finished(m, job_id) for job_id in ids]
        self.assertEqual({j.worker_id for j in jobs}, {w.name for w in workers})

    def test_bad_worker_settings_raise_value_error(self) -> None:
        for options in ({"queues": []}, {"queues": [""]}, {"concurrency": 0},
                        {"concurrency": "2"}, {"poll_interval": 0}, {"shutdown_timeout": -1}):
            with self.subTest(options), self.assertRaises(ValueError):
                AsyncWorker(**options)
        self.assertEqual(AsyncWorker(queues="emails").queues, ["emails"])
        self.assertNotEqual(AsyncWorker().name, AsyncWorker().name)


class SQLiteWorkerTests(WorkerTests):
    storage_kind = "sqlite"

    async def test_undecodable_row_fails_that_job_and_worker_keeps_going(self) -> None:
        worker = fast_worker(concurrency=1)
        m = self.manager(workers=[worker])
        self.add_tasks(m)
        broken = await self.enqueue_ok(m, "nap", args=[0])
        good = await self.enqueue_ok(m, "nap", args=[0])
        with closing(sqlite3.connect(self.db_path)) as conn, conn:
            conn.execute("UPDATE jobs SET data = '{\"not\": \"a job\"}' WHERE id = ?", (broken,))
        async with m:
            self.assertEqual((await self.finished(m, good)).result, "woke")
            self.assertTrue(worker.is_healthy())
        with closing(sqlite3.connect(self.db_path)) as conn:
            status, error = conn.execute("SELECT status, error FROM jobs WHERE id = ?",
                                         (broken,)).fetchone()
        self.assertEqual(status, "failed")
        self.assertIn(f"stored job {broken!r} could not be decoded", error)
        self.assertIn("could not be decoded", (await m.get_job(broken)).error)


class SlowAnswerStorage(InMemoryJobStorage):
    """The in-memory store whose claims that took jobs answer only once
    ``answer`` is set, like a database reply still on its way."""

    def __init__(self) -> None:
        super().__init__()
        self.took, self.answer = asyncio.Event(), asyncio.Event()

    async def claim_batch(self, *args: Any, **kwargs: Any) -> list[Job]:
        jobs = await super().claim_batch(*args, **kwargs)
        if jobs:
            self.took.set()
            await self.answer.wait()
        return jobs


class StopDuringAClaimTests(RuntimeCase):
    async def test_jobs_a_claim_in_flight_took_still_run_before_stop_returns(self) -> None:
        storage = SlowAnswerStorage()
        m = self.manager(workers=[fast_worker(shutdown_timeout=5)], storage=storage)
        m.register_task("one", lambda: 1, max_retries=0)
        await m.start()
        job_id = await self.enqueue_ok(m, "one")
        await asyncio.wait_for(storage.took.wait(), 5)
        stopping = asyncio.create_task(m.stop())
        await asyncio.sleep(0.05)  # stop() has cancelled the claim loop mid-claim
        storage.answer.set()
        await asyncio.wait_for(stopping, 5)
        job = await self.job(m, job_id)
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, 1))


class EventLoopReuseTests(unittest.TestCase):
    def test_manager_and_workers_run_again_in_a_new_event_loop(self) -> None:
        """A module-level manager used by two ``asyncio.run`` calls (or two tests)."""
        m = JobManager(InMemoryJobStorage(), workers=[fast_worker(concurrency=1)])
        m.register_task("one", lambda: 1)

        async def session() -> list[int]:
            async with m:
                ids = [(await m.enqueue("one")).value for _ in range(3)]
                await asyncio.sleep(0.05)  # the worker waits for work, then is woken
                ids.append((await m.enqueue("one")).value)
                return [(await m.wait_for_job(job_id, timeout=5)).result for job_id in ids]

        for _ in range(2):
            self.assertEqual(asyncio.run(session()), [1, 1, 1, 1])


class PostgresWorkerTests(WorkerTests):
    storage_kind = "postgres"


class RedisWorkerTests(WorkerTests):
    storage_kind = "redis"
