"""``JobQueueHealthCheck`` as uno documents it: past ``max_queue_length`` or
``max_failed_jobs`` a queue is DEGRADED ("maximum acceptable ... before
degraded status"), however far past; a threshold of 0 can be merely degraded;
escalation to UNHEALTHY is an explicit option (``unhealthy_factor``)."""

from __future__ import annotations

from typing import Any

from uno.core.monitoring.health import HealthStatus
from uno.jobs import Job, JobStatus
from uno.jobs.monitoring.health import JobQueueHealthCheck, JobSystemHealthChecker, QueueThresholds

from .support import MonitoringCase

H, D, U = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


class QueueThresholdTests(MonitoringCase):
    async def add(self, count: int, status: JobStatus = JobStatus.PENDING) -> None:
        for _ in range(count):
            await self.storage.add(Job(task_name="t", queue_name="q", status=status))

    async def status(self, **options: Any) -> HealthStatus:
        return (await JobQueueHealthCheck(self.manager(), "q", **options).check_health()).status

    async def test_a_backlog_far_past_the_threshold_is_degraded_not_unhealthy(self) -> None:
        await self.add(30)
        self.assertIs(await self.status(max_queue_length=10), D)
        self.assertIs(await self.status(max_queue_length=30), H)

    async def test_failed_jobs_far_past_the_threshold_are_degraded(self) -> None:
        await self.add(12, JobStatus.FAILED)
        self.assertIs(await self.status(max_failed_jobs=2), D)

    async def test_a_threshold_of_zero_can_be_merely_degraded(self) -> None:
        await self.add(1)
        await self.add(1, JobStatus.FAILED)
        self.assertIs(await self.status(max_queue_length=0), D)
        self.assertIs(await self.status(max_failed_jobs=0), D)

    async def test_escalation_to_unhealthy_is_an_explicit_option(self) -> None:
        await self.add(30)
        self.assertIs(await self.status(max_queue_length=10, unhealthy_factor=2), U)
        self.assertIs(await self.status(max_queue_length=15, unhealthy_factor=2), D)
        self.assertIs(await self.status(max_queue_length=0, unhealthy_factor=2), U)
        result = await JobQueueHealthCheck(self.manager(), "q", max_queue_length=10,
                                           unhealthy_factor=2).check_health()
        self.assertIn("queue length 30 > 2 x 10", result.message)

    async def test_the_default_backlog_does_not_take_the_system_down(self) -> None:
        for _ in range(2_001):
            await self.storage.add(Job(task_name="t", queue_name="emails"))
        health = await JobSystemHealthChecker(self.manager(), metrics=self.metrics
                                              ).get_system_health()
        self.assertIs(health.checks["queue:emails"].status, D)
        self.assertIs(health.status, D)

    async def test_the_checker_passes_the_option_to_its_queue_checks(self) -> None:
        await self.add(3)
        thresholds = QueueThresholds(max_queue_length=1, unhealthy_factor=2)
        checker = JobSystemHealthChecker(self.manager(), metrics=self.metrics,
                                         queue_thresholds=thresholds)
        self.assertIs((await checker.get_system_health()).checks["queue:q"].status, U)

    def test_the_docstring_says_what_makes_each_check_unhealthy(self) -> None:
        doc = JobQueueHealthCheck.__doc__ or ""
        for phrase in ("DEGRADED", "UNHEALTHY", "unhealthy_factor", "stalled"):
            self.assertIn(phrase, doc)
