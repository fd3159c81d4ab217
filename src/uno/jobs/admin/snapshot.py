"""What the console shows, read from a ``JobManager`` as the admin models
(no FastAPI here; the JSON routes and the HTML page both call these).

    queues = await queue_infos(manager)                   # name -> QueueInfo
    jobs = await manager.storage.find_jobs(statuses=[JobStatus.FAILED], limit=20)
    info = job_info(jobs[0], trace_url)                   # JobInfo with trace_id / trace_url
    workers = await worker_infos(manager)                 # this process's + other holders
    schedules = schedule_infos(manager)

Workers of other processes are known only while they hold jobs (RUNNING or
RESERVED with their ``worker_id``); their heartbeat is the latest ``updated_at``
of the RUNNING jobs they hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uno.jobs.admin.models import JobDetail, JobInfo, QueueInfo, ScheduleInfo, WorkerInfo
from uno.jobs.admin.payloads import ShowPayloads
from uno.jobs.admin.trace import trace_id_of, trace_link
from uno.jobs.job import Job, JobStatus, utcnow
from uno.jobs.manager import JobManager
from uno.jobs.protocols import Worker
from uno.jobs.queue_counts import queue_counts

_HOLDING = (JobStatus.RUNNING, JobStatus.RESERVED)
_ATTEMPTED = (JobStatus.RUNNING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.TIMEOUT)
MAX_HOLDING = 1000  # held jobs read to find the workers of other processes


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


async def queue_infos(manager: JobManager) -> dict[str, QueueInfo]:
    storage = manager.storage
    now = utcnow()
    counts = queue_counts(await storage.count_by_queue_and_status(), await manager.known_queues())
    paused = await storage.paused_queues()
    oldest = await storage.oldest_waiting_due_at(now)
    return {
        name: QueueInfo(name=name, waiting=view.waiting, paused=name in paused,
                        by_status=view.by_value(), total=sum(view.by_status.values()),
                        oldest_waiting_seconds=_seconds(oldest.get(name), now))
        for name, view in counts.items()
    }


def attempts(job: Job) -> int:
    """Attempts started: each retry counts one, plus the current or last one."""
    return job.retry_count + (1 if job.status in _ATTEMPTED else 0)


def job_info(job: Job, trace_url: str | None) -> JobInfo:
    return JobInfo(**_job_fields(job, trace_url))


def job_detail(job: Job, trace_url: str | None, payloads: ShowPayloads | None) -> JobDetail:
    schedule = job.metadata.get("schedule") if isinstance(job.metadata, dict) else None
    return JobDetail(
        **_job_fields(job, trace_url),
        wait_seconds=_seconds(job.due_at, job.started_at),
        run_seconds=_seconds(job.started_at, job.completed_at),
        timeout_seconds=job.timeout.total_seconds() if job.timeout else None,
        retry_delay_seconds=job.retry_delay.total_seconds(),
        schedule=schedule if isinstance(schedule, str) else None,
        payloads_shown=payloads is not None,
        **(payloads.of(job) if payloads is not None else {}),
    )


def _job_fields(job: Job, trace_url: str | None) -> dict[str, Any]:
    trace_id = trace_id_of(job.metadata)
    return {
        "id": job.id, "task_name": job.task_name, "queue_name": job.queue_name,
        "status": job.status.value, "priority": job.priority.name,
        "retry_count": job.retry_count, "max_retries": job.max_retries,
        "attempts": attempts(job), "error": job.error, "worker_id": job.worker_id,
        "tags": list(job.tags), "created_at": job.created_at, "scheduled_at": job.scheduled_at,
        "started_at": job.started_at, "completed_at": job.completed_at,
        "updated_at": job.updated_at, "trace_id": trace_id,
        "trace_url": trace_link(trace_url, trace_id),
    }


async def worker_infos(manager: JobManager) -> list[WorkerInfo]:
    """This process's workers, then those of other processes holding jobs, by name."""
    now = utcnow()
    held = await manager.storage.find_jobs(statuses=_HOLDING, limit=MAX_HOLDING)
    local = {worker.name: _local_worker(worker, held, now) for worker in manager.workers}
    remote: dict[str, list[Job]] = {}
    for job in held:
        if job.worker_id and job.worker_id not in local:
            remote.setdefault(job.worker_id, []).append(job)
    return [local[name] for name in sorted(local)] + [
        _remote_worker(name, remote[name], now) for name in sorted(remote)]


def _held_counts(name: str, held: list[Job]) -> dict[str, int]:
    mine = [job.status for job in held if job.worker_id == name]
    return {"running_jobs": mine.count(JobStatus.RUNNING),
            "reserved_jobs": mine.count(JobStatus.RESERVED)}


def _local_worker(worker: Worker, held: list[Job], now: datetime) -> WorkerInfo:
    beat = worker.last_heartbeat
    return WorkerInfo(
        name=worker.name, local=True, worker_type=worker.worker_type, running=worker.running,
        healthy=worker.is_healthy(), queues=list(worker.queues), concurrency=worker.concurrency,
        active_jobs=worker.active_jobs,
        # counters an AsyncWorker keeps; other Worker classes may not
        jobs_processed=getattr(worker, "jobs_processed", None),
        jobs_failed=getattr(worker, "jobs_failed", None),
        started_at=getattr(worker, "started_at", None), last_heartbeat=beat,
        heartbeat_age_seconds=_seconds(beat, now), **_held_counts(worker.name, held),
    )


def _remote_worker(name: str, jobs: list[Job], now: datetime) -> WorkerInfo:
    running = [job.updated_at for job in jobs if job.status is JobStatus.RUNNING]
    beat = max(running, default=None)
    return WorkerInfo(
        name=name, local=False, running=True, queues=sorted({job.queue_name for job in jobs}),
        active_jobs=len(jobs), last_heartbeat=beat, heartbeat_age_seconds=_seconds(beat, now),
        **_held_counts(name, jobs),
    )


def _schedule_type(schedule: Any) -> str:
    if hasattr(schedule, "expression"):
        return "cron"
    return "interval" if hasattr(schedule, "interval") else "other"


def schedule_infos(manager: Any) -> list[ScheduleInfo]:
    scheduler = getattr(manager, "scheduler", None)
    if scheduler is None:
        return []
    return [schedule_info(entry) for entry in scheduler.list_schedules()]


def schedule_info(entry: Any) -> ScheduleInfo:
    return ScheduleInfo(
        id=entry.name, name=entry.name, task_name=entry.task_name, queue_name=entry.queue_name,
        schedule_type=_schedule_type(entry.schedule), schedule=repr(entry.schedule),
        enabled=entry.enabled, next_run_at=entry.next_run if entry.enabled else None,
        last_run_at=entry.last_run, run_count=entry.run_count, missed_runs=entry.missed_runs,
        last_error=entry.last_error,
    )


__all__ = ["attempts", "job_detail", "job_info", "queue_infos", "schedule_info",
           "schedule_infos", "worker_infos"]
