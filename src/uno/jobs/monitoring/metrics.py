"""The uno metrics API: ``JobMetrics`` and ``JobMetricsCollector``.

    from uno.jobs.monitoring.metrics import JobMetrics, JobMetricsCollector

    metrics = JobMetrics()
    metrics.record_job_enqueued(queue="default", task="email", priority="HIGH")
    metrics.record_execution_time(queue="default", task="email", seconds=1.5)

    collector = JobMetricsCollector(job_manager, metrics)
    await collector.start()

    all_metrics = metrics.get_metrics()

Both record on the same OpenTelemetry instruments as the plugin (names, units,
buckets and attribute keys from ``uno.jobs.monitoring.semconv``): under zero
code, ``default_job_metrics()`` is the plugin's ``JobMetrics``.
"""

from uno.jobs.monitoring.collector import JobMetricsCollector
from uno.jobs.monitoring.job_metrics import JobMetrics, default_job_metrics, set_default_job_metrics

__all__ = ["JobMetrics", "JobMetricsCollector", "default_job_metrics", "set_default_job_metrics"]
