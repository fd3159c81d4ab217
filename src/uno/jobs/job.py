"""The job as a plain data object, with its status and priority enums.

    job = Job(task_name="send_email", queue_name="emails", kwargs={"to": "a@b.c"})
    job.status            # JobStatus.PENDING
    Job.from_dict(job.to_dict()) == job   # JSON-safe round trip (SQLite rows)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum, IntEnum
from typing import Any


class Priority(IntEnum):
    """Lower runs first."""

    CRITICAL = 0
    HIGH = 10
    NORMAL = 20
    LOW = 30


class JobStatus(Enum):
    PENDING = "pending"
    RESERVED = "reserved"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    RETRYING = "retrying"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED_STATUSES

    @property
    def is_waiting(self) -> bool:
        """Waiting in its queue to be claimed by a worker."""
        return self in WAITING_STATUSES


FINISHED_STATUSES = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMEOUT}
)
WAITING_STATUSES = (JobStatus.PENDING, JobStatus.RETRYING)
"""Waiting in a queue to be claimed (what a queue's length counts)."""
UNSUCCESSFUL_STATUSES = (JobStatus.FAILED, JobStatus.TIMEOUT)
"""Finished without success, not by a cancel (what a queue's failed-jobs count counts)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return uuid.uuid4().hex


@dataclass(slots=True)
class Job:
    task_name: str
    queue_name: str = "default"
    id: str = field(default_factory=new_job_id)
    priority: Priority = Priority.NORMAL
    status: JobStatus = JobStatus.PENDING
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime = field(default_factory=utcnow)
    retry_count: int = 0
    max_retries: int = 3
    retry_delay: timedelta = timedelta(seconds=60)
    timeout: timedelta | None = None
    result: Any = None
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    worker_id: str | None = None

    @property
    def due_at(self) -> datetime:
        """When the job may run: ``scheduled_at``, or creation time."""
        return self.scheduled_at or self.created_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (times as ISO strings, durations as seconds).
        Its lists and dicts are copies; values nested in them are shared (no deep
        copy: stores encode a job on every status change)."""
        created, scheduled, started = self.created_at, self.scheduled_at, self.started_at
        completed, timeout = self.completed_at, self.timeout
        return {  # written out, not a loop over the fields: every store does this per write
            "task_name": self.task_name, "queue_name": self.queue_name, "id": self.id,
            "priority": int(self.priority), "status": self.status.value,
            "args": list(self.args), "kwargs": dict(self.kwargs),
            "created_at": created.isoformat() if created is not None else None,
            "scheduled_at": scheduled.isoformat() if scheduled is not None else None,
            "started_at": started.isoformat() if started is not None else None,
            "completed_at": completed.isoformat() if completed is not None else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at is not None else None,
            "retry_count": self.retry_count, "max_retries": self.max_retries,
            "retry_delay": self.retry_delay.total_seconds(),
            "timeout": timeout.total_seconds() if timeout is not None else None,
            "result": self.result, "error": self.error,
            "metadata": dict(self.metadata), "tags": list(self.tags),
            "worker_id": self.worker_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        """The inverse of :meth:`to_dict`; raises ``ValueError``/``KeyError`` on bad data."""
        values = dict(data)
        values["priority"] = Priority(int(values["priority"]))
        values["status"] = JobStatus(values["status"])
        for name in _TIME_FIELDS:
            raw = values.get(name)
            values[name] = datetime.fromisoformat(raw) if raw is not None else None
        values["updated_at"] = values["updated_at"] or values["created_at"]
        values["retry_delay"] = timedelta(seconds=float(values["retry_delay"]))
        raw_timeout = values.get("timeout")
        values["timeout"] = None if raw_timeout is None else timedelta(seconds=float(raw_timeout))
        return cls(**values)


_TIME_FIELDS = ("created_at", "scheduled_at", "started_at", "completed_at", "updated_at")
