"""Handlers that end in unusual ways: ``asyncio.CancelledError`` raised by the
handler itself, ``KeyboardInterrupt``/``SystemExit`` (in a thread handler and an
async one), a result SQLite cannot store. Each ends in a defined job status, a
consumer span with ERROR status and the right ``error.type``, one ``job_failed``,
and a worker that goes on to run the next job."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import StatusCode

from plugin.support import PluginCase, fast_worker, key
from uno.jobs import JobManager, JobStatus
from uno.jobs.errors import JobInterruptedError


async def _cancelled() -> None:
    raise asyncio.CancelledError()


def _keyboard_interrupt() -> None:  # plain function: runs in a thread
    raise KeyboardInterrupt()


def _system_exit() -> None:
    raise SystemExit(3)


async def _async_keyboard_interrupt() -> None:
    raise KeyboardInterrupt()


async def _async_system_exit() -> None:
    raise SystemExit(3)


async def _unserialisable() -> object:
    return object()


async def _not_a_number() -> float:
    return math.nan  # json.dumps(allow_nan=False) refuses it


class HandlerEdgeCaseTests(PluginCase):
    async def outcome(self, handler: Callable[..., Any], storage: str = "memory",
                      max_retries: int = 0) -> tuple[Any, Any]:
        """Run ``handler`` once as task ``edge`` (and a normal job after it); the
        finished job and its one consumer span."""
        manager = self.manager(self.storage(storage), workers=[fast_worker(name="w1")])
        manager.register_task("edge", handler, max_retries=max_retries, retry_delay=0)
        manager.register_task("after", lambda: "still working", max_retries=0)
        job = await self.run_job(manager, "edge")
        await self.assert_worker_carries_on(manager)
        [span] = self.consumers("edge")
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)
        return job, span

    async def assert_worker_carries_on(self, manager: JobManager) -> None:
        after = await self.run_job(manager, "after")
        self.assertEqual((after.status, after.result), (JobStatus.COMPLETED, "still working"))
        self.assertTrue(all(worker.is_healthy() for worker in manager.workers))

    def assert_failed(self, job: Any, span: Any, error_type: str,
                      status: JobStatus = JobStatus.FAILED) -> None:
        self.assertIs(job.status, status)
        self.assertTrue(job.error.startswith(error_type), job.error)
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], error_type)
        self.assertEqual(span.attributes["uno_jobs.job.status"], status.value)
        self.assertIn("exception", [event.name for event in span.events])
        failed = {k: p.value for k, p in self.points()["uno_jobs.job_failed"].items()}
        self.assertEqual(failed, {key(queue="default", task="edge", worker="w1",
                                      error_type=error_type): 1}, "counted once")

    async def test_a_handler_raising_cancelled_error_fails_as_interrupted(self) -> None:
        job, span = await self.outcome(_cancelled)
        self.assert_failed(job, span, JobInterruptedError.__name__)

    async def test_keyboard_interrupt_in_a_thread_handler_fails_the_job(self) -> None:
        job, span = await self.outcome(_keyboard_interrupt)
        self.assert_failed(job, span, "KeyboardInterrupt")

    async def test_system_exit_in_a_thread_handler_fails_the_job(self) -> None:
        job, span = await self.outcome(_system_exit)
        self.assert_failed(job, span, "SystemExit")

    async def test_keyboard_interrupt_in_an_async_handler_fails_the_job(self) -> None:
        job, span = await self.outcome(_async_keyboard_interrupt)
        self.assert_failed(job, span, "KeyboardInterrupt")

    async def test_system_exit_in_an_async_handler_fails_the_job(self) -> None:
        job, span = await self.outcome(_async_system_exit)
        self.assert_failed(job, span, "SystemExit")

    async def test_an_unserialisable_result_for_sqlite_fails_once_without_retry(self) -> None:
        job, span = await self.outcome(_unserialisable, storage="sqlite", max_retries=3)
        self.assert_failed(job, span, "ResultNotStorableError")
        self.assertIn("not JSON-serialisable", job.error)
        self.assertEqual(job.retry_count, 0)

    async def test_a_nan_result_for_sqlite_fails_as_not_storable(self) -> None:
        job, span = await self.outcome(_not_a_number, storage="sqlite")
        self.assert_failed(job, span, "ResultNotStorableError")

    async def test_an_interrupted_handler_with_retries_left_is_retried(self) -> None:
        attempts = []

        def flaky() -> str:
            attempts.append(1)
            if len(attempts) == 1:
                raise KeyboardInterrupt()
            return "second time"

        manager = self.manager(workers=[fast_worker(name="w1")])
        manager.register_task("edge", flaky, max_retries=1, retry_delay=0)
        job = await self.run_job(manager, "edge")
        self.assertEqual((job.status, job.result, job.retry_count),
                         (JobStatus.COMPLETED, "second time", 1))
        first, second = self.consumers("edge")
        self.assertEqual((first.status.status_code, first.attributes["uno_jobs.job.status"]),
                         (StatusCode.ERROR, "retrying"))
        self.assertIs(second.status.status_code, StatusCode.UNSET)
