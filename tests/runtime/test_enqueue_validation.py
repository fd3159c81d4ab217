"""``enqueue`` stores exactly what it was given, or answers a failed ``Result``
naming the bad argument and stores nothing; bad task registrations raise
``ValueError`` at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from uno.jobs import JobManager, Priority, Result

from .support import RuntimeCase, is_utc


async def noop() -> None:
    return None


class EnqueueValidationTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.m = self.manager()
        self.m.register_task("noop", noop, queue="mail", max_retries=4, retry_delay=7,
                             timeout=30)

    async def assert_rejected(self, expected: str, **options: object) -> None:
        result = await self.m.enqueue("noop", **options)
        self.assertTrue(result.is_failure, f"{options} was accepted")
        self.assertIn(expected, result.error)
        self.assertEqual(await self.storage.count_by_queue_and_status(), {},
                         "a rejected job was stored")

    async def test_unknown_task_is_a_failed_result_naming_the_task(self) -> None:
        result = await self.m.enqueue("no_such_task")
        self.assertTrue(result.is_failure)
        self.assertIn("unknown task 'no_such_task'", result.error)
        self.assertEqual(result.code, Result.UNKNOWN_TASK)
        self.assertEqual(await self.storage.count_by_queue_and_status(), {})

    async def test_priority_that_is_not_a_priority_is_rejected(self) -> None:
        for bad in (5, 99, -1, "urgent", 1.5, None, True):
            with self.subTest(priority=bad):
                await self.assert_rejected("priority must be a Priority", priority=bad)

    async def test_priority_given_by_value_or_name_is_stored_as_priority(self) -> None:
        by_value = await self.enqueue_ok(self.m, "noop", priority=10)
        by_name = await self.enqueue_ok(self.m, "noop", priority="critical")
        self.assertIs((await self.job(self.m, by_value)).priority, Priority.HIGH)
        self.assertIs((await self.job(self.m, by_name)).priority, Priority.CRITICAL)

    async def test_negative_or_zero_timeout_is_rejected(self) -> None:
        await self.assert_rejected("timeout must be positive", timeout=-1)
        await self.assert_rejected("timeout must be positive", timeout=timedelta(seconds=-5))
        await self.assert_rejected("timeout must be positive", timeout=0)

    async def test_bad_retry_settings_are_rejected(self) -> None:
        await self.assert_rejected("retry_delay must be zero or positive", retry_delay=-1)
        await self.assert_rejected("max_retries must be an int >= 0", max_retries=-1)
        await self.assert_rejected("max_retries must be an int >= 0", max_retries=1.5)

    async def test_naive_scheduled_at_is_rejected(self) -> None:
        await self.assert_rejected("scheduled_at must be timezone-aware",
                                   scheduled_at=datetime(2030, 1, 1))
        await self.assert_rejected("scheduled_at must be a datetime", scheduled_at="tomorrow")

    async def test_malformed_arguments_are_rejected_by_name(self) -> None:
        cases = {
            "args must be a list or tuple": {"args": "abc"},
            "kwargs must be a dict": {"kwargs": [("a", 1)]},
            "kwargs keys must be strings": {"kwargs": {1: "a"}},
            "metadata must be a dict": {"metadata": ["x"]},
            "tags must be a list of strings": {"tags": "urgent"},
            "queue_name must be a non-empty string": {"queue_name": ""},
            "job_id must be a non-empty string": {"job_id": ""},
        }
        for expected, options in cases.items():
            with self.subTest(expected):
                await self.assert_rejected(expected, **options)

    async def test_duplicate_job_id_is_rejected_and_first_job_kept(self) -> None:
        await self.enqueue_ok(self.m, "noop", job_id="once", args=[1])
        result = await self.m.enqueue("noop", job_id="once", args=[2])
        self.assertTrue(result.is_failure)
        self.assertIn("already exists", result.error)
        self.assertEqual(result.code, Result.DUPLICATE)
        self.assertEqual((await self.job(self.m, "once")).args, [1])
        pending = (await self.m.get_pending_jobs()).value
        self.assertEqual([j.id for j in pending], ["once"])

    async def test_enqueue_stores_every_option(self) -> None:
        due = datetime.now(UTC) + timedelta(hours=1)
        job_id = await self.enqueue_ok(
            self.m, "noop", args=[1, "two"], kwargs={"k": [3]}, queue_name="other",
            priority=Priority.LOW, job_id="custom-id", scheduled_at=due, max_retries=1,
            retry_delay=timedelta(seconds=2), timeout=timedelta(seconds=3),
            metadata={"traceparent": "00-abc"}, tags=["a", "b"],
        )
        self.assertEqual(job_id, "custom-id")
        job = await self.job(self.m, job_id)
        self.assertEqual((job.task_name, job.queue_name, job.priority), ("noop", "other",
                                                                         Priority.LOW))
        self.assertEqual((job.args, job.kwargs), ([1, "two"], {"k": [3]}))
        self.assertEqual(job.scheduled_at, due)
        self.assertEqual((job.max_retries, job.retry_delay, job.timeout),
                         (1, timedelta(seconds=2), timedelta(seconds=3)))
        self.assertEqual((job.metadata, job.tags), ({"traceparent": "00-abc"}, ["a", "b"]))
        self.assertEqual((job.status.value, job.retry_count, job.worker_id), ("pending", 0, None))
        self.assertTrue(is_utc(job.created_at) and is_utc(job.updated_at))

    async def test_task_defaults_apply_when_enqueue_leaves_them_out(self) -> None:
        job = await self.job(self.m, await self.enqueue_ok(self.m, "noop"))
        self.assertEqual(job.queue_name, "mail")
        self.assertEqual(job.priority, Priority.NORMAL)
        self.assertEqual((job.max_retries, job.retry_delay, job.timeout),
                         (4, timedelta(seconds=7), timedelta(seconds=30)))


class SQLiteEnqueueValidationTests(EnqueueValidationTests):
    storage_kind = "sqlite"

    async def test_args_sqlite_cannot_serialise_are_rejected_and_nothing_stored(self) -> None:
        await self.assert_rejected("args are not JSON-serialisable", args=[object()])
        await self.assert_rejected("kwargs are not JSON-serialisable", kwargs={"x": {1, 2}})
        await self.assert_rejected("metadata is not JSON-serialisable",
                                   metadata={"n": float("nan")})
        result = await self.m.enqueue("noop", args=[object()])
        self.assertIn("cannot enqueue 'noop'", result.error)


class TaskRegistrationTests(RuntimeCase):
    def test_bad_registrations_raise_value_error_naming_the_problem(self) -> None:
        m = JobManager(self.storage)
        cases = {
            "task name must be a non-empty string": ("", noop, {}),
            "handler must be callable": ("t", "not callable", {}),
            "max_retries must be an int >= 0": ("t", noop, {"max_retries": -1}),
            "timeout must be positive": ("t", noop, {"timeout": -2}),
            "retry_delay must be zero or positive": ("t", noop, {"retry_delay": -1}),
            "queue must be a non-empty string": ("t", noop, {"queue": ""}),
        }
        for expected, (name, handler, options) in cases.items():
            with self.subTest(expected), self.assertRaisesRegex(ValueError, expected):
                m.register_task(name, handler, **options)
        self.assertEqual(m.tasks.names(), [])

    def test_decorator_registers_under_function_name_or_given_name(self) -> None:
        m = JobManager(self.storage)

        @m.task()
        async def first() -> None: ...

        @m.task(name="renamed", description="does things", queue="q", max_retries=0)
        def second() -> None: ...

        self.assertEqual(m.tasks.names(), ["first", "renamed"])
        self.assertIs(m.get_task("renamed").handler, second)
        self.assertEqual((m.get_task("renamed").queue, m.get_task("renamed").max_retries),
                         ("q", 0))
        with self.assertRaisesRegex(ValueError, "timeout must be positive"):
            m.task(timeout=-1)(noop)


class PostgresEnqueueValidationTests(EnqueueValidationTests):
    storage_kind = "postgres"
