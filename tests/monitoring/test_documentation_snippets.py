"""Every code snippet of the uno monitoring documentation page, as written (inside async
test methods; the documentation's broken code fences around call arguments removed)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import unittest
from pathlib import Path

from fastapi.testclient import TestClient

from uno.core.monitoring.health import HealthCheckResult, HealthStatus
from uno.jobs import JobStatus

from .support import MonitoringCase, fast_worker


class DocumentationSnippetTests(MonitoringCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.worker = fast_worker(queues=["default"], concurrency=2)
        self.job_manager = self.manager(workers=[self.worker])

        @self.job_manager.task(name="email")
        async def email(to: str) -> str:
            return f"sent to {to}"

        await self.job_manager.start()

    async def test_metrics_usage(self) -> None:
        from uno.jobs.monitoring.metrics import JobMetrics, JobMetricsCollector

        job_manager = self.job_manager
        await job_manager.enqueue("email", args=["ada@example.com"])

        # Create metrics
        metrics = JobMetrics()

        # Record metrics manually
        metrics.record_job_enqueued(queue="default", task="email", priority="HIGH")
        metrics.record_execution_time(queue="default", task="email", seconds=1.5)

        # Or use the built-in collector
        collector = JobMetricsCollector(job_manager, metrics)
        await collector.start()

        # Get all metrics
        all_metrics = metrics.get_metrics()

        await collector.stop()
        enqueued = all_metrics["uno_jobs.job_enqueued"]
        self.assertEqual(enqueued["total"], 1.0)
        self.assertEqual(enqueued["series"][0]["attributes"],
                         {"queue": "default", "task": "email", "priority": "HIGH"})
        execution = all_metrics["uno_jobs.execution_time"]["series"][0]
        self.assertEqual((execution["count"], execution["sum"]), (1, 1.5))
        queue_series = all_metrics["uno_jobs.queue_length"]["series"]
        self.assertEqual({s["attributes"]["status"] for s in queue_series},
                         {status.value for status in JobStatus})
        self.assertIn("uno_jobs.worker_idle", all_metrics)
        self.assertEqual(all_metrics["uno_jobs.worker_busy"]["series"][0]["attributes"],
                         {"worker_type": "AsyncWorker"})

    async def test_health_checks_usage(self) -> None:
        from uno.jobs.monitoring.health import JobSystemHealthChecker

        job_manager = self.job_manager

        # Create health checker
        health_checker = JobSystemHealthChecker(job_manager)
        await health_checker.start()

        # Get system health
        health_status = await health_checker.get_system_health()

        await health_checker.stop()
        self.assertIs(health_status.status, HealthStatus.HEALTHY)
        self.assertEqual(health_status.status, "healthy")
        self.assertIsInstance(health_status.message, str)
        self.assertIn("queue:default", health_status.checks)
        self.assertIn(f"worker:{self.worker.name}", health_status.checks)
        self.assertIsInstance(health_status.checks["queue:default"], HealthCheckResult)
        self.assertIsNotNone(health_status.timestamp.tzinfo)

    async def test_prometheus_integration(self) -> None:
        from uno.core.monitoring.prometheus import PrometheusMetricsExporter
        from uno.jobs.monitoring.metrics import JobMetrics

        job_metrics = JobMetrics()
        job_metrics.record_job_enqueued(queue="default", task="email", priority="HIGH")

        # Create exporter
        exporter = PrometheusMetricsExporter(metrics_manager=job_metrics.metrics_manager)

        # Export metrics
        prometheus_metrics = exporter.export_metrics()

        self.assertIn('uno_jobs_job_enqueued_total{priority="HIGH",queue="default",task="email"}'
                      " 1.0", prometheus_metrics.splitlines())

    async def test_health_api_integration(self) -> None:
        from fastapi import FastAPI

        from uno.jobs.admin.api import router as jobs_router

        app = FastAPI()
        app.include_router(jobs_router)

        # The /jobs/health endpoint provides health check status
        # The /jobs/metrics endpoint provides metrics data
        app.state.job_manager = self.job_manager
        with TestClient(app) as client:
            health = await asyncio.to_thread(client.get, "/jobs/health")
            metrics = await asyncio.to_thread(client.get, "/jobs/metrics")
        self.assertEqual(health.status_code, 200, health.text)
        self.assertEqual(health.json()["status"], "healthy")
        self.assertEqual(metrics.status_code, 200)
        self.assertIn("# TYPE uno_jobs_job_enqueued_total counter", metrics.text)

    async def test_alerting(self) -> None:
        from uno.core.monitoring.alerts import AlertManager
        from uno.jobs.monitoring.health import JobSystemHealthChecker

        health_checker = JobSystemHealthChecker(self.job_manager)
        await health_checker.start()
        self.later(health_checker.stop)

        # Create alerting system
        alert_manager = AlertManager()

        # Add alert for unhealthy job system
        alert_manager.add_alert(
            name="job_system_unhealthy",
            condition=lambda: health_checker.get_system_health().status != "healthy",
            message="Job system is not healthy",
            severity="critical",
        )

        # Start alert monitoring
        await alert_manager.start_monitoring()
        self.later(alert_manager.stop_monitoring)

        self.assertEqual(alert_manager.active_alerts, {})
        await self.worker.stop()                        # the system turns unhealthy
        await health_checker.get_system_health()
        with self.assertLogs("uno.jobs.alerts", logging.CRITICAL) as logs:
            await alert_manager.evaluate()
        self.assertEqual(list(alert_manager.active_alerts), ["job_system_unhealthy"])
        self.assertIn("Job system is not healthy", logs.output[0])

    async def test_logging(self) -> None:
        from uno.jobs.manager import JobManager

        root = logging.getLogger()
        saved = (root.level, list(root.handlers))
        try:
            storage = self.storage

            # Set up logging
            logging.basicConfig(level=logging.INFO)
            logger = logging.getLogger("uno.jobs")

            # Create job manager with logger
            job_manager = JobManager(
                storage=storage,
                logger=logger,
            )
        finally:
            root.setLevel(saved[0])
            root.handlers[:] = saved[1]
        job_manager.register_task("noop", lambda: None)
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            await job_manager.enqueue("noop")
        self.assertIn("enqueued", logs.output[0])


class ExampleTests(unittest.TestCase):
    def test_the_monitoring_example_runs(self) -> None:
        example = Path(__file__).resolve().parents[2] / "examples" / "monitoring_api.py"
        result = subprocess.run([sys.executable, str(example)], capture_output=True, text=True,
                                timeout=60, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("active alerts: ['job_system_unhealthy']", result.stdout)
        self.assertIn('uno_jobs_health{check="worker:worker-1",status="unhealthy"} 1.0',
                      result.stdout)
