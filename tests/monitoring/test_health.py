"""JobSystemHealthChecker: worst status wins, a raising check is unhealthy,
checks for queues that appear later, the periodic loop."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from uno.core.monitoring.health import HealthStatus, SystemHealth, worst
from uno.jobs import Scheduler
from uno.jobs.monitoring.health import (
    JobSystemHealthChecker,
    QueueThresholds,
    running_checker_for,
)

from .support import MonitoringCase, SettableCheck, eventually, fast_worker

H, D, U = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


class StatusTests(MonitoringCase):
    def test_statuses_are_strings_ordered_by_severity(self) -> None:
        self.assertEqual([s.value for s in HealthStatus], ["healthy", "degraded", "unhealthy"])
        self.assertTrue(H < D < U)
        self.assertTrue(U > "degraded")
        self.assertIs(worst(H, U, D), U)
        self.assertIs(worst(), H)


class CheckerTests(MonitoringCase):
    def checker(self, manager: Any = None, **options: Any) -> JobSystemHealthChecker:
        checker = JobSystemHealthChecker(manager or self.manager(), metrics=self.metrics, **options)
        self.later(checker.stop)
        return checker

    async def test_worst_status_wins(self) -> None:
        checker = self.checker()
        for name, status in (("a", H), ("b", D), ("c", H)):
            checker.add_health_check(SettableCheck(name, status))
        health = await checker.get_system_health()
        self.assertIs(health.status, D)
        self.assertIn("b (degraded)", health.message)
        checker.checks["c"].status = U
        self.assertIs((await checker.get_system_health()).status, U)

    async def test_a_raising_check_is_unhealthy_with_its_error(self) -> None:
        checker = self.checker()
        broken = SettableCheck("broken")
        broken.error = RuntimeError("database unreachable")
        checker.add_health_check(broken)
        checker.add_health_check(SettableCheck("fine"))
        health = await checker.get_system_health()
        self.assertIs(health.status, U)
        self.assertIn("database unreachable", health.checks["broken"].message)
        self.assertEqual(health.checks["broken"].details["error_type"], "RuntimeError")
        self.assertIs(health.checks["fine"].status, H)

    async def test_a_hanging_check_times_out_as_unhealthy(self) -> None:
        class Hanging(SettableCheck):
            async def check_health(self):
                await asyncio.sleep(60)

        checker = self.checker(check_timeout=0.05)
        checker.add_health_check(Hanging("slow"))
        health = await checker.get_system_health()
        self.assertIs(health.checks["slow"].status, U)
        self.assertIn("timed out", health.checks["slow"].message)

    async def test_checks_for_queues_workers_and_scheduler_are_added(self) -> None:
        worker = fast_worker(name="w1", queues=["emails"])
        manager = self.manager(workers=[worker], scheduler=Scheduler(self.storage))
        await manager.start()
        health = await self.checker(manager).get_system_health()
        self.assertEqual(set(health.checks), {"storage", "queue:emails", "worker:w1",
                                             "scheduler"})
        self.assertIs(health.status, H)

    async def test_queues_that_appear_later_get_a_check(self) -> None:
        manager = self.manager()
        manager.register_task("t", lambda: None, queue="reports")
        checker = self.checker(manager, queue_thresholds=QueueThresholds(max_queue_length=1))
        self.assertEqual(set((await checker.get_system_health()).checks),
                         {"storage", "queue:reports"})
        await manager.enqueue("t", queue_name="adhoc")
        await manager.enqueue("t", queue_name="adhoc")
        await manager.enqueue("t", queue_name="adhoc")
        health = await checker.get_system_health()
        self.assertEqual(set(health.checks), {"storage", "queue:reports", "queue:adhoc"})
        self.assertIs(health.checks["queue:adhoc"].status, D)

    async def test_a_bare_manager_has_only_its_healthy_store_check(self) -> None:
        health = await self.checker().get_system_health()
        self.assertIs(health.status, H)
        self.assertEqual(set(health.checks), {"storage"})

    async def test_to_dict_is_json(self) -> None:
        checker = self.checker()
        checker.add_health_check(SettableCheck("a", D, {"n": 3}))
        data = json.loads(json.dumps((await checker.get_system_health()).to_dict()))
        self.assertEqual(data["status"], "degraded")
        self.assertEqual(data["checks"]["a"]["details"], {"n": 3})
        self.assertIn("timestamp", data)

    async def test_get_system_health_reads_the_latest_without_awaiting(self) -> None:
        checker = self.checker()
        checker.add_health_check(SettableCheck("a", D))
        with self.assertRaises(LookupError):
            _ = checker.get_system_health().status
        evaluated = await checker.get_system_health()
        self.assertIsInstance(evaluated, SystemHealth)
        self.assertEqual(checker.get_system_health().status, "degraded")
        self.assertIs(checker.last_health, evaluated)

    async def test_start_evaluates_at_once_then_on_the_interval(self) -> None:
        checker = self.checker(check_interval=0.02)
        check = SettableCheck("a")
        checker.add_health_check(check)
        await checker.start()
        self.assertEqual(check.calls, 1)
        self.assertIs(running_checker_for(checker.job_manager), checker)
        await eventually(lambda: check.calls >= 3, what="periodic evaluations")
        await checker.start()  # a second start does nothing
        await checker.stop()
        await checker.stop()
        self.assertIsNone(running_checker_for(checker.job_manager))
        calls = check.calls
        await asyncio.sleep(0.06)
        self.assertEqual(check.calls, calls)
        await checker.start()
        self.assertTrue(checker.running)

    async def test_remove_health_check(self) -> None:
        checker = self.checker()
        checker.add_health_check(SettableCheck("a", U))
        await checker.get_system_health()
        self.assertTrue(checker.remove_health_check("a"))
        self.assertIs((await checker.get_system_health()).status, H)

    def test_check_interval_must_be_positive(self) -> None:
        with self.assertRaises(ValueError):
            JobSystemHealthChecker(object(), check_interval=timedelta(0))
