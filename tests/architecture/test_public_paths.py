"""Every import path of the public contract (../shared/contract.md §1) still
answers the names it promises, whatever module now holds them."""

from __future__ import annotations

import importlib
import unittest

PUBLIC = {
    "uno.jobs.manager": ["JobManager"],
    "uno.jobs": ["JobManager", "Job", "JobStatus", "Priority", "InMemoryJobStorage",
                 "SQLiteJobStorage", "AsyncWorker", "Scheduler", "IntervalSchedule",
                 "CronSchedule", "Result"],
    "uno.jobs.monitoring.metrics": ["JobMetrics", "JobMetricsCollector"],
    "uno.jobs.monitoring.health": ["JobQueueHealthCheck", "WorkerHealthCheck",
                                   "SchedulerHealthCheck", "JobSystemHealthChecker"],
    "uno.core.monitoring.health": ["HealthStatus", "HealthCheck"],
    "uno.core.monitoring.metrics": ["PrometheusMetricsExporter"],
    "uno.core.monitoring.alerts": ["AlertManager"],
    "uno.jobs.admin.api": ["router"],
    "opentelemetry.instrumentation.uno_jobs": ["UnoJobsInstrumentor"],
}


class PublicImportPathsTest(unittest.TestCase):
    def test_every_public_name_imports_from_its_documented_path(self) -> None:
        for module_name, names in PUBLIC.items():
            module = importlib.import_module(module_name)
            for name in names:
                with self.subTest(f"from {module_name} import {name}"):
                    self.assertTrue(hasattr(module, name))


if __name__ == "__main__":
    unittest.main()
