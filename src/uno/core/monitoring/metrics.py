"""The public path of the Prometheus text export (``uno.core.monitoring.metrics``);
the code lives in :mod:`uno.core.monitoring.prometheus`.

    from uno.core.monitoring.metrics import PrometheusMetricsExporter

    exporter = PrometheusMetricsExporter(metrics_manager=job_metrics.metrics_manager)
    text = exporter.export_metrics()
"""

from uno.core.monitoring.prometheus import CONTENT_TYPE, PrometheusMetricsExporter

__all__ = ["CONTENT_TYPE", "PrometheusMetricsExporter"]
