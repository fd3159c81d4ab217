"""uno.jobs.monitoring: the job system's metrics, health checks and their telemetry.

    from uno.jobs.monitoring import JobMetrics, JobMetricsCollector, JobSystemHealthChecker

    metrics = JobMetrics()
    collector = JobMetricsCollector(job_manager, metrics)
    health_checker = JobSystemHealthChecker(job_manager, metrics=metrics)
    await collector.start(); await health_checker.start()

Names load on first use (PEP 562): ``import uno.jobs.monitoring.semconv`` stays
free of OpenTelemetry, and no import cycle with ``uno.core.monitoring`` forms.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "JobMetrics": "job_metrics",
    "default_job_metrics": "job_metrics",
    "set_default_job_metrics": "job_metrics",
    "JobMetricsCollector": "collector",
    "HealthTelemetry": "health_telemetry",
    "JobQueueHealthCheck": "health_checks",
    "SchedulerHealthCheck": "health_checks",
    "WorkerHealthCheck": "health_checks",
    "JobSystemHealthChecker": "health",
    "QueueThresholds": "health",
    "running_checker_for": "health",
    "ManagerMonitoring": "manager_monitoring",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
