"""Health becomes telemetry: the gauge uno_jobs.health {check, status} and a
log record (WARNING degraded, ERROR unhealthy, INFO recovered) per change."""

from __future__ import annotations

import logging
import warnings

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from uno.core.monitoring.health import HealthCheckResult, HealthStatus
from uno.jobs.monitoring.check_telemetry import HealthTelemetry, detail_attributes
from uno.jobs.monitoring.health import JobSystemHealthChecker

from .support import MonitoringCase, SettableCheck, fast_worker, gauge_points, key

H, D, U = HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


class TransitionTests(MonitoringCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.checker = JobSystemHealthChecker(self.manager(), metrics=self.metrics)
        self.later(self.checker.stop)
        self.check = SettableCheck("queue:emails", H, {"queue_length": 7, "nested": {"a": 1}})
        self.checker.add_health_check(self.check)

    def health_gauge(self) -> dict:
        """The gauge's series, but the store's (healthy throughout here)."""
        points = gauge_points(self.reader, "uno_jobs.health")
        return {attrs: n for attrs, n in points.items() if dict(attrs)["check"] != "storage"}

    def assert_gauge(self, current: HealthStatus) -> None:
        self.assertEqual(self.health_gauge(), {
            key(check="queue:emails", status=s.value): int(s is current) for s in HealthStatus})

    async def transition(self, status: HealthStatus, level: int) -> logging.LogRecord:
        self.check.status = status
        with self.assertLogs("uno.jobs.health", logging.DEBUG) as logs:
            await self.checker.get_system_health()
        (record,) = logs.records
        self.assertEqual(record.levelno, level)
        return record

    async def test_a_first_healthy_result_sets_the_gauge_and_logs_nothing(self) -> None:
        with self.assertNoLogs("uno.jobs.health", logging.DEBUG):
            await self.checker.get_system_health()
        self.assert_gauge(H)

    async def test_degraded_unhealthy_and_recovery(self) -> None:
        await self.checker.get_system_health()
        record = await self.transition(D, logging.WARNING)
        self.assert_gauge(D)
        self.assertEqual((record.health_check, record.health_status, record.previous_status),
                         ("queue:emails", "degraded", "healthy"))
        self.assertEqual(getattr(record, "health.detail.queue_length"), 7)
        self.assertEqual(getattr(record, "health.detail.nested.a"), 1)
        self.assertEqual(record.health_message, "queue:emails is degraded")

        record = await self.transition(U, logging.ERROR)
        self.assert_gauge(U)
        self.assertEqual(record.previous_status, "degraded")

        record = await self.transition(H, logging.INFO)
        self.assert_gauge(H)
        self.assertIn("recovered", record.getMessage())
        self.assertEqual(record.previous_status, "unhealthy")

    async def test_an_unchanged_status_logs_once(self) -> None:
        self.check.status = U
        with self.assertLogs("uno.jobs.health", logging.DEBUG) as logs:
            for _ in range(3):
                await self.checker.get_system_health()
        self.assertEqual(len(logs.records), 1)
        self.assertEqual(logs.records[0].previous_status, "unknown")

    async def test_a_raising_check_logs_error_with_its_message(self) -> None:
        self.check.error = ValueError("boom")
        with self.assertLogs("uno.jobs.health", logging.ERROR) as logs:
            await self.checker.get_system_health()
        self.assertIn("boom", logs.records[0].health_message)
        self.assertEqual(getattr(logs.records[0], "health.detail.error_type"), "ValueError")
        self.assert_gauge(U)

    async def test_a_stopping_worker_turns_its_gauge_unhealthy(self) -> None:
        worker = fast_worker(name="w1")
        manager = self.manager(workers=[worker])
        checker = JobSystemHealthChecker(manager, metrics=self.metrics)
        self.later(checker.stop)
        await manager.start()
        await checker.start()
        self.assertEqual(self.health_gauge()[key(check="worker:w1", status="healthy")], 1)
        await worker.stop()
        with self.assertLogs("uno.jobs.health", logging.ERROR) as logs:
            await checker.get_system_health()
        self.assertEqual(self.health_gauge()[key(check="worker:w1", status="unhealthy")], 1)
        self.assertEqual(logs.records[0].health_check, "worker:w1")
        self.assertIs(getattr(logs.records[0], "health.detail.running"), False)

    async def test_stop_drops_the_checkers_series(self) -> None:
        await self.checker.start()
        self.assert_gauge(H)
        await self.checker.stop()
        self.assertEqual(self.health_gauge(), {})

    async def test_records_reach_the_opentelemetry_logs_pipeline_as_attributes(self) -> None:
        exporter = InMemoryLogRecordExporter()
        provider = LoggerProvider(shutdown_on_exit=False)
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        with warnings.catch_warnings():  # the SDK's handler is deprecated, still the reference
            warnings.simplefilter("ignore", DeprecationWarning)
            handler = LoggingHandler(logger_provider=provider)
        logger = logging.getLogger("uno.jobs.health")
        logger.addHandler(handler)
        try:
            await self.checker.get_system_health()
            self.check.status = D
            await self.checker.get_system_health()
        finally:
            logger.removeHandler(handler)
            provider.shutdown()
        (exported,) = exporter.get_finished_logs()
        log_record = exported.log_record
        self.assertEqual(log_record.severity_text, "WARN")
        self.assertEqual(log_record.attributes["health_check"], "queue:emails")
        self.assertEqual(log_record.attributes["health_status"], "degraded")
        self.assertEqual(log_record.attributes["health.detail.queue_length"], 7)


class DetailAttributeTests(MonitoringCase):
    def test_flattening(self) -> None:
        flat = detail_attributes({"a": {"b": 1, "c": None}, "ids": ["x", "y"],
                                  "mixed": [1, "a"], "when": object})
        self.assertEqual(flat["health.detail.a.b"], 1)
        self.assertNotIn("health.detail.a.c", flat)
        self.assertEqual(flat["health.detail.ids"], ["x", "y"])
        self.assertEqual(flat["health.detail.mixed"], ["1", "a"])
        self.assertIsInstance(flat["health.detail.when"], str)

    def test_the_number_of_attributes_is_capped(self) -> None:
        flat = detail_attributes({str(i): i for i in range(500)}, limit=10)
        self.assertEqual(len(flat), 10)

    def test_telemetry_forget_clears_the_series(self) -> None:
        telemetry = HealthTelemetry(self.metrics)
        telemetry.record("x", HealthCheckResult(H))
        self.assertEqual(len(gauge_points(self.reader, "uno_jobs.health")), 3)
        telemetry.forget("x")
        self.assertEqual(gauge_points(self.reader, "uno_jobs.health"), {})
        self.assertIsNone(telemetry.last_status("x"))
