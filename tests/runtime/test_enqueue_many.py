"""``enqueue_many``: one job per element of ``args_list``, stored all or
nothing, on every store; a bad element is a failed Result that names it."""

from __future__ import annotations

from datetime import timedelta

from uno.jobs import JobStatus, Priority
from uno.jobs.job import utcnow

from .support import RuntimeCase, fast_worker


class EnqueueManyTests(RuntimeCase):
    def add_task(self, m) -> None:
        @m.task(queue="maths")
        async def add(a: int, b: int = 0) -> int:
            return a + b

    async def test_every_job_runs_with_its_arguments(self) -> None:
        m = self.manager(workers=[fast_worker(queues=["maths"])])
        self.add_task(m)
        async with m:
            result = await m.enqueue_many("add", [[1, 2], [3], [5]],
                                          kwargs_list=[{}, {"b": 4}, {"b": 6}])
            self.assertTrue(result.is_success, result.error)
            jobs = [await self.finished(m, job_id) for job_id in result.value]
        self.assertEqual([job.result for job in jobs], [3, 7, 11])
        self.assertEqual(len(set(result.value)), 3)

    async def test_options_apply_to_every_job(self) -> None:
        m = self.manager()
        self.add_task(m)
        later = utcnow() + timedelta(hours=1)
        result = await m.enqueue_many("add", [[1], [2]], queue_name="urgent",
                                      priority=Priority.HIGH, scheduled_at=later,
                                      metadata={"request": "r-1"})
        for job_id in result.value:
            job = await self.job(m, job_id)
            self.assertEqual((job.queue_name, job.priority, job.scheduled_at, job.metadata,
                              job.status), ("urgent", Priority.HIGH, later, {"request": "r-1"},
                                            JobStatus.PENDING))

    async def test_a_bad_element_is_named_and_nothing_is_stored(self) -> None:
        m = self.manager()
        self.add_task(m)
        result = await m.enqueue_many("add", [[1], "oops", [3]])
        self.assertTrue(result.is_failure)
        self.assertIn("element 1 of args_list", result.error)
        bad_kwargs = await m.enqueue_many("add", [[1], [2]], kwargs_list=[{}, {1: 2}])
        self.assertIn("element 1 of args_list: kwargs keys must be strings", bad_kwargs.error)
        self.assertEqual((await m.get_queue_length("maths")).value, 0)

    async def test_mismatched_lists_and_unknown_tasks_are_failed_results(self) -> None:
        m = self.manager()
        self.add_task(m)
        mismatch = await m.enqueue_many("add", [[1], [2]], kwargs_list=[{}])
        self.assertIn("kwargs_list has 1 elements, args_list 2", mismatch.error)
        self.assertIn("must be a list", (await m.enqueue_many("add", "12")).error)
        self.assertIn("unknown task", (await m.enqueue_many("nope", [[1]])).error)
        self.assertEqual((await m.enqueue_many("add", [])).value, [])
        self.assertEqual((await m.get_queue_length("maths")).value, 0)


class SQLiteEnqueueManyTests(EnqueueManyTests):
    storage_kind = "sqlite"

    async def test_an_unstorable_element_is_named_and_nothing_is_stored(self) -> None:
        m = self.manager()
        self.add_task(m)
        result = await m.enqueue_many("add", [[1], [object()]])
        self.assertTrue(result.is_failure)
        self.assertIn("job 1 of the batch: job args are not JSON-serialisable", result.error)
        self.assertEqual((await m.get_queue_length("maths")).value, 0)


class PostgresEnqueueManyTests(SQLiteEnqueueManyTests):
    storage_kind = "postgres"
