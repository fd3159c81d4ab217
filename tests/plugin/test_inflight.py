"""Bounded in-flight state: nothing keyed by job id outlives its attempt; an
attempt whose ``complete_job``/``fail_job`` never comes is ended with an error
at the stall timeout (or by the manager's stalled-job maintenance, once), and
a stopped manager or ``uninstrument()`` leaves no span open."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from opentelemetry.trace import StatusCode

from uno.jobs import Job, JobStatus
from uno.jobs.job import utcnow

from .support import PluginCase, key


class InFlightTests(PluginCase):
    @property
    def in_flight(self):
        return self.instrumentor.recorder.in_flight

    async def claim_and_start(self, manager, worker: str = "ghost") -> Job:
        job = await manager.storage.claim_next(["default"], worker, utcnow())
        return await manager.start_job(job, worker)

    async def test_nothing_stays_in_flight_after_jobs_finish_every_way(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1, max_retries=0)

        @manager.task(max_retries=1, retry_delay=0)
        async def broken() -> None:
            raise ValueError("no")

        @manager.task(max_retries=0, timeout=0.02)
        async def slow() -> None:
            await asyncio.sleep(1)

        for task in ("ok", "broken", "slow"):
            await self.run_job(manager, task)
        self.assertEqual(len(self.in_flight), 0)
        self.assertEqual(len(self.spans()), 3 + 4)  # 3 producers, 4 attempts

    async def test_an_abandoned_attempt_is_ended_with_an_error_at_the_stall_timeout(self) -> None:
        manager = self.manager(workers=[], stall_timeout=timedelta(seconds=0.2))
        manager.register_task("ok", lambda: 1)
        await manager.enqueue("ok")
        await manager.start()
        # a worker that dies between start_job and complete_job: its task ends
        job = await asyncio.create_task(self.claim_and_start(manager))
        self.assertIn(job.id, self.in_flight)
        self.assertEqual(self.consumers("ok"), [])

        await self.eventually(lambda: self.consumers("ok"), timeout=2, what="the sweep")
        [span] = self.consumers("ok")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "JobStalledError")
        self.assertNotIn(job.id, self.in_flight)
        elapsed = (span.end_time - span.start_time) / 1e9
        self.assertGreaterEqual(elapsed, 0.2)

    async def test_a_long_running_attempt_is_not_ended_while_its_task_lives(self) -> None:
        manager = self.manager(stall_timeout=timedelta(seconds=0.1))

        @manager.task(max_retries=0)
        async def long() -> str:
            await asyncio.sleep(0.4)
            return "done"

        job = await self.run_job(manager, "long")
        self.assertEqual(job.result, "done")
        [span] = self.consumers("long")
        self.assertIs(span.status.status_code, StatusCode.UNSET)

    async def test_maintenance_failing_a_stalled_job_ends_its_span_once(self) -> None:
        manager = self.manager(workers=[], stall_timeout=timedelta(seconds=0.15))
        manager.register_task("ok", lambda: 1, max_retries=0)
        await manager.enqueue("ok")
        await manager.start()
        hung = asyncio.Event()

        async def hang() -> None:  # started, then stuck forever without heartbeats
            await self.claim_and_start(manager)
            await hung.wait()

        stuck = asyncio.create_task(hang())
        self.addAsyncCleanup(_cancel, stuck)
        await self.eventually(lambda: self.consumers("ok"), timeout=3, what="maintenance")
        await asyncio.sleep(0.3)  # more sweeps and maintenance rounds: still one span

        [span] = self.consumers("ok")
        self.assertEqual(span.attributes["error.type"], "JobStalledError")
        self.assertEqual(span.attributes["uno_jobs.job.status"], "failed")
        self.assertEqual(len(self.in_flight), 0)
        self.assertEqual(self.points()["uno_jobs.job_failed"][key(
            queue="default", task="ok", worker="ghost", error_type="JobStalledError")].value, 1)

    async def test_a_stopped_manager_leaves_no_span_open(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        await manager.enqueue("ok")
        await manager.start()
        hung = asyncio.Event()

        async def hang() -> None:
            await self.claim_and_start(manager)
            await hung.wait()

        stuck = asyncio.create_task(hang())
        self.addAsyncCleanup(_cancel, stuck)
        await self.eventually(lambda: len(self.in_flight) == 1, what="the attempt")
        await manager.stop()
        [span] = self.consumers("ok")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(len(self.in_flight), 0)

    async def test_uninstrument_ends_attempts_in_flight(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        await manager.enqueue("ok")
        job = await self.claim_and_start(manager)
        in_flight = self.in_flight
        self.instrumentor.uninstrument()
        [span] = self.consumers("ok")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(len(in_flight), 0)
        await manager.complete_job(job, 1)  # the unwrapped runtime carries on
        self.assertIs((await manager.get_job(job.id)).value.status, JobStatus.COMPLETED)

    async def test_a_new_attempt_of_the_same_job_ends_the_abandoned_one(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        await manager.enqueue("ok")
        job = await asyncio.create_task(self.claim_and_start(manager))
        await manager.start_job(job, "second")
        await manager.complete_job(job, 1)
        first, second = self.consumers("ok")
        self.assertEqual(first.attributes["error.type"], "JobStalledError")
        self.assertIs(second.status.status_code, StatusCode.UNSET)
        self.assertEqual(len(self.in_flight), 0)


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
