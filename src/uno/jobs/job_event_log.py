"""Log records for lifecycle events, on the manager's logger.

    job_event(logger, "enqueued", job)                      # INFO
    job_outcome(logger, job)                                # completed: INFO, with times
    job_outcome(logger, job, exc)                           # retrying/failed/timed out

Each record carries the job's identity as ``extra`` attributes (``job_id``,
``task_name``, ``queue_name``, ``job_status``, ``retry_count``, ``job_event``),
so a structured handler (the OpenTelemetry logging handler among them) keeps
them as attributes. The outcome of an attempt also carries ``wait_time`` (from
when the job became due to when the attempt started) and ``run_time``
(seconds), and its level says how it ended: INFO completed, WARNING failed
or retrying, ERROR failed after using all of its retries. Args, kwargs and
results are never logged.

The progress records (``enqueued``, ``started``) are INFO too; an integration
that forwards only outcomes (the OpenTelemetry plugin, by default) sets a gate
with ``set_progress_gate`` so that they are not even made while nobody would
get them (a record costs several µs to make); it may also take over the
outcome records that only its pipeline would receive (``set_record_sink``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from uno.jobs.job import Job, JobStatus, utcnow

PROGRESS_EVENTS = frozenset({"enqueued", "started"})
_progress_gate: Callable[[logging.Logger], bool] | None = None
# (logger, level, message, extra) -> True when it delivered the record itself
_record_sink: Callable[[logging.Logger, int, str, dict[str, Any]], bool] | None = None
TIMED_FORMAT = "job %s %s (%s, queue %s) in %.3f s after waiting %.3f s"
_OUTCOME_EVENTS = {JobStatus.COMPLETED: "completed", JobStatus.RETRYING: "retrying",
                   JobStatus.TIMEOUT: "timed out"}


def job_event(
    logger: logging.Logger,
    event: str,
    job: Job,
    level: int = logging.INFO,
    exc: BaseException | None = None,
    times: dict[str, float] | None = None,
) -> None:
    if not logger.isEnabledFor(level):
        return
    gate = _progress_gate
    if gate is not None and event in PROGRESS_EVENTS and not gate(logger):
        return
    extra: dict[str, Any] = {
        "job_id": job.id,
        "task_name": job.task_name,
        "queue_name": job.queue_name,
        "job_status": job.status.value,
        "retry_count": job.retry_count,
        "job_event": event,
    }
    if times:
        extra.update(times)
    if exc is not None:
        extra["error_type"] = type(exc).__name__
        logger.log(level, "job %s %s (%s, queue %s): %s", job.id, event, job.task_name,
                   job.queue_name, job.error, extra=extra)
    elif times:
        args = (job.id, event, job.task_name, job.queue_name, times.get("run_time", 0.0),
                times.get("wait_time", 0.0))
        sink = _record_sink
        if sink is None or not sink(logger, level, TIMED_FORMAT % args, extra):
            logger.log(level, TIMED_FORMAT, *args, extra=extra)
    else:
        logger.log(level, "job %s %s (%s, queue %s)", job.id, event, job.task_name,
                   job.queue_name, extra=extra)


def job_outcome(logger: logging.Logger, job: Job, exc: BaseException | None = None,
                times: dict[str, float] | None = None) -> None:
    """The one record of how an attempt ended (after ``complete_job``/``fail_job``);
    ``times`` as ``attempt_times`` gave them before the job was changed, if it was."""
    level = outcome_level(job) if exc is not None else logging.INFO
    if logger.isEnabledFor(level):
        job_event(logger, _OUTCOME_EVENTS.get(job.status, "failed"), job, level, exc,
                  attempt_times(job) if times is None else times)


def outcome_level(job: Job) -> int:
    """ERROR for a job FAILED after using all of its (at least one) retries, else WARNING."""
    exhausted = (job.status is JobStatus.FAILED and job.max_retries > 0
                 and job.retry_count >= job.max_retries)
    return logging.ERROR if exhausted else logging.WARNING


def attempt_times(job: Job, ended: datetime | None = None) -> dict[str, float]:
    """``wait_time`` and ``run_time`` of the attempt ending at ``ended`` (default:
    the job's completion or last update), in seconds."""
    if job.started_at is None:
        return {}
    ended = ended or job.completed_at or job.updated_at or utcnow()
    return {"wait_time": max(0.0, (job.started_at - job.due_at).total_seconds()),
            "run_time": max(0.0, (ended - job.started_at).total_seconds())}


def set_record_sink(sink: Callable[[logging.Logger, int, str, dict[str, Any]], bool] | None
                    ) -> None:
    """``sink(logger, level, message, extra)`` is offered each attempt outcome
    record with its times before a ``logging`` record is made; True: it delivered
    the record everywhere the record would have gone (an integration whose
    pipeline is the only receiver), so none is made. None: always made."""
    global _record_sink
    _record_sink = sink


def set_progress_gate(gate: Callable[[logging.Logger], bool] | None) -> None:
    """``gate(logger)`` False: the enqueued/started records are not made at all (an
    integration that delivers only outcomes sets this). None: always made."""
    global _progress_gate
    _progress_gate = gate
