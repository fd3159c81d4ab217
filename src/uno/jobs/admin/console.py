"""``GET /jobs/ui``: the operator console, server-rendered HTML (Jinja2 templates
in ``templates/``, inline CSS and a few lines of inline JS — no build step, no CDN).

- ``GET /jobs/ui?refresh=5``: queues with counts by status and oldest waiting
  age, recent failures with their error, recent jobs, workers with heartbeat
  age, schedules with next run; reloads itself every ``refresh`` seconds (0: never).
- ``GET /jobs/ui/jobs/{job_id}``: one job with its attempts, timings and error
  (a 404 page for an unknown id).

Every job links to its trace through the ``trace_url`` template, else shows its
trace id to copy. Action buttons (retry, cancel, pause, ...) appear only with
``make_router(actions=True)``; they POST with ``fetch`` to the JSON routes,
which refuse cross-site requests.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from uno.jobs.admin.dependencies import get_job_manager
from uno.jobs.admin.errors import AdminRoute
from uno.jobs.admin.payloads import ShowPayloads, get_payloads
from uno.jobs.admin.read_routes import find_job
from uno.jobs.admin.settings import ConsoleSettings, get_console_settings
from uno.jobs.admin.snapshot import (
    job_detail,
    job_info,
    queue_infos,
    schedule_infos,
    worker_infos,
)
from uno.jobs.job import JobStatus, utcnow

router = APIRouter(include_in_schema=False, route_class=AdminRoute)
RECENT = 20
STATUS_ORDER = ("pending", "reserved", "running", "retrying", "completed", "failed", "timeout",
                "cancelled")
_FAILED = (JobStatus.FAILED, JobStatus.TIMEOUT)


def age(seconds: float | None) -> str:
    """``"4.2s"``, ``"3.0m"``, ``"2.5h"``, ``"1.2d"``; ``"—"`` for None."""
    if seconds is None:
        return "—"
    for limit, unit, size in ((120, "s", 1), (7200, "m", 60), (172800, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds / 86400:.1f}d"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def pretty(value: Any) -> str:
    """Indented JSON (``repr`` for what JSON cannot hold)."""
    return json.dumps(value, indent=2, default=repr, ensure_ascii=False)


_templates = Environment(loader=PackageLoader("uno.jobs.admin", "templates"),
                         autoescape=select_autoescape(default=True))
_templates.filters.update(age=age, when=when, pretty=pretty)


def _render(name: str, request: Request, settings: ConsoleSettings, status_code: int = 200,
            **context: Any) -> HTMLResponse:
    page = request.url_for("console_page").path
    html = _templates.get_template(name).render(
        api=page.removesuffix("/ui"), page=page, actions=settings.actions,
        trace_url=settings.trace_url, now=utcnow(), statuses=STATUS_ORDER, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


@router.get("/ui", response_class=HTMLResponse, name="console_page")
async def console_page(
    request: Request,
    manager: Annotated[Any, Depends(get_job_manager)],
    settings: Annotated[ConsoleSettings, Depends(get_console_settings)],
    refresh: Annotated[int, Query(ge=0, le=3600)] = 5,
) -> HTMLResponse:
    storage = manager.storage
    failed = await storage.find_jobs(statuses=_FAILED, limit=RECENT)
    recent = await storage.find_jobs(limit=RECENT)
    return _render(
        "overview.html", request, settings, refresh=refresh,
        queues=list((await queue_infos(manager)).values()),
        failures=[job_info(job, settings.trace_url) for job in failed],
        jobs=[job_info(job, settings.trace_url) for job in recent],
        workers=await worker_infos(manager), schedules=schedule_infos(manager),
    )


@router.get("/ui/jobs/{job_id}", response_class=HTMLResponse, name="console_job_page")
async def console_job_page(
    job_id: str,
    request: Request,
    manager: Annotated[Any, Depends(get_job_manager)],
    settings: Annotated[ConsoleSettings, Depends(get_console_settings)],
    payloads: Annotated[ShowPayloads | None, Depends(get_payloads)],
    refresh: Annotated[int, Query(ge=0, le=3600)] = 5,
) -> HTMLResponse:
    try:
        job = job_detail(await find_job(manager, job_id), settings.trace_url, payloads)
    except HTTPException as missing:
        return _render("missing.html", request, settings, status_code=missing.status_code,
                       refresh=0, detail=missing.detail)
    return _render("job.html", request, settings, refresh=refresh, job=job)


__all__ = ["age", "router", "when"]
