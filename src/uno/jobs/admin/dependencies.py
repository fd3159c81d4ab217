"""What the admin routes need, as FastAPI dependencies — override any of them
with ``app.dependency_overrides[get_job_manager] = lambda: my_manager``.

- ``get_job_manager``: ``app.state.job_manager`` (503 when there is none).
- ``get_job_metrics``: ``app.state.job_metrics``, else the process default
  (the plugin's ``JobMetrics`` when it is loaded).
- ``get_health_checker``: ``app.state.health_checker``, else the started checker
  of the manager (the plugin's, under zero code), else one created for the
  manager and kept on ``app.state``.
- ``get_metrics_exporter``: a ``PrometheusMetricsExporter`` over the metrics.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs.monitoring.health import JobSystemHealthChecker, running_checker_for
from uno.jobs.monitoring.job_metrics import JobMetrics, default_job_metrics

_CACHED_CHECKER = "uno_jobs_health_checker"


def get_job_manager(request: Request) -> Any:
    manager = getattr(request.app.state, "job_manager", None)
    if manager is None:
        raise HTTPException(
            status_code=503,
            detail="no job manager: set app.state.job_manager or override get_job_manager",
        )
    return manager


def get_job_metrics(request: Request) -> JobMetrics:
    metrics = getattr(request.app.state, "job_metrics", None)
    return metrics if metrics is not None else default_job_metrics()


def get_health_checker(
    request: Request,
    manager: Annotated[Any, Depends(get_job_manager)],
    metrics: Annotated[JobMetrics, Depends(get_job_metrics)],
) -> JobSystemHealthChecker:
    state = request.app.state
    checker = getattr(state, "health_checker", None) or running_checker_for(manager)
    if checker is not None:
        return checker
    cached = getattr(state, _CACHED_CHECKER, None)
    if cached is None or cached.job_manager is not manager:
        cached = JobSystemHealthChecker(manager, metrics=metrics)
        setattr(state, _CACHED_CHECKER, cached)
    return cached


def get_metrics_exporter(
    metrics: Annotated[JobMetrics, Depends(get_job_metrics)],
) -> PrometheusMetricsExporter:
    return PrometheusMetricsExporter(metrics_manager=metrics.metrics_manager)


__all__ = ["get_health_checker", "get_job_manager", "get_job_metrics", "get_metrics_exporter"]
