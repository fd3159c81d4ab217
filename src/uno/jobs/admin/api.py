"""``router`` and ``make_router``: the job system's admin API and console
(FastAPI, the ``admin`` extra).

    from fastapi import Depends, FastAPI
    from uno.jobs.admin.api import make_router, router

    app = FastAPI()
    app.state.job_manager = job_manager
    app.include_router(router)                       # read-only; add your auth: dependencies=[...]
    # or, with the mutating routes and trace links:
    app.include_router(make_router(actions=True, dependencies=[Depends(require_admin)],
                                   trace_url="http://localhost:16686/trace/{trace_id}"))

Besides the routes below: uno's admin routes (``read_routes``, and with
``actions=True`` ``action_routes``) and the HTML console ``GET /jobs/ui``
(``console``). ``trace_url`` defaults to ``UNO_JOBS_TRACE_URL``.

- ``GET /jobs/health``: the system health as JSON; 503 when unhealthy.
- ``GET /jobs/metrics``: Prometheus text; JSON (``JobMetrics.get_metrics()``)
  with ``?format=json`` or ``Accept: application/json``.
- ``GET /jobs/queues`` (in ``read_routes``): each queue's jobs by status, waiting
  count and pause state.
- ``GET /jobs/{job_id}``: a job's status and times — never its args, kwargs or
  result; 404 for an unknown id.

Every route answers an error as JSON ``{"detail": ...}`` — 503 while the job
store cannot be reached (see ``uno.jobs.admin.errors``).

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

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, params
from fastapi.responses import JSONResponse, Response

from uno.core.monitoring.health import HealthStatus
from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs.admin import action_routes, console, read_routes
from uno.jobs.admin.dependencies import (
    get_health_checker,
    get_job_manager,
    get_job_metrics,
    get_metrics_exporter,
)
from uno.jobs.admin.errors import AdminRoute
from uno.jobs.admin.settings import ConsoleSettings
from uno.jobs.admin.views import job_view, json_safe
from uno.jobs.monitoring.health import JobSystemHealthChecker
from uno.jobs.monitoring.job_metrics import JobMetrics

monitoring = APIRouter(route_class=AdminRoute)
legacy = APIRouter(route_class=AdminRoute)


@monitoring.get("/health", summary="System health (503 when unhealthy)")
async def health(
    checker: Annotated[JobSystemHealthChecker, Depends(get_health_checker)],
) -> JSONResponse:
    system = await checker.get_system_health()
    code = 503 if system.status is HealthStatus.UNHEALTHY else 200
    return JSONResponse(json_safe(system.to_dict()), status_code=code)


@monitoring.get("/metrics", summary="Metrics: Prometheus text, or JSON on request")
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


@legacy.get("/{job_id}", summary="A job's status (never its args or result)")
async def job_status(job_id: str, manager: Annotated[Any, Depends(get_job_manager)]
                     ) -> dict[str, Any]:
    return job_view(await read_routes.find_job(manager, job_id))


def make_router(*, actions: bool = False, trace_url: str | None = None,
                dependencies: Sequence[params.Depends] = ()) -> APIRouter:
    """The admin routes under ``/jobs``; the mutating ones only with ``actions``.
    ``dependencies`` (e.g. your auth) guard every route, the page included."""
    settings = ConsoleSettings.create(actions=actions, trace_url=trace_url)
    router = APIRouter(prefix="/jobs", tags=["jobs"],
                       dependencies=[*dependencies, Depends(settings.install)])
    router.include_router(monitoring)
    router.include_router(console.router)
    router.include_router(read_routes.router)
    if settings.actions:
        router.include_router(action_routes.router)
    router.include_router(legacy)  # GET /jobs/{job_id} last: it matches any one segment
    return router


router = make_router()

__all__ = ["get_health_checker", "get_job_manager", "get_job_metrics", "get_metrics_exporter",
           "make_router", "router"]
