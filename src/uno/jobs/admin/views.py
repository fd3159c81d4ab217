"""JSON views of jobs, queues and metrics for the admin API (no FastAPI import).

    job_view(job)        # {"id", "task_name", "status", ...} — no args, kwargs, result, metadata
    json_safe(metrics.get_metrics())   # float keys and infinities as Prometheus strings
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from uno.jobs.job import Job
from uno.jobs.queue_counts import StoreCounts, queue_counts

_TIMES = ("created_at", "scheduled_at", "started_at", "completed_at", "updated_at")


def job_view(job: Job) -> dict[str, Any]:
    """What the admin API shows of a job: identity, status, times, retries, error."""
    view: dict[str, Any] = {
        "id": job.id,
        "task_name": job.task_name,
        "queue_name": job.queue_name,
        "status": job.status.value,
        "priority": job.priority.name,
        "retry_count": job.retry_count,
        "max_retries": job.max_retries,
        "error": job.error,
        "worker_id": job.worker_id,
        "tags": list(job.tags),
    }
    for name in _TIMES:
        value = getattr(job, name)
        view[name] = value.isoformat() if value is not None else None
    return view


def queue_views(names: Iterable[str], counts: StoreCounts,
                paused: set[str]) -> dict[str, dict[str, Any]]:
    return {queue: {"waiting": view.waiting, "paused": queue in paused,
                    "by_status": view.by_value()}
            for queue, view in queue_counts(counts, names).items()}


def _number(value: float) -> float | str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return "NaN" if math.isnan(value) else value


def json_safe(value: Any) -> Any:
    """Strict-JSON version: float keys as strings, infinities as ``"+Inf"``."""
    if isinstance(value, dict):
        return {(str(_number(k)) if isinstance(k, float) else str(k)): json_safe(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return _number(value)
    return value


__all__ = ["job_view", "json_safe", "queue_views"]
