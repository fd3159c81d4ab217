"""The job system's health checks: queue thresholds and stalled jobs, worker
and scheduler states."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from uno.core.monitoring.health import HealthStatus
from uno.jobs import Job, JobStatus, Scheduler
from uno.jobs.job import utcnow
from uno.jobs.monitoring.health import (
    JobQueueHealthCheck,
    SchedulerHealthCheck,
    WorkerHealthCheck,
)

from .support import MonitoringCase, fast_worker

H, D, U = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


class QueueCheckTests(MonitoringCase):
    async def add(self, count: int, status: JobStatus = JobStatus.PENDING, **fields: Any) -> None:
        for _ in range(count):
            await self.storage.add(Job(task_name="t", queue_name="q", status=status, **fields))

    async def check(self, **options: Any):
        return await JobQueueHealthCheck(self.manager(), "q", **options).check_health()

    async def test_name_and_healthy_details(self) -> None:
        await self.add(2)
        check = JobQueueHealthCheck(self.manager(), "q")
        self.assertEqual(check.name, "queue:q")
        result = await check.check_health()
        self.assertIs(result.status, H)
        self.assertEqual((result.details["queue_length"], result.details["failed_jobs"]), (2, 0))
        self.assertEqual(result.details["jobs_by_status"]["pending"], 2)

    async def test_queue_length_over_the_threshold_is_degraded(self) -> None:
        await self.add(4)
        self.assertIs((await self.check(max_queue_length=4)).status, H)
        self.assertIs((await self.check(max_queue_length=3)).status, D)
        result = await self.check(max_queue_length=1)
        self.assertIs(result.status, D)
        self.assertIn("queue length 4", result.message)
        self.assertIs((await self.check(max_queue_length=1, unhealthy_factor=2)).status, U)

    async def test_retrying_jobs_count_as_waiting(self) -> None:
        await self.add(2, JobStatus.RETRYING)
        self.assertIs((await self.check(max_queue_length=1)).status, D)

    async def test_failed_jobs_over_the_threshold(self) -> None:
        await self.add(2, JobStatus.FAILED)
        await self.add(1, JobStatus.TIMEOUT)
        self.assertIs((await self.check(max_failed_jobs=3)).status, H)
        result = await self.check(max_failed_jobs=2)
        self.assertIs(result.status, D)
        self.assertIn("failed jobs 3", result.message)
        self.assertIs((await self.check(max_failed_jobs=1)).status, D)
        self.assertIs((await self.check(max_failed_jobs=1, unhealthy_factor=2)).status, U)

    async def test_stalled_jobs_are_unhealthy_unless_disabled(self) -> None:
        old = utcnow() - timedelta(hours=2)
        await self.add(1, JobStatus.RUNNING, updated_at=old, started_at=old, worker_id="gone")
        result = await self.check()
        self.assertIs(result.status, U)
        self.assertEqual(result.details["stalled_jobs"], 1)
        self.assertIn("stalled", result.message)
        self.assertIs((await self.check(alert_on_stalled_jobs=False)).status, H)

    async def test_a_fresh_running_job_is_not_stalled(self) -> None:
        await self.add(1, JobStatus.RUNNING, worker_id="w")
        self.assertIs((await self.check()).status, H)

    async def test_details_are_json_serialisable(self) -> None:
        await self.add(1)
        json.dumps((await self.check()).to_dict())


class FakeWorker:
    name, worker_type, concurrency, queues = "fake", "FakeWorker", 1, ("default",)
    manager, last_heartbeat = None, None

    def __init__(self, running: bool = True, healthy: bool = True) -> None:
        self.running, self._healthy, self.active_jobs = running, healthy, 0
        self.last_activity = utcnow()

    def is_healthy(self) -> bool:
        return self._healthy

    def get_health_details(self) -> dict[str, Any]:
        return {"name": self.name, "running": self.running}


class WorkerCheckTests(MonitoringCase):
    async def test_a_stopped_worker_is_unhealthy(self) -> None:
        worker = fast_worker(name="w1")
        check = WorkerHealthCheck(worker)
        self.assertEqual(check.name, "worker:w1")
        result = await check.check_health()
        self.assertIs(result.status, U)
        self.assertEqual(result.details["name"], "w1")

    async def test_a_running_worker_is_healthy(self) -> None:
        worker = fast_worker()
        await self.manager(workers=[worker]).start()
        self.assertIs((await WorkerHealthCheck(worker).check_health()).status, H)

    async def test_a_worker_whose_loops_died_is_unhealthy(self) -> None:
        result = await WorkerHealthCheck(FakeWorker(healthy=False)).check_health()
        self.assertIs(result.status, U)
        self.assertIn("loop", result.message)

    async def test_saturated_without_activity_is_degraded(self) -> None:
        worker = FakeWorker()
        worker.active_jobs, worker.last_activity = 1, utcnow() - timedelta(minutes=5)
        check = WorkerHealthCheck(worker, max_inactivity=timedelta(minutes=1))
        self.assertIs((await check.check_health()).status, D)
        worker.last_activity = utcnow()
        self.assertIs((await check.check_health()).status, H)


class FakeScheduler:
    running = True

    def __init__(self, error: str | None) -> None:
        self.error = error

    def is_healthy(self) -> bool:
        return True

    def get_health_details(self) -> dict[str, Any]:
        return {"running": True, "schedules": {"nightly": {"last_error": self.error}}}


class SchedulerCheckTests(MonitoringCase):
    async def test_running_scheduler_is_healthy_and_stopped_is_unhealthy(self) -> None:
        scheduler = Scheduler(self.storage)
        manager = self.manager(scheduler=scheduler)
        check = SchedulerHealthCheck(scheduler)
        self.assertEqual(check.name, "scheduler")
        self.assertIs((await check.check_health()).status, U)
        await manager.start()
        self.assertIs((await check.check_health()).status, H)

    async def test_a_schedule_that_fails_to_enqueue_is_degraded(self) -> None:
        result = await SchedulerHealthCheck(FakeScheduler("unknown task 'x'")).check_health()
        self.assertIs(result.status, D)
        self.assertIn("nightly", result.message)
        self.assertIs((await SchedulerHealthCheck(FakeScheduler(None)).check_health()).status, H)
