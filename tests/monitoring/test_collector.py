"""JobMetricsCollector: queue and worker gauges refreshed from storage counts;
gauge reads never touch storage; errors are logged, not fatal."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from uno.jobs import Job, JobStatus
from uno.jobs.monitoring.health import running_checker_for
from uno.jobs.monitoring.manager_monitoring import ManagerMonitoring
from uno.jobs.monitoring.metrics import JobMetricsCollector

from .support import MonitoringCase, eventually, fast_worker, gauge_points, key


class CountingStorage:
    """Wraps a storage and counts every method call made on it."""

    def __init__(self, inner: Any) -> None:
        self._inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return attribute(*args, **kwargs)

        return counted


class CollectorTests(MonitoringCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.release = asyncio.Event()
        self.worker = fast_worker(queues=["emails"], concurrency=3)
        self.job_manager = self.manager(workers=[self.worker])

        @self.job_manager.task(name="send", queue="emails")
        async def send() -> None:
            await self.release.wait()

        self.collector = JobMetricsCollector(self.job_manager, self.metrics,
                                             collection_interval=timedelta(seconds=60))
        self.later(self.collector.stop)

    def queue_length(self) -> dict:
        return gauge_points(self.reader, "uno_jobs.queue_length")

    async def test_queue_length_covers_every_status_with_zeros(self) -> None:
        for _ in range(3):
            await self.enqueue_ok(self.job_manager, "send")
        await self.collector.start()
        values = self.queue_length()
        self.assertEqual(values[key(queue="emails", status="pending")], 3)
        self.assertEqual({k for k in values if dict(k)["queue"] == "emails"},
                         {key(queue="emails", status=s.value) for s in JobStatus})
        self.assertEqual(values[key(queue="emails", status="failed")], 0)

    async def test_a_drained_queue_reads_zero(self) -> None:
        self.release.set()
        ids = [await self.enqueue_ok(self.job_manager, "send") for _ in range(3)]
        await self.collector.collect_once()
        self.assertEqual(self.queue_length()[key(queue="emails", status="pending")], 3)
        await self.job_manager.start()
        for job_id in ids:
            await self.job_manager.wait_for_job(job_id, timeout=5)
        await self.collector.collect_once()
        values = self.queue_length()
        self.assertEqual(values[key(queue="emails", status="pending")], 0)
        self.assertEqual(values[key(queue="emails", status="completed")], 3)

    async def test_worker_busy_and_idle_count_slots_by_worker_type(self) -> None:
        await self.job_manager.start()
        for _ in range(2):
            await self.enqueue_ok(self.job_manager, "send")
        await eventually(lambda: self.worker.active_jobs == 2, what="two running jobs")
        await self.collector.collect_once()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_busy"),
                         {key(worker_type="AsyncWorker"): 2})
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_idle"),
                         {key(worker_type="AsyncWorker"): 1})
        self.release.set()
        await eventually(lambda: self.worker.active_jobs == 0, what="jobs to finish")
        await self.collector.collect_once()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_busy"),
                         {key(worker_type="AsyncWorker"): 0})
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_idle"),
                         {key(worker_type="AsyncWorker"): 3})

    async def test_a_stopped_worker_has_no_idle_slots(self) -> None:
        await self.collector.collect_once()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_idle"),
                         {key(worker_type="AsyncWorker"): 0})

    async def test_the_interval_picks_up_new_jobs(self) -> None:
        collector = JobMetricsCollector(self.job_manager, self.metrics, collection_interval=0.02)
        self.later(collector.stop)
        await collector.start()
        await self.enqueue_ok(self.job_manager, "send")
        await eventually(
            lambda: self.queue_length().get(key(queue="emails", status="pending")) == 1,
            what="the next collection")

    async def test_reading_the_gauges_never_calls_storage(self) -> None:
        counting = CountingStorage(self.storage)
        self.job_manager.storage = counting
        for _ in range(10):
            await self.enqueue_ok(self.job_manager, "send")
        await self.collector.collect_once()
        calls = counting.calls
        small = [self.queue_length() for _ in range(5)][-1]
        for _ in range(5000):
            await self.enqueue_ok(self.job_manager, "send")
        calls_after_enqueue = counting.calls
        large = [self.queue_length() for _ in range(5)][-1]
        self.assertEqual(counting.calls, calls_after_enqueue)
        self.assertGreater(calls_after_enqueue, calls)
        self.assertEqual(small, large, "gauges change only when the collector runs")
        self.assertEqual(len(self.metrics.get_metrics()["uno_jobs.queue_length"]["series"]),
                         len(JobStatus))

    async def test_a_collection_error_is_logged_and_keeps_the_last_values(self) -> None:
        await self.enqueue_ok(self.job_manager, "send")
        await self.collector.collect_once()

        async def broken() -> dict:
            raise OSError("disk on fire")

        self.storage.count_by_queue_and_status = broken  # type: ignore[method-assign]
        with self.assertLogs("uno.jobs.monitoring", logging.WARNING) as logs:
            self.assertFalse(await self.collector.collect_once())
        self.assertIn("disk on fire", logs.output[0])
        self.assertEqual(self.queue_length()[key(queue="emails", status="pending")], 1)

    async def test_start_and_stop_are_idempotent_and_restartable(self) -> None:
        await self.collector.start()
        task = self.collector._task
        await self.collector.start()
        self.assertIs(self.collector._task, task)
        await self.collector.stop()
        await self.collector.stop()
        self.assertFalse(self.collector.running)
        await self.collector.start()
        self.assertTrue(self.collector.running)

    def test_collection_interval_must_be_positive(self) -> None:
        with self.assertRaises(ValueError):
            JobMetricsCollector(object(), self.metrics, collection_interval=timedelta(0))


class SQLiteCollectorTests(MonitoringCase):
    storage_kind = "sqlite"

    async def test_counts_come_from_the_shared_file(self) -> None:
        await self.storage.open()
        await self.storage.add(Job(task_name="t", queue_name="reports"))
        await self.storage.add(Job(task_name="t", queue_name="reports", status=JobStatus.FAILED))
        manager = self.manager()
        await JobMetricsCollector(manager, self.metrics).collect_once()
        values = gauge_points(self.reader, "uno_jobs.queue_length")
        self.assertEqual(values[key(queue="reports", status="pending")], 1)
        self.assertEqual(values[key(queue="reports", status="failed")], 1)
        self.assertEqual(values[key(queue="reports", status="running")], 0)


class ManagerMonitoringTests(MonitoringCase):
    async def test_starts_and_stops_the_collector_and_the_checker_together(self) -> None:
        worker = fast_worker(name="w1", queues=["emails"])
        manager = self.manager(workers=[worker])
        await manager.start()
        monitoring = ManagerMonitoring(manager, self.metrics, collection_interval=0.02,
                                       health_interval=0.02)
        self.later(monitoring.stop)
        for _ in range(2):
            await monitoring.start()
        self.assertTrue(monitoring.running)
        self.assertIs(running_checker_for(manager), monitoring.health_checker)
        self.assertEqual(gauge_points(self.reader, "uno_jobs.health")[
            key(check="worker:w1", status="healthy")], 1)
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_idle"),
                         {key(worker_type="AsyncWorker"): 10})
        for _ in range(2):
            await monitoring.stop()
        self.assertFalse(monitoring.running)
        self.assertEqual(gauge_points(self.reader, "uno_jobs.health"), {})
