"""uno.core.monitoring: the generic monitoring layer — instruments with a local
view, health-check types, the Prometheus text export and alerting.

    from uno.core.monitoring import AlertManager, HealthStatus, PrometheusMetricsExporter

Names load on first use (PEP 562), so importing one submodule never drags in
the others. Core never imports ``uno.jobs``: metric specs are core types
(``spec``), and the default metrics come from a registered provider
(``default_metrics``).
"""

from __future__ import annotations

from uno.core.lazy import lazy_exports

_EXPORTS = {
    "Alert": "alerts",
    "AlertManager": "alerts",
    "HealthCheck": "health",
    "HealthCheckResult": "health",
    "HealthQuery": "health",
    "HealthStatus": "health",
    "SystemHealth": "health",
    "worst": "health",
    "LocalView": "local_view",
    "MetricsManager": "instruments",
    "InstrumentKind": "spec",
    "MetricSpec": "spec",
    "default_metrics": "default_metrics",
    "register_default_metrics": "default_metrics",
    "PrometheusMetricsExporter": "prometheus",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
