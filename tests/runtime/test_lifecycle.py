"""A job's life: completed with its result, retried after ``retry_delay`` as
RETRYING until ``max_retries`` and then FAILED with the error kept, TIMEOUT when
it runs too long; ``run_job_sync``; how async and plain handlers are called."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from datetime import timedelta

from uno.jobs import AsyncWorker, Job, JobManager, JobStatus
from uno.jobs.job import utcnow

from .support import RuntimeCase, eventually, fast_worker, is_utc

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


class LifecycleTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.worker = fast_worker(name="w1")
        self.m = self.manager(workers=[self.worker])
        self.attempts: list[float] = []

    async def test_completed_job_keeps_result_times_and_worker(self) -> None:
        @self.m.task()
        async def add(a: int, b: int) -> int:
            return a + b

        async with self.m:
            job_id = await self.enqueue_ok(self.m, "add", args=[2], kwargs={"b": 3})
            job = await self.finished(self.m, job_id)
        self.assertEqual((job.status, job.result, job.error), (JobStatus.COMPLETED, 5, None))
        self.assertEqual((job.worker_id, job.retry_count), ("w1", 0))
        self.assertTrue(all(is_utc(t) for t in (job.started_at, job.completed_at)))
        self.assertLessEqual(job.created_at, job.started_at)
        self.assertLessEqual(job.started_at, job.completed_at)

    async def test_failing_job_is_retried_then_failed_with_error_type_and_message(self) -> None:
        @self.m.task(max_retries=2, retry_delay=0)
        async def flaky() -> None:
            self.attempts.append(time.monotonic())
            raise ValueError(f"boom {len(self.attempts)}")

        async with self.m:
            job = await self.finished(self.m, await self.enqueue_ok(self.m, "flaky"))
        self.assertEqual(len(self.attempts), 3)
        self.assertEqual((job.status, job.retry_count), (JobStatus.FAILED, 2))
        self.assertEqual(job.error, "ValueError: boom 3")
        self.assertIsNone(job.result)
        self.assertIsNotNone(job.completed_at)

    async def test_failed_attempt_is_retrying_until_retry_delay_has_passed(self) -> None:
        @self.m.task(max_retries=1)
        async def once_bad() -> str:
            self.attempts.append(time.monotonic())
            if len(self.attempts) == 1:
                raise RuntimeError("first try")
            return "second try"

        async with self.m:
            job_id = await self.enqueue_ok(self.m, "once_bad", retry_delay=0.4)
            await eventually(lambda: len(self.attempts) == 1, what="first attempt")
            await eventually(self._status_is(job_id, JobStatus.RETRYING), what="RETRYING")
            waiting = await self.job(self.m, job_id)
            job = await self.finished(self.m, job_id)
        self.assertEqual((waiting.retry_count, waiting.error), (1, "RuntimeError: first try"))
        self.assertIsNone(waiting.worker_id)
        self.assertGreaterEqual(waiting.scheduled_at - waiting.updated_at, timedelta(seconds=0.4))
        self.assertGreaterEqual(self.attempts[1] - self.attempts[0], 0.4)
        self.assertEqual((job.status, job.result, job.error), (JobStatus.COMPLETED, "second try",
                                                               None))

    async def test_timeout_ends_job_as_timeout_without_retry(self) -> None:
        @self.m.task(max_retries=3, retry_delay=0)
        async def slow() -> None:
            self.attempts.append(time.monotonic())
            await asyncio.sleep(10)

        async with self.m:
            job = await self.finished(self.m, await self.enqueue_ok(self.m, "slow", timeout=0.1))
        self.assertEqual((job.status, job.retry_count, len(self.attempts)),
                         (JobStatus.TIMEOUT, 0, 1))
        self.assertTrue(job.error.startswith("JobTimeoutError: job exceeded its timeout"),
                        job.error)

    async def test_handler_raising_timeout_error_itself_is_an_ordinary_failure(self) -> None:
        @self.m.task(max_retries=0, timeout=5)
        async def upstream() -> None:
            raise TimeoutError("upstream did not answer")

        async with self.m:
            job = await self.finished(self.m, await self.enqueue_ok(self.m, "upstream"))
        self.assertEqual((job.status, job.error),
                         (JobStatus.FAILED, "TimeoutError: upstream did not answer"))

    async def test_job_for_a_task_unknown_to_the_worker_fails_without_retry(self) -> None:
        producer = self.manager(storage=self.new_storage())
        producer.register_task("elsewhere", lambda: None, max_retries=3, retry_delay=0)
        job_id = await self.enqueue_ok(producer, "elsewhere")
        async with self.m:
            job = await self.finished(self.m, job_id)
        self.assertEqual((job.status, job.retry_count), (JobStatus.FAILED, 0))
        self.assertIn("UnknownTaskError: no task 'elsewhere'", job.error)

    async def test_system_exit_in_thread_handler_fails_job_and_worker_keeps_going(self) -> None:
        self.m.register_task("exits", lambda: exit(3), max_retries=0)
        self.m.register_task("fine", lambda: "ok")
        async with self.m:
            bad = await self.finished(self.m, await self.enqueue_ok(self.m, "exits"))
            good = await self.finished(self.m, await self.enqueue_ok(self.m, "fine"))
            self.assertTrue(self.worker.is_healthy())
        self.assertEqual((bad.status, bad.error), (JobStatus.FAILED, "SystemExit: 3"))
        self.assertEqual((good.status, good.result), (JobStatus.COMPLETED, "ok"))

    async def test_start_job_stores_a_job_that_was_only_reserved_as_running(self) -> None:
        """A job reserved the earlier way (by an older version) is started here."""
        self.m.register_task("t", lambda: None)
        reserved = Job(task_name="t", status=JobStatus.RESERVED, worker_id="custom")
        await self.storage.add(reserved)
        started = await self.m.start_job(reserved, "custom")
        stored = await self.job(self.m, reserved.id)
        self.assertEqual((stored.status, stored.worker_id, stored.started_at),
                         (JobStatus.RUNNING, "custom", started.started_at))
        self.assertIsNotNone(stored.started_at)

    async def test_lifecycle_calls_move_a_claimed_job_through_its_statuses(self) -> None:
        """What a custom worker does: claim, then start_job and fail/complete_job."""
        self.m.register_task("t", lambda: None, max_retries=1, retry_delay=0)
        job_id = await self.enqueue_ok(self.m, "t")
        claimed = await self.storage.claim_next(["default"], "custom", utcnow())
        self.assertEqual((claimed.id, claimed.status), (job_id, JobStatus.RUNNING))
        claimed_at = claimed.started_at

        started = await self.m.start_job(claimed, "custom")
        self.assertEqual((started.status, started.worker_id, started.started_at),
                         (JobStatus.RUNNING, "custom", claimed_at))
        stored = await self.job(self.m, job_id)
        self.assertEqual((stored.status, stored.started_at), (JobStatus.RUNNING, claimed_at))

        retrying = await self.m.fail_job(started, KeyError("k"))
        self.assertEqual((retrying.status, retrying.retry_count), (JobStatus.RETRYING, 1))
        self.assertEqual(retrying.error, "KeyError: 'k'")

        again = await self.storage.claim_next(["default"], "custom", utcnow())
        self.assertEqual(again.id, job_id)
        failed = await self.m.fail_job(await self.m.start_job(again, "custom"), OSError())
        self.assertEqual((failed.status, failed.error), (JobStatus.FAILED, "OSError"))
        stored = await self.job(self.m, job_id)
        self.assertEqual((stored.status, stored.retry_count, stored.error),
                         (JobStatus.FAILED, 1, "OSError"))

        await self.m.retry_job(job_id)
        third = await self.storage.claim_next(["default"], "custom", utcnow())
        done = await self.m.complete_job(await self.m.start_job(third, "custom"), {"n": 1})
        self.assertEqual((done.status, done.result, done.error), (JobStatus.COMPLETED, {"n": 1},
                                                                  None))
        self.assertEqual((await self.job(self.m, job_id)).result, {"n": 1})

    async def test_async_with_starts_and_stops_manager_and_workers(self) -> None:
        self.assertFalse(self.m.running or self.worker.running)
        async with self.m as entered:
            self.assertIs(entered, self.m)
            self.assertTrue(self.m.running and self.worker.running)
        self.assertFalse(self.m.running or self.worker.running)

    async def test_worker_classes_make_one_default_worker_each(self) -> None:
        m = JobManager(self.storage, worker_classes=[AsyncWorker, AsyncWorker])
        self.assertEqual(len(m.workers), 2)
        self.assertTrue(all(isinstance(w, AsyncWorker) for w in m.workers))
        self.assertNotEqual(m.workers[0].name, m.workers[1].name)
        self.assertEqual(m.workers[0].queues, ["default"])

    def _status_is(self, job_id: str, status: JobStatus):
        async def check() -> bool:
            return (await self.job(self.m, job_id)).status is status

        return check


class SQLiteLifecycleTests(LifecycleTests):
    storage_kind = "sqlite"

    async def test_result_sqlite_cannot_store_fails_job_without_retry(self) -> None:
        @self.m.task(max_retries=2, retry_delay=0)
        async def returns_object() -> object:
            self.attempts.append(time.monotonic())
            return object()

        async with self.m:
            job = await self.finished(self.m, await self.enqueue_ok(self.m, "returns_object"))
        self.assertEqual((job.status, len(self.attempts)), (JobStatus.FAILED, 1))
        self.assertIn("ResultNotStorableError: result of job", job.error)
        self.assertIn("not JSON-serialisable", job.error)


class RunJobSyncTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.m = self.manager()  # never started: run_job_sync needs no worker
        self.calls = 0

    async def test_run_job_sync_returns_the_handlers_value(self) -> None:
        self.m.register_task("mul", lambda a, b: a * b)
        result = await self.m.run_job_sync("mul", args=[6], kwargs={"b": 7})
        self.assertTrue(result.is_success, result.error)
        self.assertEqual(result.value, 42)
        done = (await self.m.get_completed_jobs()).value
        self.assertEqual([(j.task_name, j.result) for j in done], [("mul", 42)])

    async def test_run_job_sync_failure_is_a_failed_result_and_not_retried(self) -> None:
        def broken() -> None:
            self.calls += 1
            raise LookupError("missing row")

        self.m.register_task("broken", broken, max_retries=5, retry_delay=0)
        result = await self.m.run_job_sync("broken")
        self.assertTrue(result.is_failure)
        self.assertEqual((result.error, self.calls), ("LookupError: missing row", 1))

    async def test_run_job_sync_honours_timeout_and_unknown_task(self) -> None:
        async def sleepy() -> None:
            await asyncio.sleep(10)

        self.m.register_task("sleepy", sleepy)
        started = time.monotonic()
        result = await self.m.run_job_sync("sleepy", timeout=0.1)
        self.assertLess(time.monotonic() - started, 2)
        self.assertIn("JobTimeoutError", result.error)
        self.assertIn("unknown task 'nope'", (await self.m.run_job_sync("nope")).error)

    async def test_thread_handler_sees_the_callers_contextvars_in_another_thread(self) -> None:
        self.m.register_task("who", lambda: (request_id.get(), threading.get_ident()))
        request_id.set("req-42")
        result = await self.m.run_job_sync("who")
        seen, thread = result.value
        self.assertEqual(seen, "req-42")
        self.assertNotEqual(thread, threading.get_ident())

    async def test_sync_handler_does_not_block_the_event_loop(self) -> None:
        self.m.register_task("blocking", lambda: time.sleep(0.4) or "slept")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        try:
            result = await self.m.run_job_sync("blocking")
        finally:
            ticking.cancel()
        self.assertEqual(result.value, "slept")
        self.assertGreaterEqual(ticks, 5, "the loop was blocked while the handler slept")

    async def test_async_handler_runs_on_the_event_loop_thread(self) -> None:
        async def where() -> int:
            return threading.get_ident()

        self.m.register_task("where", where)
        self.assertEqual((await self.m.run_job_sync("where")).value, threading.get_ident())


class WorkerContextTests(RuntimeCase):
    async def test_thread_handler_in_worker_sees_context_of_manager_start(self) -> None:
        m = self.manager(workers=[fast_worker()])
        m.register_task("who", lambda: request_id.get())
        request_id.set("from-start")
        async with m:
            job = await self.finished(m, await self.enqueue_ok(m, "who"))
        self.assertEqual(job.result, "from-start")


class ManagerAttributesTests(RuntimeCase):
    def test_manager_exposes_contract_attributes(self) -> None:
        worker = fast_worker()
        m = JobManager(self.storage, workers=[worker], stall_timeout=timedelta(seconds=9))
        self.assertIs(m.storage, self.storage)
        self.assertEqual(m.workers, [worker])
        self.assertIsNone(m.scheduler)
        self.assertEqual(m.stall_timeout, timedelta(seconds=9))
        self.assertFalse(m.running)
        self.assertEqual(m.logger.name, "uno.jobs")


class PostgresLifecycleTests(LifecycleTests):
    storage_kind = "postgres"
