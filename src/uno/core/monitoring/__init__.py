"""uno.core.monitoring: the generic monitoring layer — instruments with a local
view, health-check types, the Prometheus text export and alerting.

    from uno.core.monitoring import AlertManager, HealthStatus, PrometheusMetricsExporter

Names load on first use (PEP 562), so importing one submodule never drags in
the others (and no import cycle with ``uno.jobs.monitoring`` can form).
"""

from __future__ import annotations

import importlib
from typing import Any

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
    "PrometheusMetricsExporter": "metrics",
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
