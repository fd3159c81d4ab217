"""The order a single worker (concurrency 1) runs jobs in: strict priority, then
first in first out; a job never runs before it is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from uno.jobs import Priority

from .support import RuntimeCase, eventually, fast_worker


class OrderingTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.m = self.manager(workers=[fast_worker(concurrency=1)])
        self.ran: list[str] = []
        self.ran_at: dict[str, datetime] = {}

        @self.m.task()
        async def record(label: str) -> None:
            self.ran.append(label)
            self.ran_at[label] = datetime.now(UTC)

    async def enqueue(self, label: str, **options: object) -> str:
        return await self.enqueue_ok(self.m, "record", args=[label], **options)

    async def run_all(self, count: int) -> None:
        async with self.m:
            await eventually(lambda: len(self.ran) == count, what=f"{count} jobs to run")

    async def test_priority_order_then_fifo(self) -> None:
        plan = [("low-1", Priority.LOW), ("normal-1", Priority.NORMAL),
                ("critical-1", Priority.CRITICAL), ("high-1", Priority.HIGH),
                ("normal-2", Priority.NORMAL), ("low-2", Priority.LOW),
                ("critical-2", Priority.CRITICAL), ("high-2", Priority.HIGH),
                ("normal-3", Priority.NORMAL)]
        for label, priority in plan:
            await self.enqueue(label, priority=priority)
        await self.run_all(len(plan))
        self.assertEqual(self.ran, ["critical-1", "critical-2", "high-1", "high-2", "normal-1",
                                    "normal-2", "normal-3", "low-1", "low-2"])

    async def test_fifo_within_one_priority_over_many_jobs(self) -> None:
        labels = [f"job-{n:03d}" for n in range(60)]
        for label in labels:
            await self.enqueue(label)
        await self.run_all(len(labels))
        self.assertEqual(self.ran, labels)

    async def test_job_never_runs_before_it_is_due(self) -> None:
        due = datetime.now(UTC) + timedelta(seconds=0.4)
        await self.enqueue("later-critical", priority=Priority.CRITICAL, scheduled_at=due)
        await self.enqueue("now-low", priority=Priority.LOW)
        await self.run_all(2)
        self.assertEqual(self.ran, ["now-low", "later-critical"])
        self.assertGreaterEqual(self.ran_at["later-critical"], due)
        job = (await self.m.get_completed_jobs()).value[0]
        self.assertGreaterEqual(job.started_at, due)

    async def test_job_enqueued_while_running_waits_for_its_scheduled_time(self) -> None:
        async with self.m:
            due = datetime.now(UTC) + timedelta(seconds=0.3)
            job_id = await self.enqueue("delayed", scheduled_at=due)
            await eventually(lambda: self.ran == ["delayed"], what="delayed job")
        self.assertGreaterEqual(self.ran_at["delayed"], due)
        self.assertGreaterEqual((await self.job(self.m, job_id)).started_at, due)

    async def test_past_scheduled_at_runs_at_once_in_priority_order(self) -> None:
        past = datetime.now(UTC) - timedelta(hours=1)
        await self.enqueue("normal", priority=Priority.NORMAL)
        await self.enqueue("high-overdue", priority=Priority.HIGH, scheduled_at=past)
        await self.enqueue("low-overdue", priority=Priority.LOW, scheduled_at=past)
        await self.run_all(3)
        self.assertEqual(self.ran, ["high-overdue", "normal", "low-overdue"])

    async def test_priority_beats_queue_order_for_a_worker_on_several_queues(self) -> None:
        m = self.manager(workers=[fast_worker(concurrency=1, queues=["a", "b"])])
        m.register_task("record_a", self.m.get_task("record").handler, queue="a")
        m.register_task("record_b", self.m.get_task("record").handler, queue="b")
        await self.enqueue_ok(m, "record_a", args=["a-normal"])
        await self.enqueue_ok(m, "record_b", args=["b-high"], priority=Priority.HIGH)
        await self.enqueue_ok(m, "record_a", args=["a-critical"], priority=Priority.CRITICAL)
        async with m:
            await eventually(lambda: len(self.ran) == 3, what="3 jobs")
        self.assertEqual(self.ran, ["a-critical", "b-high", "a-normal"])


class SQLiteOrderingTests(OrderingTests):
    storage_kind = "sqlite"


class PostgresOrderingTests(OrderingTests):
    storage_kind = "postgres"
