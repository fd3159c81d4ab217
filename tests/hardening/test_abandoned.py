"""Abandoned jobs end their spans as errors and count as failed exactly once:
a worker's job task cancelled mid-job, a worker stopped with no grace period,
an attempt whose task vanished (the sweep and the stalled-job maintenance both
see it), and a worker process SIGKILLed mid-job on SQLite — whose span dies
with it, so the process whose maintenance fails the stalled job records the
failure: one ERROR ``process`` span in the producer's trace and one ``job_failed``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from opentelemetry.trace import StatusCode

from plugin.support import PluginCase, fast_worker, key
from uno.jobs import JobManager, JobStatus
from uno.jobs.job import utcnow

ROOT = Path(__file__).resolve().parents[2]


class AbandonedCase(PluginCase):
    def failed_counts(self) -> dict:
        return {k: p.value for k, p in self.points().get("uno_jobs.job_failed", {}).items()}

    async def status(self, manager: JobManager, job_id: str) -> JobStatus:
        return (await manager.get_job(job_id)).value.status

    async def settle(self) -> None:
        """Several more sweep and maintenance rounds: nothing may be recorded twice."""
        await asyncio.sleep(0.5)


class CancelledWorkerTaskTests(AbandonedCase):
    async def test_cancelling_the_job_task_fails_the_job_once_with_an_error_span(self) -> None:
        worker = fast_worker(name="w1")
        manager = self.manager(workers=[worker])
        started = asyncio.Event()

        @manager.task(max_retries=0)
        async def forever() -> None:
            started.set()
            await asyncio.sleep(60)

        manager.register_task("after", lambda: "ok", max_retries=0)
        await manager.start()
        job_id = (await manager.enqueue("forever")).value
        await asyncio.wait_for(started.wait(), 5)
        worker._active[job_id].cancel()
        job = await manager.wait_for_job(job_id, timeout=5)
        await self.settle()

        self.assertIs(job.status, JobStatus.FAILED)
        [span] = self.consumers("forever")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "JobInterruptedError")
        self.assertEqual(self.failed_counts(), {key(queue="default", task="forever", worker="w1",
                                                    error_type="JobInterruptedError"): 1})
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)
        self.assertEqual((await self.run_job(manager, "after")).result, "ok")

    async def test_a_worker_stopped_without_grace_fails_its_jobs_once(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1", concurrency=3,
                                                    shutdown_timeout=0)])
        running = []

        @manager.task(max_retries=0)
        async def forever(n: int) -> None:
            running.append(n)
            await asyncio.sleep(60)

        await manager.start()
        ids = [(await manager.enqueue("forever", args=[n])).value for n in range(3)]
        await self.eventually(lambda: len(running) == 3, what="three running jobs")
        await manager.stop()

        self.assertEqual({await self.status(manager, job_id) for job_id in ids},
                         {JobStatus.FAILED})
        spans = self.consumers("forever")
        self.assertEqual(len(spans), 3)
        self.assertEqual({s.status.status_code for s in spans}, {StatusCode.ERROR})
        self.assertEqual(self.failed_counts(), {key(queue="default", task="forever", worker="w1",
                                                    error_type="JobInterruptedError"): 3})
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)


class VanishedTaskTests(AbandonedCase):
    """The attempt's task ends without complete_job/fail_job: the plugin's sweep
    ends the span at its stall timeout (0.1 s), and later (0.6 s) the manager's
    maintenance fails the stalled job — which must not record a second span."""

    instrument_options = {"stall_timeout": 0.1}

    async def test_sweep_then_maintenance_record_one_span_and_one_failure(self) -> None:
        manager = self.manager(workers=[], stall_timeout=timedelta(seconds=0.6))
        manager.register_task("ok", lambda: 1, max_retries=0)
        job_id = (await manager.enqueue("ok")).value
        await manager.start()

        async def start_and_vanish() -> None:  # a worker that dies after start_job
            job = await manager.storage.claim_next(["default"], "ghost", utcnow())
            await manager.start_job(job, "ghost")

        await asyncio.create_task(start_and_vanish())
        await self.eventually(lambda: self.consumers("ok"), what="the sweep")
        self.assertIs(await self.status(manager, job_id), JobStatus.RUNNING)
        job = await manager.wait_for_job(job_id, timeout=5)
        await self.settle()

        self.assertIs(job.status, JobStatus.FAILED)
        [span] = self.consumers("ok")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "JobStalledError")
        self.assertEqual(self.failed_counts(), {key(queue="default", task="ok", worker="ghost",
                                                    error_type="JobStalledError"): 1})
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)


class KilledWorkerProcessTests(AbandonedCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.worker: subprocess.Popen | None = None

    async def asyncTearDown(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.kill()
            self.worker.wait()
        await super().asyncTearDown()

    async def run_until_killed_mid_job(self, manager: JobManager, max_retries: int) -> str:
        """Enqueue ``stuck`` from ``manager`` (not started), run it in a worker
        process on the same SQLite file, SIGKILL that process mid-job; the job id."""
        marker = self.tmp_path / "started"
        job_id = (await manager.enqueue("stuck", args=[str(marker)],
                                        max_retries=max_retries)).value
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        with open(self.tmp_path / "worker.log", "wb") as log:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "uno.jobs", "worker", "--storage",
                 f"sqlite:///{self.tmp_path / 'jobs.db'}", "--app", "tests.hardening.apps.stuck",
                 "--name", "doomed"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        await self.eventually(marker.exists, timeout=20, what="the job to start in the worker")
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()
        self.assertIs(await self.status(manager, job_id), JobStatus.RUNNING)
        return job_id

    async def test_the_recovering_process_records_the_killed_attempt_once(self) -> None:
        manager = self.manager(self.storage("sqlite"), workers=[],
                               stall_timeout=timedelta(seconds=0.3))
        manager.register_task("stuck", lambda marker: None)
        job_id = await self.run_until_killed_mid_job(manager, max_retries=0)

        await manager.start()  # its maintenance finds the stalled job
        job = await manager.wait_for_job(job_id, timeout=10)
        await self.settle()

        self.assertIs(job.status, JobStatus.FAILED)
        producer = self.producer("stuck")
        [span] = self.consumers("stuck")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "JobStalledError")
        self.assertEqual(span.attributes["messaging.message.id"], job_id)
        self.assertEqual(span.attributes["uno_jobs.worker.name"], "doomed")
        self.assertEqual(span.context.trace_id, producer.context.trace_id)
        self.assertEqual(span.parent.span_id, producer.context.span_id)
        self.assertGreaterEqual(span.end_time - span.start_time, 0.3e9, "since the job started")
        self.assertEqual(self.failed_counts(), {key(queue="default", task="stuck",
                                                    worker="doomed",
                                                    error_type="JobStalledError"): 1})
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)

    async def test_a_killed_attempt_with_retries_left_is_recorded_once_then_rerun(self) -> None:
        worker = fast_worker(name="rescuer")
        manager = self.manager(self.storage("sqlite"), workers=[worker],
                               stall_timeout=timedelta(seconds=0.3))
        manager.register_task("stuck", lambda marker: "rescued", retry_delay=0)
        job_id = await self.run_until_killed_mid_job(manager, max_retries=1)

        await manager.start()
        job = await manager.wait_for_job(job_id, timeout=10)
        await self.settle()

        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, "rescued"))
        killed, rerun = self.consumers("stuck")
        self.assertEqual((killed.status.status_code, killed.attributes["uno_jobs.job.status"]),
                         (StatusCode.ERROR, "retrying"))
        self.assertEqual(killed.attributes["uno_jobs.job.attempt"], 1)
        self.assertEqual(rerun.attributes["uno_jobs.job.attempt"], 2)
        self.assertIs(rerun.status.status_code, StatusCode.UNSET)
        self.assertEqual(self.failed_counts(), {key(queue="default", task="stuck",
                                                    worker="doomed",
                                                    error_type="JobStalledError"): 1})
        self.assertEqual(self.points()["uno_jobs.job_retry"][
            key(queue="default", task="stuck")].value, 1)
