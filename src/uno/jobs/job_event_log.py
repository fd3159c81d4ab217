"""Log records for lifecycle events, on the manager's logger.

Each record carries the job's identity as ``extra`` attributes (``job_id``,
``task_name``, ``queue_name``, ``job_status``, ``retry_count``), so a
structured handler (the OpenTelemetry logging handler among them) keeps them as
attributes. Args, kwargs and results are never logged.
"""

from __future__ import annotations

import logging

from uno.jobs.job import Job


def job_event(
    logger: logging.Logger,
    event: str,
    job: Job,
    level: int = logging.INFO,
    exc: BaseException | None = None,
) -> None:
    if not logger.isEnabledFor(level):
        return
    extra = {
        "job_id": job.id,
        "task_name": job.task_name,
        "queue_name": job.queue_name,
        "job_status": job.status.value,
        "retry_count": job.retry_count,
        "job_event": event,
    }
    if exc is not None:
        extra["error_type"] = type(exc).__name__
        logger.log(level, "job %s %s (%s, queue %s): %s", job.id, event, job.task_name,
                   job.queue_name, job.error, extra=extra)
    else:
        logger.log(level, "job %s %s (%s, queue %s)", job.id, event, job.task_name,
                   job.queue_name, extra=extra)
