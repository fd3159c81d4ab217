"""Four ``python -m uno.jobs worker`` processes on one store: 2,000 jobs each run
exactly once and none is lost; a worker SIGKILLed mid-job loses nothing — its
jobs are failed as stalled after the stall timeout and complete elsewhere.
Run against SQLite, PostgreSQL and Redis (each in a namespace of its own)."""

from __future__ import annotations

import os
import signal

from uno.jobs import JobStatus

from .support import StoreCase, eventually


class ManyWorkersTests(StoreCase):
    store_kind = "sqlite"

    async def stop_workers(self, *workers) -> None:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            self.assert_exits_cleanly(proc)

    async def test_four_workers_run_each_of_2000_jobs_exactly_once(self) -> None:
        workers = [self.spawn_worker(concurrency=10) for _ in range(4)]
        labels = [f"job-{n:04d}" for n in range(2000)]
        await self.enqueue_marks(labels)
        await self.wait_completed(len(labels), timeout=60)
        await self.stop_workers(*workers)
        await self.assert_each_completed_once(labels)
        pids = {pid for _event, _label, pid in self.marks().lines}
        self.assertLessEqual(pids, {proc.pid for proc in workers})
        self.assertGreater(len(pids), 1, "the jobs should spread over the processes")
        self.assertEqual(await self.count(JobStatus.PENDING), 0)

    async def test_a_killed_workers_jobs_complete_elsewhere_after_the_stall_timeout(self) -> None:
        # the worker processes run the app's manager: its 2 s stall timeout, its sweep
        workers = [self.spawn_worker(concurrency=5) for _ in range(4)]  # proc-0 .. proc-3
        labels = [f"slow-{n:03d}" for n in range(200)]
        await self.enqueue_marks(labels, seconds=0.3)
        victim, survivors = workers[0], workers[1:]

        def victim_in_flight() -> set[str]:
            marks = self.marks()
            return marks.by_pid(victim.pid, "start") - marks.by_pid(victim.pid, "done")

        await eventually(lambda: bool(victim_in_flight()), timeout=30,
                         what="the victim to be running jobs")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        lost = victim_in_flight()
        self.assertTrue(lost)
        await self.wait_completed(len(labels), timeout=60)
        await self.stop_workers(*survivors)
        await self.assert_each_completed_once(labels)
        marks = self.marks()
        jobs = {job.args[0]: job for job in
                await self.storage.list_jobs([JobStatus.COMPLETED], limit=500)}
        for label in lost:
            self.assertNotEqual(marks.pids_of(label), [victim.pid], label)
            self.assertEqual(jobs[label].retry_count, 1, f"{label} should be retried once")
            self.assertNotEqual(jobs[label].worker_id, "proc-0")


class PostgresManyWorkersTests(ManyWorkersTests):
    store_kind = "postgres"


class RedisManyWorkersTests(ManyWorkersTests):
    store_kind = "redis"
