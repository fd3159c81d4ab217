"""Pydantic models of the admin API: what each route answers and accepts, so
``/openapi.json`` documents every route.

    QueueInfo(name="emails", waiting=3, paused=False, by_status={...}, ...)
    CreateJobRequest(task_name="send_email", kwargs={"to": "a@b.c"}, priority="HIGH")

Job args, kwargs and results appear only when the app opts in
(``uno.jobs.admin.payloads``); otherwise they are null and ``payloads_shown``
is false.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_SECONDS = 366 * 86400 * 100  # a century: longer durations are typos (and overflow)


class QueueInfo(BaseModel):
    name: str
    waiting: int = Field(description="PENDING and RETRYING jobs")
    paused: bool
    by_status: dict[str, int] = Field(description="job count for every status")
    total: int
    oldest_waiting_seconds: float | None = Field(
        None, description="how long the longest-waiting due job has waited")


class QueuesResponse(BaseModel):
    queues: dict[str, QueueInfo]


class JobInfo(BaseModel):
    id: str
    task_name: str
    queue_name: str
    status: str
    priority: str
    retry_count: int
    max_retries: int
    attempts: int = Field(description="attempts started so far")
    error: str | None
    worker_id: str | None
    tags: list[str]
    created_at: datetime
    scheduled_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime
    trace_id: str | None = Field(description="from the job's W3C trace context")
    trace_url: str | None = Field(description="the trace in your trace UI (trace_url template)")


class JobDetail(JobInfo):
    wait_seconds: float | None = Field(description="from due to started")
    run_seconds: float | None = Field(description="from started to completed")
    timeout_seconds: float | None
    retry_delay_seconds: float
    schedule: str | None = Field(description="the schedule that created the job")
    payloads_shown: bool
    args: Any = None
    kwargs: Any = None
    result: Any = None


class WorkerInfo(BaseModel):
    name: str
    local: bool = Field(description="runs in this process (else: seen holding jobs in the store)")
    worker_type: str | None = None
    running: bool
    healthy: bool | None = None
    queues: list[str]
    concurrency: int | None = None
    active_jobs: int
    running_jobs: int = Field(0, description="RUNNING jobs the store shows it holding")
    reserved_jobs: int = Field(0, description="RESERVED jobs the store shows it holding")
    jobs_processed: int | None = None
    jobs_failed: int | None = None
    started_at: datetime | None = None
    last_heartbeat: datetime | None = None
    heartbeat_age_seconds: float | None = None


class ScheduleInfo(BaseModel):
    id: str
    name: str
    task_name: str
    queue_name: str | None
    schedule_type: Literal["interval", "cron", "other"]
    schedule: str
    enabled: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    run_count: int
    missed_runs: int
    last_error: str | None


class SystemInfo(BaseModel):
    worker_count: int
    queue_count: int
    schedule_count: int
    total_jobs: int
    jobs_by_status: dict[str, int]
    health_status: str
    actions_enabled: bool


class CreateJobRequest(BaseModel):
    task_name: str
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    queue_name: str | None = Field(None, description="default: the task's queue")
    priority: Literal["CRITICAL", "HIGH", "NORMAL", "LOW"] = "NORMAL"
    scheduled_at: datetime | None = None
    max_retries: int | None = Field(None, ge=0, le=1_000_000)
    retry_delay_seconds: float | None = Field(None, ge=0, le=MAX_SECONDS)
    timeout_seconds: float | None = Field(None, gt=0, le=MAX_SECONDS)
    metadata: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class CreateScheduleRequest(BaseModel):
    name: str = Field(min_length=1)
    task_name: str
    schedule_type: Literal["interval", "cron"]
    schedule_params: dict[str, Any] = Field(
        description='interval: {"seconds"|"minutes"|"hours": n}; '
                    'cron: {"expression": "*/5 * * * *"}')
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    queue_name: str | None = None
    enabled: bool = True


class ActionResult(BaseModel):
    success: bool = True
    message: str
    job_id: str | None = None
    queue_name: str | None = None
    schedule_id: str | None = None
    status: str | None = None
    jobs_cleared: int | None = None


__all__ = ["ActionResult", "CreateJobRequest", "CreateScheduleRequest", "JobDetail", "JobInfo",
           "QueueInfo", "QueuesResponse", "ScheduleInfo", "SystemInfo", "WorkerInfo"]
