"""The uno counters and histograms with their attributes and bucket advice,
the queue/worker/health gauges of started managers, and the one ``JobMetrics``
the plugin records through."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from uno.jobs import JobStatus, Priority
from uno.jobs.job import utcnow
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import default_job_metrics

from .support import PluginCase, fast_worker, key


class CounterTests(PluginCase):
    async def test_a_successful_job_counts_enqueued_started_and_completed(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1", queues=["emails"])])
        manager.register_task("ok", lambda: 1, queue="emails")
        await self.run_job(manager, "ok", priority=Priority.HIGH)

        points = self.points()
        self.assertEqual(points["uno_jobs.job_enqueued"][
            key(queue="emails", task="ok", priority="HIGH")].value, 1)
        self.assertEqual(points["uno_jobs.job_started"][
            key(queue="emails", task="ok", worker="w1")].value, 1)
        self.assertEqual(points["uno_jobs.job_completed"][
            key(queue="emails", task="ok", worker="w1")].value, 1)
        for absent in ("uno_jobs.job_failed", "uno_jobs.job_retry", "uno_jobs.job_cancelled"):
            self.assertNotIn(absent, points)

    async def test_every_failed_attempt_counts_a_failure_and_each_retry_a_retry(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1")])

        @manager.task(max_retries=2, retry_delay=0)
        async def broken() -> None:
            raise KeyError("secret-customer-id")

        job = await self.run_job(manager, "broken")
        self.assertIs(job.status, JobStatus.FAILED)

        points = self.points()
        failed = key(queue="default", task="broken", worker="w1", error_type="KeyError")
        self.assertEqual(list(points["uno_jobs.job_failed"]), [failed], "never the message")
        self.assertEqual(points["uno_jobs.job_failed"][failed].value, 3)
        self.assertEqual(points["uno_jobs.job_retry"][
            key(queue="default", task="broken")].value, 2)
        self.assertEqual(points["uno_jobs.job_started"][
            key(queue="default", task="broken", worker="w1")].value, 3)

    async def test_a_rejected_enqueue_is_not_counted(self) -> None:
        manager = self.manager(workers=[])
        await manager.enqueue("unknown")
        self.assertNotIn("uno_jobs.job_enqueued", self.points())

    async def test_cancel_and_manual_retry_are_counted(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("later", lambda: None, queue="reports")
        job_id = (await manager.enqueue(
            "later", scheduled_at=utcnow() + timedelta(hours=1))).value
        self.assertTrue((await manager.cancel_job(job_id)).value)
        self.assertTrue((await manager.cancel_job(job_id)).is_failure)  # not counted twice
        self.assertTrue((await manager.retry_job(job_id)).value)

        points = self.points()
        self.assertEqual(points["uno_jobs.job_cancelled"][
            key(queue="reports", task="later")].value, 1)
        self.assertEqual(points["uno_jobs.job_retry"][key(queue="reports", task="later")].value, 1)


    async def test_counts_go_on_across_uninstrument_and_instrument(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1")])
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        self.instrumentor.uninstrument()
        await self.run_job(manager, "ok")  # not instrumented: not counted
        self.instrument()
        await self.run_job(manager, "ok")
        completed = key(queue="default", task="ok", worker="w1")
        self.assertEqual(self.points()["uno_jobs.job_completed"][completed].value, 2)
        self.assertEqual(self.points()["uno_jobs.job_completed"][completed].value, 2,
                         "a second collection reads the same running total")


class HistogramTests(PluginCase):
    async def test_execution_and_wait_time_histograms_use_the_contract_buckets(self) -> None:
        manager = self.manager()

        @manager.task(max_retries=0)
        async def nap() -> None:
            await asyncio.sleep(0.05)

        await self.run_job(manager, "nap", priority=Priority.CRITICAL)
        points = self.points()
        execution = points["uno_jobs.execution_time"][key(queue="default", task="nap")]
        self.assertEqual(tuple(execution.explicit_bounds), sc.EXECUTION_TIME_BUCKETS)
        self.assertEqual(execution.count, 1)
        self.assertGreaterEqual(execution.sum, 0.05)
        wait = points["uno_jobs.wait_time"][key(queue="default", task="nap", priority="CRITICAL")]
        self.assertEqual(tuple(wait.explicit_bounds), sc.WAIT_TIME_BUCKETS)
        self.assertEqual(wait.count, 1)

    async def test_wait_time_runs_from_when_the_job_became_due(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await manager.start()
        due = utcnow() + timedelta(seconds=0.2)
        job_id = (await manager.enqueue("ok", scheduled_at=due)).value
        await manager.wait_for_job(job_id, timeout=5)

        wait = self.points()["uno_jobs.wait_time"][
            key(queue="default", task="ok", priority="NORMAL")]
        self.assertLess(wait.sum, 0.2, "time before scheduled_at is not waiting")


class GaugeTests(PluginCase):
    instrument_options = {"collection_interval": 0.05, "health_check_interval": 0.05}

    async def test_a_started_manager_reports_queue_worker_and_health_gauges(self) -> None:
        manager = self.manager(workers=[fast_worker(concurrency=3)])
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        await asyncio.sleep(0.15)  # a collection after the job finished

        points = self.points()
        self.assertEqual(points["uno_jobs.queue_length"][
            key(queue="default", status="completed")].value, 1)
        self.assertEqual(points["uno_jobs.queue_length"][
            key(queue="default", status="pending")].value, 0)
        self.assertEqual(points["uno_jobs.worker_busy"][key(worker_type="AsyncWorker")].value, 0)
        self.assertEqual(points["uno_jobs.worker_idle"][key(worker_type="AsyncWorker")].value, 3)
        self.assertIn(key(check="queue:default", status="healthy"), points["uno_jobs.health"])
        self.assertIsNotNone(self.instrumentor.monitoring_of(manager))

        await manager.stop()
        self.assertIsNone(self.instrumentor.monitoring_of(manager))

    async def test_gauge_callbacks_read_a_snapshot_and_never_the_storage(self) -> None:
        storage = self.storage()
        manager = self.manager(storage, workers=[])
        manager.register_task("ok", lambda: 1)
        for _ in range(200):
            await manager.enqueue("ok")
        await manager.start()
        reads = []
        original = storage.count_by_queue_and_status

        async def counting() -> dict:
            reads.append(1)
            return await original()

        storage.count_by_queue_and_status = counting  # type: ignore[method-assign]
        for _ in range(5):  # collected on this (the loop's) thread: no await possible
            points = self.points()
        self.assertEqual(reads, [])
        self.assertEqual(points["uno_jobs.queue_length"][
            key(queue="default", status="pending")].value, 200)

    async def test_the_monitoring_option_turns_the_gauges_off(self) -> None:
        self.instrumentor.uninstrument()
        self.instrument(monitoring=False)
        manager = self.manager()
        await manager.start()
        self.assertIsNone(self.instrumentor.monitoring_of(manager))
        self.assertNotIn("uno_jobs.queue_length", self.points())


class SharedJobMetricsTests(PluginCase):
    async def test_the_plugin_records_through_the_default_job_metrics(self) -> None:
        metrics = default_job_metrics()
        self.assertIs(metrics, self.instrumentor.recorder.metrics)
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        self.assertEqual(metrics.get_metrics()["uno_jobs.job_completed"]["total"], 1)

    async def test_uninstrument_clears_the_default_job_metrics(self) -> None:
        metrics = default_job_metrics()
        self.instrumentor.uninstrument()
        self.assertIsNot(default_job_metrics(), metrics)
