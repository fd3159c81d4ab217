"""``router``: the job system's read-only admin API (FastAPI, the ``admin`` extra).

    from fastapi import FastAPI
    from uno.jobs.admin.api import router as jobs_router

    app = FastAPI()
    app.state.job_manager = job_manager
    app.include_router(jobs_router)                  # add your auth: dependencies=[...]

- ``GET /jobs/health``: the system health as JSON; 503 when unhealthy.
- ``GET /jobs/metrics``: Prometheus text; JSON (``JobMetrics.get_metrics()``)
  with ``?format=json`` or ``Accept: application/json``.
- ``GET /jobs/queues``: each queue's jobs by status, waiting count and pause state.
- ``GET /jobs/{job_id}``: a job's status and times — never its args, kwargs or
  result; 404 for an unknown id.

The routes find what they need through the dependencies in
``uno.jobs.admin.dependencies`` (overridable); the module holds no state.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "uno.jobs.admin.api needs FastAPI: install the admin extra, "
        "pip install 'uno-jobs-otel[admin]'"
    ) from exc

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from uno.core.monitoring.health import HealthStatus
from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs.admin.dependencies import (
    get_health_checker,
    get_job_manager,
    get_job_metrics,
    get_metrics_exporter,
)
from uno.jobs.admin.views import job_view, json_safe, queue_views
from uno.jobs.monitoring.health import JobSystemHealthChecker
from uno.jobs.monitoring.job_metrics import JobMetrics

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/health", summary="System health (503 when unhealthy)")
async def health(
    checker: Annotated[JobSystemHealthChecker, Depends(get_health_checker)],
) -> JSONResponse:
    system = await checker.get_system_health()
    code = 503 if system.status is HealthStatus.UNHEALTHY else 200
    return JSONResponse(json_safe(system.to_dict()), status_code=code)


@router.get("/metrics", summary="Metrics: Prometheus text, or JSON on request")
async def metrics(
    request: Request,
    exporter: Annotated[PrometheusMetricsExporter, Depends(get_metrics_exporter)],
    job_metrics: Annotated[JobMetrics, Depends(get_job_metrics)],
    format: Annotated[Literal["text", "json"] | None, Query()] = None,  # noqa: A002
) -> Response:
    accept = request.headers.get("accept", "")
    wants_json = format == "json" or (
        format is None and "application/json" in accept and "text/plain" not in accept)
    if wants_json:
        return JSONResponse(json_safe(job_metrics.get_metrics()))
    return Response(exporter.export_metrics(), media_type=exporter.content_type)


@router.get("/queues", summary="Queue lengths by status")
async def queues(manager: Annotated[Any, Depends(get_job_manager)]) -> dict[str, Any]:
    names = await manager.get_queue_names()
    if names.is_failure:
        raise HTTPException(status_code=500, detail=names.error)
    counts = await manager.storage.count_by_queue_and_status()
    paused = await manager.storage.paused_queues()
    return {"queues": queue_views(names.value or set(), counts, paused)}


@router.get("/{job_id}", summary="A job's status (never its args or result)")
async def job_status(job_id: str, manager: Annotated[Any, Depends(get_job_manager)]
                     ) -> dict[str, Any]:
    found = await manager.get_job(job_id)
    if found.is_failure:
        raise HTTPException(status_code=500, detail=found.error)
    if found.value is None:
        raise HTTPException(status_code=404, detail=f"no job with id {job_id!r}")
    return job_view(found.value)


__all__ = ["get_health_checker", "get_job_manager", "get_job_metrics", "get_metrics_exporter",
           "router"]
