"""The admin API's read-only routes (uno's shapes, under ``/jobs``):

- ``GET /info``: workers, queues, schedules, total jobs and health
- ``GET /queues``: every queue (``{"queues": {name: ...}}``, today's shape, extended)
- ``GET /queues/{queue_name}``: one queue's counts by status, pause state, oldest wait
- ``GET /jobs?status=&queue_name=&task_name=&limit=&offset=``: jobs, newest first
- ``GET /jobs/{job_id}``: one job with attempts, timings, error, tags and ``trace_id``
- ``GET /workers``, ``GET /workers/{worker_name}``; ``GET /schedules``, ``GET /schedules/{id}``

Bad input is a 4xx with a JSON ``detail``: 404 for an unknown name or id, 422
for a bad status name or a negative limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from uno.core.monitoring.health import HealthStatus
from uno.jobs.admin.dependencies import get_health_checker, get_job_manager
from uno.jobs.admin.errors import AdminRoute, value_of
from uno.jobs.admin.models import (
    JobDetail,
    JobInfo,
    QueueInfo,
    QueuesResponse,
    ScheduleInfo,
    SystemInfo,
    WorkerInfo,
)
from uno.jobs.admin.payloads import ShowPayloads, get_payloads
from uno.jobs.admin.settings import ConsoleSettings, get_console_settings
from uno.jobs.admin.snapshot import (
    job_detail,
    job_info,
    queue_infos,
    schedule_info,
    schedule_infos,
    worker_infos,
)
from uno.jobs.job import Job, JobStatus
from uno.jobs.monitoring.health import JobSystemHealthChecker

router = APIRouter(route_class=AdminRoute)
Manager = Annotated[Any, Depends(get_job_manager)]
Settings = Annotated[ConsoleSettings, Depends(get_console_settings)]
STATUS_NAMES = ", ".join(s.value for s in JobStatus)


def parse_status(raw: str | None) -> list[JobStatus] | None:
    """``"failed"`` or ``"failed,timeout"`` (any case) -> statuses; 422 for an unknown name."""
    if raw is None or not raw.strip():
        return None
    statuses = []
    for part in raw.split(","):
        try:
            statuses.append(JobStatus(part.strip().lower()))
        except ValueError:
            raise HTTPException(status_code=422, detail=f"unknown job status {part.strip()!r}; "
                                f"expected one of {STATUS_NAMES}") from None
    return statuses


async def find_job(manager: Any, job_id: str) -> Job:
    job = value_of(await manager.get_job(job_id))
    if job is None:
        raise HTTPException(status_code=404, detail=f"no job with id {job_id!r}")
    return job


def find_schedule(manager: Any, schedule_id: str) -> Any:
    scheduler = getattr(manager, "scheduler", None)
    if scheduler is None:
        raise HTTPException(status_code=404, detail="this job manager has no scheduler")
    entry = scheduler.get_schedule(schedule_id)
    if entry is None:
        raise HTTPException(status_code=404, detail=f"no schedule {schedule_id!r}")
    return entry


@router.get("/info", response_model=SystemInfo, summary="The job system at a glance")
async def info(
    manager: Manager, settings: Settings,
    checker: Annotated[JobSystemHealthChecker, Depends(get_health_checker)],
) -> SystemInfo:
    queues = await queue_infos(manager)
    by_status = {s.value: sum(q.by_status.get(s.value, 0) for q in queues.values())
                 for s in JobStatus}
    health = await checker.get_system_health()
    status = health.status
    return SystemInfo(
        worker_count=len(await worker_infos(manager)), queue_count=len(queues),
        schedule_count=len(schedule_infos(manager)), total_jobs=sum(by_status.values()),
        jobs_by_status=by_status,
        health_status=status.value if isinstance(status, HealthStatus) else str(status),
        actions_enabled=settings.actions,
    )


@router.get("/queues", response_model=QueuesResponse, summary="Queues with counts by status")
async def queues(manager: Manager) -> QueuesResponse:
    return QueuesResponse(queues=await queue_infos(manager))


@router.get("/queues/{queue_name}", response_model=QueueInfo, summary="One queue")
async def queue(queue_name: str, manager: Manager) -> QueueInfo:
    found = (await queue_infos(manager)).get(queue_name)
    if found is None:
        raise HTTPException(status_code=404, detail=f"unknown queue {queue_name!r}")
    return found


@router.get("/jobs", response_model=list[JobInfo], summary="Jobs, newest first")
async def jobs(
    manager: Manager, settings: Settings,
    status: Annotated[str | None, Query(description=f"one or more of {STATUS_NAMES}, "
                                        "comma-separated")] = None,
    queue_name: str | None = None,
    task_name: str | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[JobInfo]:
    found = await manager.storage.find_jobs(statuses=parse_status(status), queue_name=queue_name,
                                            task_name=task_name, limit=limit, offset=offset)
    return [job_info(job, settings.trace_url) for job in found]


@router.get("/jobs/{job_id}", response_model=JobDetail, summary="One job and its trace id")
async def job(
    job_id: str, manager: Manager, settings: Settings,
    payloads: Annotated[ShowPayloads | None, Depends(get_payloads)],
) -> JobDetail:
    return job_detail(await find_job(manager, job_id), settings.trace_url, payloads)


@router.get("/workers", response_model=list[WorkerInfo], summary="Workers")
async def workers(manager: Manager) -> list[WorkerInfo]:
    return await worker_infos(manager)


@router.get("/workers/{worker_name}", response_model=WorkerInfo, summary="One worker")
async def worker(worker_name: str, manager: Manager) -> WorkerInfo:
    for found in await worker_infos(manager):
        if found.name == worker_name:
            return found
    raise HTTPException(status_code=404, detail=f"no worker {worker_name!r}")


@router.get("/schedules", response_model=list[ScheduleInfo], summary="Schedules")
async def schedules(manager: Manager) -> list[ScheduleInfo]:
    return schedule_infos(manager)


@router.get("/schedules/{schedule_id}", response_model=ScheduleInfo, summary="One schedule")
async def schedule(schedule_id: str, manager: Manager) -> ScheduleInfo:
    return schedule_info(find_schedule(manager, schedule_id))


__all__ = ["find_job", "find_schedule", "parse_status", "router"]
