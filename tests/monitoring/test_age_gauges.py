"""Age and lag gauges: the oldest waiting job's age per queue, scheduler lag and
missed runs per schedule, each worker's heartbeat age — in memory and on SQLite."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs import IntervalSchedule, Job, JobStatus, Scheduler
from uno.jobs.job import utcnow
from uno.jobs.monitoring.metrics import JobMetricsCollector
from uno.jobs.storage.memory import InMemoryJobStorage

from .support import MonitoringCase, all_points, eventually, fast_worker, gauge_points, key

SLACK = 5.0  # seconds a test may take between creating a job and reading its age


class AgeGaugeTests(MonitoringCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.worker = fast_worker(name="mailer", queues=["emails"], concurrency=2)
        self.job_manager = self.manager(workers=[self.worker], scheduler=Scheduler(self.storage))
        self.job_manager.register_task("send", _noop, queue="emails")
        self.collector = JobMetricsCollector(self.job_manager, self.metrics,
                                             collection_interval=timedelta(seconds=60))
        self.later(self.collector.stop)
        await self.storage.open()

    async def add_waiting(self, queue: str, age: timedelta, **fields: Any) -> Job:
        job = Job(task_name="send", queue_name=queue, created_at=utcnow() - age, **fields)
        await self.storage.add(job)
        return job

    def oldest_age(self) -> dict:
        return gauge_points(self.reader, "uno_jobs.queue_oldest_job_age")

    async def test_an_old_pending_job_sets_its_queue_oldest_age(self) -> None:
        await self.add_waiting("emails", timedelta(minutes=10))
        await self.add_waiting("emails", timedelta(seconds=5))
        await self.add_waiting("reports", timedelta(seconds=30), status=JobStatus.RETRYING)
        await self.add_waiting("later", timedelta(0), scheduled_at=utcnow() + timedelta(hours=1))
        await self.collector.collect_once()
        ages = self.oldest_age()
        self.assertGreaterEqual(ages[key(queue="emails")], 600)
        self.assertLess(ages[key(queue="emails")], 600 + SLACK)
        self.assertGreaterEqual(ages[key(queue="reports")], 30)
        self.assertLess(ages[key(queue="reports")], 30 + SLACK)
        self.assertEqual(ages[key(queue="later")], 0)  # waiting, but not due yet

    async def test_the_age_grows_between_collections(self) -> None:
        await self.add_waiting("emails", timedelta(seconds=1))
        await self.collector.collect_once()
        first = self.oldest_age()[key(queue="emails")]
        await asyncio.sleep(0.3)
        self.assertGreaterEqual(self.oldest_age()[key(queue="emails")], first + 0.25)

    async def test_a_drained_queue_reads_zero(self) -> None:
        old = await self.add_waiting("emails", timedelta(minutes=3))
        await self.collector.collect_once()
        self.assertGreaterEqual(self.oldest_age()[key(queue="emails")], 180)
        await self.job_manager.start()
        await self.job_manager.wait_for_job(old.id, timeout=5)
        await self.collector.collect_once()
        self.assertEqual(self.oldest_age(), {key(queue="emails"): 0})

    async def test_a_lagging_schedule_shows_its_lag_and_missed_runs(self) -> None:
        scheduler = self.job_manager.scheduler
        await self.job_manager.start()
        self.assertTrue((await scheduler.add_schedule("hourly", "send", IntervalSchedule(
            hours=1))).is_success)
        due = scheduler.schedules["hourly"].next_run
        # the scheduler wakes 2 h 30 s late: two runs missed, the third starts 30 s late
        self.assertEqual(await scheduler.run_due(due + timedelta(hours=2, seconds=30)), 1)
        await self.collector.collect_once()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.scheduler_lag"),
                         {key(schedule="hourly"): 30.0})
        missed = all_points(self.reader.get_metrics_data())["uno_jobs.scheduler_missed_runs"]
        self.assertEqual(missed[key(schedule="hourly")].value, 2)
        text = PrometheusMetricsExporter(self.metrics.metrics_manager).export_metrics()
        self.assertIn('uno_jobs_scheduler_missed_runs_total{schedule="hourly"} 2.0', text)
        self.assertIn('uno_jobs_scheduler_lag_seconds{schedule="hourly"} 30.0', text)
        self.assertRegex(text, r"# TYPE uno_jobs_scheduler_missed_runs_total counter")

    async def test_a_stopped_scheduler_reports_no_schedules(self) -> None:
        await self.job_manager.scheduler.add_schedule("hourly", "send", IntervalSchedule(hours=1))
        await self.collector.collect_once()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.scheduler_lag"), {})

    async def test_a_stuck_worker_shows_a_large_heartbeat_age_until_it_recovers(self) -> None:
        unblock = asyncio.Event()

        def stuck(claim: Any) -> Any:
            async def stuck_claim(*args: Any, **kwargs: Any) -> Any:
                await unblock.wait()
                return await claim(*args, **kwargs)
            return stuck_claim

        # the store stops answering claims (the worker claims batches; a store may
        # claim one job through either method)
        self.storage.claim_next = stuck(self.storage.claim_next)  # type: ignore[method-assign]
        self.storage.claim_batch = stuck(self.storage.claim_batch)  # type: ignore[method-assign]
        await self.job_manager.start()
        await asyncio.sleep(0.05)  # the claim loop is now waiting on the store
        self.worker.last_heartbeat = utcnow() - timedelta(minutes=5)
        await self.collector.collect_once()
        age = gauge_points(self.reader, "uno_jobs.worker_heartbeat_age")[key(worker="mailer")]
        self.assertGreaterEqual(age, 300)
        self.assertLess(age, 300 + SLACK)
        unblock.set()
        await eventually(lambda: (utcnow() - self.worker.last_heartbeat).total_seconds() < 1,
                         what="a fresh heartbeat")
        await self.collector.collect_once()
        age = gauge_points(self.reader, "uno_jobs.worker_heartbeat_age")[key(worker="mailer")]
        self.assertLess(age, 1.0)

    async def test_only_running_workers_report_a_heartbeat_age(self) -> None:
        await self.collector.collect_once()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_heartbeat_age"), {})
        await self.job_manager.start()
        await self.collector.collect_once()
        self.assertEqual(set(gauge_points(self.reader, "uno_jobs.worker_heartbeat_age")),
                         {key(worker="mailer")})

    async def test_stop_drops_the_ages_nobody_refreshes_any_more(self) -> None:
        await self.job_manager.start()
        await self.add_waiting("emails", timedelta(hours=1))
        await self.collector.start()
        self.assertTrue(gauge_points(self.reader, "uno_jobs.worker_heartbeat_age"))
        await self.collector.stop()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.worker_heartbeat_age"), {})
        self.assertEqual(self.oldest_age(), {})

    async def test_ages_reach_get_metrics_and_prometheus_in_seconds(self) -> None:
        await self.add_waiting("emails", timedelta(minutes=2))
        await self.collector.collect_once()
        local = self.metrics.get_metrics()["uno_jobs.queue_oldest_job_age"]
        self.assertEqual(local["unit"], "s")
        self.assertGreaterEqual(local["series"][0]["value"], 120)
        text = PrometheusMetricsExporter(self.metrics.metrics_manager).export_metrics()
        value = re.search(r'uno_jobs_queue_oldest_job_age_seconds\{queue="emails"\} (\S+)', text)
        self.assertIsNotNone(value, text)
        self.assertGreaterEqual(float(value.group(1)), 120)


class SQLiteAgeGaugeTests(AgeGaugeTests):
    storage_kind = "sqlite"


class InMemoryOldestHeapTests(MonitoringCase):
    async def test_the_oldest_job_heap_stays_bounded_without_readers(self) -> None:
        storage = InMemoryJobStorage()
        for _ in range(5000):
            await storage.add(Job(task_name="t", queue_name="q"))
            claimed = await storage.claim_next(["q"], "w", utcnow())
            assert claimed is not None
            claimed.status = JobStatus.COMPLETED
            await storage.update(claimed)
        self.assertLess(len(storage._heaps["q"].by_due), 200)


async def _noop() -> None:
    return None


class PostgresAgeGaugeTests(AgeGaugeTests):
    storage_kind = "postgres"


class RedisAgeGaugeTests(AgeGaugeTests):
    storage_kind = "redis"
