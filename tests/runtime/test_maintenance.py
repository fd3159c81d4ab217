"""The manager's cleanup loop: RUNNING jobs without a heartbeat for
``stall_timeout`` are failed (retried while they have retries); finished jobs
older than ``cleanup_age`` are deleted every ``cleanup_interval``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from uno.jobs import Job, JobStatus
from uno.jobs.job import utcnow

from .support import RuntimeCase, eventually, fast_worker, status_of

LONG_AGO = timedelta(minutes=5)


class MaintenanceTests(RuntimeCase):
    async def store(self, status: JobStatus, age: timedelta, **fields: object) -> str:
        """A job stored directly with ``updated_at`` ``age`` ago, as a dead worker left it."""
        then = utcnow() - age
        job = Job(task_name="work", status=status, created_at=then, updated_at=then,
                  started_at=then if status is not JobStatus.PENDING else None, **fields)
        if status.is_finished:
            job.completed_at = then
        await self.storage.add(job)
        return job.id

    async def test_stalled_running_job_is_failed_with_a_clear_error(self) -> None:
        stalled = await self.store(JobStatus.RUNNING, LONG_AGO, worker_id="ghost", max_retries=0)
        fresh = await self.store(JobStatus.RUNNING, timedelta(0), worker_id="alive")
        m = self.manager(stall_timeout=timedelta(seconds=30))
        async with m:
            job = await self.finished(m, stalled)
            self.assertEqual(await status_of(m, fresh), JobStatus.RUNNING)
        self.assertEqual(job.status, JobStatus.FAILED)
        self.assertEqual(job.error, "JobStalledError: no heartbeat from worker 'ghost' for 0:00:30")

    async def test_stalled_job_with_retries_left_is_retried_and_then_runs(self) -> None:
        stalled = await self.store(JobStatus.RUNNING, LONG_AGO, worker_id="ghost",
                                   max_retries=2, retry_delay=timedelta(0))
        m = self.manager(workers=[fast_worker()], stall_timeout=timedelta(seconds=1))
        m.register_task("work", lambda: "recovered")
        async with m:
            job = await self.finished(m, stalled)
        self.assertEqual((job.status, job.result, job.retry_count),
                         (JobStatus.COMPLETED, "recovered", 1))

    async def test_job_that_stalls_later_is_failed_by_the_loop(self) -> None:
        m = self.manager(stall_timeout=timedelta(seconds=0.3))
        async with m:
            job_id = await self.store(JobStatus.RUNNING, timedelta(0), worker_id="dies",
                                      max_retries=0)
            await asyncio.sleep(0.1)
            self.assertEqual(await status_of(m, job_id), JobStatus.RUNNING)
            job = await self.finished(m, job_id, timeout=3)
        self.assertIn("JobStalledError", job.error)

    async def test_slow_job_with_heartbeat_is_not_failed_as_stalled(self) -> None:
        m = self.manager(workers=[fast_worker()], stall_timeout=timedelta(seconds=0.3))

        @m.task(max_retries=0)
        async def slow() -> str:
            await asyncio.sleep(1.0)
            return "finished"

        async with m:
            job = await self.finished(m, await self.enqueue_ok(m, "slow"))
        self.assertEqual((job.status, job.result, job.error), (JobStatus.COMPLETED, "finished",
                                                               None))

    async def test_finished_jobs_older_than_cleanup_age_are_deleted(self) -> None:
        old = {status: await self.store(status, timedelta(days=2)) for status in
               (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMEOUT)}
        recent = await self.store(JobStatus.COMPLETED, timedelta(hours=1))
        old_pending = await self.store(JobStatus.PENDING, timedelta(days=2))
        m = self.manager(cleanup_age=timedelta(days=1))
        async with m:
            await eventually(self._gone(m, *old.values()), what="old jobs to be deleted")
            self.assertEqual(await status_of(m, recent), JobStatus.COMPLETED)
            self.assertEqual(await status_of(m, old_pending), JobStatus.PENDING)

    async def test_cleanup_runs_again_every_cleanup_interval(self) -> None:
        m = self.manager(cleanup_age=timedelta(seconds=0.2),
                         cleanup_interval=timedelta(seconds=0.1))
        async with m:
            await asyncio.sleep(0.05)  # the first pass has run
            job_id = await self.store(JobStatus.COMPLETED, timedelta(0))
            await asyncio.sleep(0.1)
            self.assertEqual(await status_of(m, job_id), JobStatus.COMPLETED)
            await eventually(self._gone(m, job_id), timeout=3, what="cleanup pass")

    async def test_no_cleanup_before_cleanup_interval_has_passed(self) -> None:
        m = self.manager(cleanup_age=timedelta(seconds=0.1), cleanup_interval=timedelta(hours=1),
                         stall_timeout=timedelta(seconds=0.3))
        async with m:
            await asyncio.sleep(0.05)
            job_id = await self.store(JobStatus.COMPLETED, timedelta(0))
            await asyncio.sleep(0.5)  # several stall checks, but cleanup is hourly
            self.assertEqual(await status_of(m, job_id), JobStatus.COMPLETED)

    @staticmethod
    def _gone(m, *job_ids: str):
        async def check() -> bool:
            return all([(await m.get_job(job_id)).value is None for job_id in job_ids])

        return check


class SQLiteMaintenanceTests(MaintenanceTests):
    storage_kind = "sqlite"


class AbandonedClaimTests(RuntimeCase):
    async def test_a_job_whose_worker_died_after_claiming_it_is_retried(self) -> None:
        m = self.manager(stall_timeout=timedelta(seconds=1))
        then = utcnow() - LONG_AGO
        job = Job(task_name="noop", created_at=then, updated_at=then)
        await m.storage.add(job)
        self.assertEqual((await m.storage.claim_next(["default"], "dead-worker", then)).id, job.id)
        await m._maintenance.run_once()
        job = (await m.get_job(job.id)).value
        self.assertEqual((job.status, job.worker_id, job.retry_count),
                         (JobStatus.RETRYING, None, 1))
        self.assertEqual(job.error, "JobStalledError: no heartbeat from worker 'dead-worker' "
                                    "for 0:00:01")

    async def test_a_reserved_job_left_by_an_earlier_version_goes_back_to_pending(self) -> None:
        m = self.manager(stall_timeout=timedelta(seconds=1))
        then = utcnow() - timedelta(seconds=5)
        job = Job(task_name="noop", status=JobStatus.RESERVED, worker_id="old-worker",
                  created_at=then, updated_at=then)
        await m.storage.add(job)
        await m._maintenance.run_once()
        stored = (await m.get_job(job.id)).value
        self.assertEqual((stored.status, stored.worker_id, stored.retry_count),
                         (JobStatus.PENDING, None, 0))


class PostgresMaintenanceTests(MaintenanceTests):
    storage_kind = "postgres"


class RedisMaintenanceTests(MaintenanceTests):
    storage_kind = "redis"
