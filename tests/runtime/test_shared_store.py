"""What the shared storage interface gives the runtime: batched claims,
scheduled jobs that start when due, cancel atomic against a claim, one
maintenance round at a time per store, and lifecycle writes that outlast a
short store outage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from uno.jobs import InMemoryJobStorage, Job, JobStatus, Result
from uno.jobs.errors import JobStalledError, StorageUnavailableError
from uno.jobs.job import utcnow

from .support import RuntimeCase, fast_worker, status_of


class ClaimRecordingStorage(InMemoryJobStorage):
    """The in-memory store, remembering how many jobs each claim asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[int] = []

    async def claim_batch(self, queues: Sequence[str], worker_id: str, now: datetime,
                          limit: int) -> list[Job]:
        self.limits.append(limit)
        return await super().claim_batch(queues, worker_id, now, limit)


class OutageStorage(InMemoryJobStorage):
    """The in-memory store with a switch: while ``down``, every call that reads
    or writes jobs raises ``StorageUnavailableError``, as a lost database would."""

    down = False

    def go_down_for(self, seconds: float) -> None:
        self.down = True
        asyncio.get_running_loop().call_later(seconds, setattr, self, "down", False)

    def _check(self) -> None:
        if self.down:
            raise StorageUnavailableError(f"{self.describe()}: connection lost")


for _name in ("add", "add_many", "update", "transition", "heartbeat", "claim_batch",
              "find_stalled", "get", "try_acquire_lease", "list_jobs"):
    def _guarded(name: str = _name) -> Any:
        original = getattr(InMemoryJobStorage, name)

        async def method(self: OutageStorage, *args: Any, **kwargs: Any) -> Any:
            self._check()
            return await original(self, *args, **kwargs)

        return method

    setattr(OutageStorage, _name, _guarded())


class SharedStoreTests(RuntimeCase):
    async def test_free_slots_are_filled_by_one_claim(self) -> None:
        storage = ClaimRecordingStorage()
        m = self.manager(storage=storage, workers=[fast_worker(concurrency=5)])
        m.register_task("noop", lambda: None)
        job_ids = [await self.enqueue_ok(m, "noop") for _ in range(5)]
        async with m:
            for job_id in job_ids:
                await self.finished(m, job_id)
        self.assertEqual(storage.limits[0], 5)

    async def test_a_busy_worker_claims_several_jobs_at_a_time(self) -> None:
        storage = ClaimRecordingStorage()
        m = self.manager(storage=storage, workers=[fast_worker(concurrency=8)])

        async def short(n: int) -> None:  # jobs that end one by one, as over a network
            await asyncio.sleep(0.0005 * (n % 7))

        m.register_task("short", short)
        job_ids = (await m.enqueue_many("short", [[n] for n in range(200)])).unwrap()
        async with m:
            for job_id in job_ids:
                await self.finished(m, job_id)
        claims_while_busy = storage.limits[1:]
        # one claim per freed slot would average about 2 here
        self.assertGreaterEqual(sum(claims_while_busy) / len(claims_while_busy), 3)

    async def test_scheduled_job_starts_when_due_not_at_the_next_poll(self) -> None:
        m = self.manager(workers=[fast_worker(poll_interval=60)])
        m.register_task("noop", lambda: "ran")
        async with m:
            await asyncio.sleep(0.05)  # the worker is idle, sleeping up to 60 s
            job_id = await self.enqueue_ok(m, "noop",
                                           scheduled_at=utcnow() + timedelta(seconds=0.3))
            job = await self.finished(m, job_id, timeout=10)
        self.assertEqual(job.result, "ran")

    async def test_cancel_loses_to_a_claim(self) -> None:
        m = self.manager()
        m.register_task("noop", lambda: None)
        job_id = await self.enqueue_ok(m, "noop")
        job = await self.job(m, job_id)  # read while pending ...
        await self.storage.claim_next(["default"], "w", utcnow())  # ... then a worker claims it
        job.status = JobStatus.CANCELLED
        self.assertFalse(await self.storage.transition(job, [JobStatus.PENDING]))
        result = await m.cancel_job(job_id)
        self.assertTrue(result.is_failure)
        self.assertEqual(await status_of(m, job_id), JobStatus.RUNNING)

    async def test_stall_sweep_does_not_fail_a_job_that_finished_meanwhile(self) -> None:
        m = self.manager()
        job = Job(task_name="work", status=JobStatus.COMPLETED, result=1)
        await self.storage.add(job)
        stale = Job(id=job.id, task_name="work", status=JobStatus.RUNNING)  # read before
        after = await m.fail_job(stale, JobStalledError("gone"), only_if=[JobStatus.RUNNING])
        self.assertEqual((after.status, after.result), (JobStatus.COMPLETED, 1))

    async def test_one_maintenance_round_at_a_time_per_store(self) -> None:
        then = utcnow() - timedelta(minutes=5)
        job = Job(task_name="work", status=JobStatus.RUNNING, created_at=then, started_at=then,
                  updated_at=then, worker_id="ghost", retry_delay=timedelta(hours=1))
        await self.storage.add(job)
        first = self.manager(stall_timeout=timedelta(seconds=30))
        second = self.manager(storage=self.new_storage(), stall_timeout=timedelta(seconds=30))
        counts = await asyncio.gather(first._maintenance.run_once(),
                                      second._maintenance.run_once())
        self.assertEqual(sorted(counts), [(0, 0), (1, 0)])
        stored = await self.job(first, job.id)
        self.assertEqual((stored.status, stored.retry_count), (JobStatus.RETRYING, 1))


class SQLiteSharedStoreTests(SharedStoreTests):
    storage_kind = "sqlite"


class RedisSharedStoreTests(SharedStoreTests):
    storage_kind = "redis"


class StoreOutageTests(RuntimeCase):
    async def finished(self, manager, job_id: str, timeout: float = 5.0) -> Job:
        """``wait_for_job``, asked again while the store is away (it raises then)."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    return await manager.wait_for_job(job_id)
                except StorageUnavailableError:
                    await asyncio.sleep(0.05)

    async def test_enqueue_while_the_store_is_away_is_a_failed_result(self) -> None:
        storage = OutageStorage()
        m = self.manager(storage=storage)
        m.register_task("work", lambda: None)
        storage.down = True
        for result in (await m.enqueue("work"), await m.enqueue_many("work", [[], []])):
            self.assertEqual(result.code, Result.UNAVAILABLE)
            self.assertIn("memory://: connection lost", result.error)
        storage.down = False
        self.assertEqual(await storage.count_by_queue_and_status(), {})

    async def test_job_finished_while_the_store_is_away_is_recorded_when_it_returns(self):
        storage = OutageStorage()
        m = self.manager(storage=storage, workers=[fast_worker()],
                         stall_timeout=timedelta(seconds=20))

        @m.task(max_retries=0)
        async def work() -> str:
            storage.go_down_for(0.5)
            return "done"

        async with m:
            job_id = await self.enqueue_ok(m, "work")
            job = await self.finished(m, job_id)
        self.assertEqual((job.status, job.result, job.retry_count), (JobStatus.COMPLETED,
                                                                     "done", 0))

    async def test_job_not_recorded_in_time_is_retried_by_the_stall_sweep(self) -> None:
        storage = OutageStorage()
        m = self.manager(storage=storage, workers=[fast_worker()],
                         stall_timeout=timedelta(seconds=0.4))
        attempts: list[int] = []

        @m.task(max_retries=2, retry_delay=timedelta(0))
        async def work() -> int:
            attempts.append(1)
            if len(attempts) == 1:
                storage.go_down_for(1.0)  # longer than the write retries wait
            return len(attempts)

        async with m:
            job_id = await self.enqueue_ok(m, "work")
            job = await self.finished(m, job_id, timeout=10)
        self.assertEqual((job.status, job.result, job.retry_count), (JobStatus.COMPLETED, 2, 1))


class PostgresSharedStoreTests(SharedStoreTests):
    storage_kind = "postgres"
