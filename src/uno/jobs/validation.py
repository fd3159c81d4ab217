"""Turning ``enqueue`` arguments into a ``Job``, or a ``ValueError`` that names
the bad argument. Nothing is stored until every argument checked out.

    job = build_job(definition, args=[1], kwargs=None, queue_name=None, ...)
    jobs = build_jobs(definition, [[1], [2]], None, queue_name=None, priority=20,
                      scheduled_at=None, metadata=None)   # the options checked once
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from uno.core.timeutil import require_aware, to_timedelta
from uno.jobs.job import Job, Priority, new_job_ids, utcnow
from uno.jobs.tasks import TaskDefinition


def to_priority(value: Any) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Priority(value)
        except ValueError:
            pass
    if isinstance(value, str) and value.upper() in Priority.__members__:
        return Priority[value.upper()]
    choices = ", ".join(f"{p.name}={p.value}" for p in Priority)
    raise ValueError(f"priority must be a Priority ({choices}), got {value!r}")


def check_call_args(args: Any, kwargs: Any) -> None:
    """``ValueError`` unless ``args`` is a list or tuple (or None) and ``kwargs`` a
    dict with string keys (or None)."""
    if args is not None and type(args) is not list and (
            isinstance(args, str | bytes) or not isinstance(args, Sequence)):
        raise ValueError(f"args must be a list or tuple, got {type(args).__name__}")
    # (the type() tests first: isinstance against an ABC costs more, once per job)
    if kwargs is not None and type(kwargs) is not dict and not isinstance(kwargs, Mapping):
        raise ValueError(f"kwargs must be a dict, got {type(kwargs).__name__}")
    if kwargs and not all(isinstance(k, str) for k in kwargs):
        raise ValueError("kwargs keys must be strings")


def build_job(
    definition: TaskDefinition,
    *,
    args: Sequence[Any] | None,
    kwargs: Mapping[str, Any] | None,
    queue_name: str | None,
    priority: Any,
    job_id: str | None,
    scheduled_at: datetime | None,
    max_retries: int | None,
    retry_delay: timedelta | float | None,
    timeout: timedelta | float | None,
    metadata: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
) -> Job:
    check_call_args(args, kwargs)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
    if metadata and not all(isinstance(k, str) for k in metadata):
        raise ValueError("metadata keys must be strings")
    if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
        raise ValueError(f"tags must be a list of strings, got {tags!r}")
    if queue_name is not None and (not isinstance(queue_name, str) or not queue_name):
        raise ValueError(f"queue_name must be a non-empty string, got {queue_name!r}")
    if job_id is not None and (not isinstance(job_id, str) or not job_id):
        raise ValueError(f"job_id must be a non-empty string, got {job_id!r}")
    if max_retries is not None and (
        not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0
    ):
        raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")
    now = utcnow()
    job = Job(
        task_name=definition.name,
        queue_name=queue_name or definition.queue,
        priority=to_priority(priority),
        args=list(args or ()),
        kwargs=dict(kwargs or {}),
        created_at=now,
        updated_at=now,
        scheduled_at=require_aware(scheduled_at, "scheduled_at"),
        max_retries=definition.max_retries if max_retries is None else max_retries,
        retry_delay=definition.retry_delay
        if retry_delay is None
        else to_timedelta(retry_delay, "retry_delay"),
        timeout=definition.timeout if timeout is None else to_timedelta(timeout, "timeout", True),
        metadata=dict(metadata or {}),
        tags=list(tags or ()),
    )
    if job_id is not None:
        job.id = job_id
    return job


def build_jobs(
    definition: TaskDefinition,
    args_list: Sequence[Sequence[Any]],
    kwargs_list: Sequence[Mapping[str, Any]] | None,
    *,
    queue_name: str | None,
    priority: Any,
    scheduled_at: datetime | None,
    metadata: Mapping[str, Any] | None,
) -> list[Job]:
    """One job per element of ``args_list`` (``enqueue_many``); a ``ValueError``
    naming the first bad element (or the bad option).

    The options are checked once for the batch; every job shares their values,
    including one ``metadata`` dict and one ``tags`` list (the jobs only go to
    the store, which copies or encodes them), so stores can encode what the
    jobs share once (:func:`uno.jobs.storage.codec.encode_batch`)."""
    _require_list(args_list, "args_list")
    if kwargs_list is not None:
        _require_list(kwargs_list, "kwargs_list")
        if len(kwargs_list) != len(args_list):
            raise ValueError(f"kwargs_list has {len(kwargs_list)} elements, "
                             f"args_list {len(args_list)}: they must match")
    shared = build_job(definition, args=None, kwargs=None, queue_name=queue_name,
                       priority=priority, job_id=None, scheduled_at=scheduled_at,
                       max_retries=None, retry_delay=None, timeout=None, metadata=metadata,
                       tags=None)
    ids = new_job_ids(len(args_list))
    jobs = []
    for index, args in enumerate(args_list):
        kwargs = None if kwargs_list is None else kwargs_list[index]
        try:
            check_call_args(args, kwargs)
        except ValueError as exc:
            raise ValueError(f"element {index} of args_list: {exc}") from exc
        jobs.append(Job(
            task_name=shared.task_name, queue_name=shared.queue_name, id=ids[index],
            priority=shared.priority, args=list(args or ()), kwargs=dict(kwargs or {}),
            created_at=shared.created_at, updated_at=shared.updated_at,
            scheduled_at=shared.scheduled_at, max_retries=shared.max_retries,
            retry_delay=shared.retry_delay, timeout=shared.timeout,
            metadata=shared.metadata, tags=shared.tags))
    return jobs


def _require_list(value: Any, name: str) -> None:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a list, got {type(value).__name__}")
