"""The admin API's mutating routes, mounted only by ``make_router(actions=True)``:

- ``POST /queues/{queue_name}/clear|pause|resume``
- ``POST /jobs`` (create), ``POST /jobs/{job_id}/cancel|retry``
- ``POST /schedules`` (interval or cron), ``POST /schedules/{id}/enable|disable``,
  ``DELETE /schedules/{id}``

Every route refuses cross-site browser requests (``require_same_origin``). An
unknown name or id is 404, a bad body 422, an action the job's state does not
allow 409 with the reason (e.g. ``job ... is completed and cannot be cancelled``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from uno.jobs.admin.dependencies import get_job_manager
from uno.jobs.admin.errors import AdminRoute, value_of
from uno.jobs.admin.models import ActionResult, CreateJobRequest, CreateScheduleRequest
from uno.jobs.admin.read_routes import find_job, find_schedule
from uno.jobs.admin.settings import require_same_origin
from uno.jobs.job import Priority
from uno.jobs.result import Result
from uno.jobs.scheduler.schedules import CronSchedule, IntervalSchedule, Schedule

router = APIRouter(dependencies=[Depends(require_same_origin)], route_class=AdminRoute)
Manager = Annotated[Any, Depends(get_job_manager)]


def _ok(result: Result[Any], status_code: int) -> Any:
    return value_of(result, default_status=status_code)


@router.post("/queues/{queue_name}/clear", response_model=ActionResult,
             summary="Delete a queue's waiting jobs")
async def clear_queue(queue_name: str, manager: Manager) -> ActionResult:
    cleared = _ok(await manager.clear_queue(queue_name), 404)
    return ActionResult(message=f"cleared {cleared} waiting job(s) from {queue_name}",
                        queue_name=queue_name, jobs_cleared=cleared)


@router.post("/queues/{queue_name}/pause", response_model=ActionResult, summary="Pause a queue")
async def pause_queue(queue_name: str, manager: Manager) -> ActionResult:
    _ok(await manager.pause_queue(queue_name), 404)
    return ActionResult(message=f"paused {queue_name}", queue_name=queue_name, status="paused")


@router.post("/queues/{queue_name}/resume", response_model=ActionResult,
             summary="Resume a paused queue")
async def resume_queue(queue_name: str, manager: Manager) -> ActionResult:
    _ok(await manager.resume_queue(queue_name), 404)
    return ActionResult(message=f"resumed {queue_name}", queue_name=queue_name, status="active")


@router.post("/jobs", response_model=ActionResult, status_code=201, summary="Enqueue a job")
async def create_job(body: CreateJobRequest, manager: Manager) -> ActionResult:
    if manager.get_task(body.task_name) is None:
        raise HTTPException(status_code=422, detail=f"unknown task {body.task_name!r}")
    job_id = _ok(await manager.enqueue(
        body.task_name, args=body.args, kwargs=body.kwargs, queue_name=body.queue_name,
        priority=Priority[body.priority], scheduled_at=body.scheduled_at,
        max_retries=body.max_retries,
        retry_delay=None if body.retry_delay_seconds is None
        else timedelta(seconds=body.retry_delay_seconds),
        timeout=None if body.timeout_seconds is None else timedelta(seconds=body.timeout_seconds),
        metadata=body.metadata, tags=body.tags,
    ), 422)
    return ActionResult(message=f"enqueued {body.task_name}", job_id=job_id, status="pending")


@router.post("/jobs/{job_id}/cancel", response_model=ActionResult,
             summary="Cancel a waiting job (409 otherwise)")
async def cancel_job(job_id: str, manager: Manager) -> ActionResult:
    await find_job(manager, job_id)
    _ok(await manager.cancel_job(job_id), 409)
    return ActionResult(message=f"cancelled job {job_id}", job_id=job_id, status="cancelled")


@router.post("/jobs/{job_id}/retry", response_model=ActionResult,
             summary="Put a failed, timed-out or cancelled job back to pending (409 otherwise)")
async def retry_job(job_id: str, manager: Manager) -> ActionResult:
    await find_job(manager, job_id)
    _ok(await manager.retry_job(job_id), 409)
    return ActionResult(message=f"job {job_id} is pending again", job_id=job_id,
                        status="pending")


def build_schedule(kind: str, params: dict[str, Any]) -> Schedule:
    """The schedule a request describes; ``ValueError`` saying what is wrong."""
    if kind == "cron":
        if set(params) != {"expression"}:
            raise ValueError('a cron schedule takes {"expression": "<5-field cron>"}')
        return CronSchedule(params["expression"])
    unknown = set(params) - {"seconds", "minutes", "hours"}
    if unknown or not params:
        raise ValueError('an interval schedule takes "seconds", "minutes" and/or "hours"')
    try:
        return IntervalSchedule(**params)
    except OverflowError:
        raise ValueError(f"interval {params} is too long") from None


@router.post("/schedules", response_model=ActionResult, status_code=201,
             summary="Add an interval or cron schedule")
async def create_schedule(body: CreateScheduleRequest, manager: Manager) -> ActionResult:
    scheduler = getattr(manager, "scheduler", None)
    if scheduler is None:
        raise HTTPException(status_code=404, detail="this job manager has no scheduler")
    if scheduler.get_schedule(body.name) is not None:
        raise HTTPException(status_code=409, detail=f"schedule {body.name!r} already exists")
    if manager.get_task(body.task_name) is None:
        raise HTTPException(status_code=422, detail=f"unknown task {body.task_name!r}")
    try:
        schedule = build_schedule(body.schedule_type, body.schedule_params)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    name = _ok(await scheduler.add_schedule(body.name, body.task_name, schedule, args=body.args,
                                            kwargs=body.kwargs, queue_name=body.queue_name), 422)
    if not body.enabled:
        await scheduler.disable_schedule(name)
    return ActionResult(message=f"added schedule {name}", schedule_id=name,
                        status="enabled" if body.enabled else "disabled")


@router.post("/schedules/{schedule_id}/enable", response_model=ActionResult,
             summary="Enable a schedule")
async def enable_schedule(schedule_id: str, manager: Manager) -> ActionResult:
    return await _switch_schedule(manager, schedule_id, enabled=True)


@router.post("/schedules/{schedule_id}/disable", response_model=ActionResult,
             summary="Disable a schedule")
async def disable_schedule(schedule_id: str, manager: Manager) -> ActionResult:
    return await _switch_schedule(manager, schedule_id, enabled=False)


async def _switch_schedule(manager: Any, schedule_id: str, *, enabled: bool) -> ActionResult:
    find_schedule(manager, schedule_id)
    scheduler = manager.scheduler
    switch = scheduler.enable_schedule if enabled else scheduler.disable_schedule
    _ok(await switch(schedule_id), 404)
    status = "enabled" if enabled else "disabled"
    return ActionResult(message=f"{status} {schedule_id}", schedule_id=schedule_id,
                        status=status)


@router.delete("/schedules/{schedule_id}", response_model=ActionResult,
               summary="Remove a schedule")
async def delete_schedule(schedule_id: str, manager: Manager) -> ActionResult:
    find_schedule(manager, schedule_id)
    await manager.scheduler.remove_schedule(schedule_id)
    return ActionResult(message=f"removed {schedule_id}", schedule_id=schedule_id,
                        status="removed")


__all__ = ["build_schedule", "router"]
