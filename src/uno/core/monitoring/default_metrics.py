"""The process-wide metrics that core monitoring objects record into when none
is passed (``AlertManager()``, ``PrometheusMetricsExporter()``).

Core does not know who provides them: a package registers a factory, either by
calling :func:`register_default_metrics` when it is imported, or through the
``uno_monitoring_default_metrics`` entry point (the job package declares
``uno.jobs.monitoring.job_metrics:default_job_metrics`` there, so the default
exists even when only ``uno.core.monitoring`` was imported).

    from uno.core.monitoring.default_metrics import default_metrics
    default_metrics().metrics_manager.view.snapshot()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from uno.core.monitoring.instruments import MetricsManager

ENTRY_POINT_GROUP = "uno_monitoring_default_metrics"


class DefaultMetrics(Protocol):
    """What core needs of the default metrics: their instruments and the alert gauge."""

    @property
    def metrics_manager(self) -> MetricsManager: ...

    def set_alert(self, alert: str, severity: str, firing: bool) -> None: ...


_lock = threading.Lock()
_factory: Callable[[], DefaultMetrics] | None = None


def register_default_metrics(factory: Callable[[], DefaultMetrics]) -> None:
    """Make ``factory()`` the provider of the default metrics (called on every use,
    so the provider may swap what it returns)."""
    global _factory
    with _lock:
        _factory = factory


def default_metrics() -> DefaultMetrics:
    """The registered default metrics; ``LookupError`` when no package provides them."""
    global _factory
    with _lock:
        factory = _factory
    if factory is None:  # loading may import a provider that registers itself: no lock held
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            loaded = entry_point.load()
            with _lock:
                if _factory is None:
                    _factory = loaded
                factory = _factory
            break
    if factory is None:
        raise LookupError("no default metrics are registered: pass metrics explicitly, or "
                          f"install a package providing the {ENTRY_POINT_GROUP!r} entry point")
    return factory()


__all__ = ["DefaultMetrics", "default_metrics", "register_default_metrics"]
