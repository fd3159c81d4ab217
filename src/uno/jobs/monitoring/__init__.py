"""uno.jobs.monitoring: the job system's metrics, health checks and their telemetry.

    from uno.jobs.monitoring import JobMetrics, JobMetricsCollector, JobSystemHealthChecker

    metrics = JobMetrics()
    collector = JobMetricsCollector(job_manager, metrics)
    health_checker = JobSystemHealthChecker(job_manager, metrics=metrics)
    await collector.start(); await health_checker.start()

Names load on first use (PEP 562): ``import uno.jobs.monitoring.semconv`` loads
only the semantic-convention constants, not the OpenTelemetry API or SDK.
"""

from __future__ import annotations

from uno.core.lazy import lazy_exports

_EXPORTS = {
    "JobMetrics": "job_metrics",
    "default_job_metrics": "job_metrics",
    "set_default_job_metrics": "job_metrics",
    "JobMetricsCollector": "collector",
    "HealthTelemetry": "check_telemetry",
    "JobQueueHealthCheck": "checks",
    "SchedulerHealthCheck": "checks",
    "WorkerHealthCheck": "checks",
    "JobSystemHealthChecker": "health",
    "QueueThresholds": "health",
    "running_checker_for": "health",
    "ManagerMonitoring": "manager_monitoring",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
