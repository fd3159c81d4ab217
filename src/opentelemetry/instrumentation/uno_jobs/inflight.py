"""The attempts running now: job id -> its consumer span, bounded by the jobs in
flight in this process.

    table = InFlight(stall_timeout=lambda manager: 1800.0)
    table.add(job_id, attempt)          # start_job
    table.pop(job_id, attempt)          # complete_job / fail_job
    table.sweep()                       # ends attempts abandoned past their stall timeout

An attempt is *abandoned* when the asyncio task that started it is gone (done,
or garbage-collected) without ``complete_job``/``fail_job``; its span is ended
with an error once it is older than the stall timeout. An attempt whose task
is still alive is a running job, however long it takes. ``end_for_manager``
closes what a stopped manager left behind; ``close`` everything (uninstrument).
The ids of the last ``ABANDONED_MEMORY`` jobs ended so are remembered
(``forget_abandoned``), so the ``fail_job`` that the stalled-job maintenance
calls for them later records no second span.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, StatusCode

from uno.jobs.errors import JobStalledError
from uno.jobs.monitoring import semconv as sc

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager

ABANDONED_ERROR = JobStalledError.__name__
ABANDONED_MEMORY = 1024


@dataclass(slots=True, eq=False)
class Attempt:
    """One running attempt of a job: its span and what ending it needs."""

    span: Span
    queue: str
    task: str
    worker: str
    priority: str
    started: float  # time.perf_counter()
    token: Any = None  # context token attached in the owner task
    owner: weakref.ref[asyncio.Task[Any]] | None = None
    manager: weakref.ref[Any] | None = None
    closed: bool = field(default=False)
    series: Any = None  # the uno metrics' JobSeries of (queue, task, priority, worker)

    def owned_by_current_task(self) -> bool:
        try:
            current = asyncio.current_task()
        except RuntimeError:  # no running loop
            return False
        return self.owner is not None and current is not None and self.owner() is current

    def is_orphan(self) -> bool:
        task = self.owner() if self.owner is not None else None
        return task is None or task.done()

    def detach_if_owner(self) -> None:
        """Restore the owner task's context (only there: a token is bound to its context)."""
        if self.token is not None and self.owned_by_current_task():
            token, self.token = self.token, None
            otel_context.detach(token)


def current_task_ref() -> weakref.ref[asyncio.Task[Any]] | None:
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    return weakref.ref(task) if task is not None else None


class InFlight:
    def __init__(self, stall_timeout: Callable[[Any], float], sweep_every: float = 1.0) -> None:
        self._stall_timeout = stall_timeout  # manager (None if gone) -> seconds
        self._attempts: dict[str, Attempt] = {}
        self._lock = threading.Lock()
        self._sweep_every = sweep_every
        self._next_sweep = 0.0
        self._abandoned: dict[str, None] = {}  # job ids ended here as abandoned, oldest first

    def __len__(self) -> int:
        return len(self._attempts)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._attempts

    def get(self, job_id: str) -> Attempt | None:
        return self._attempts.get(job_id)

    def add(self, job_id: str, attempt: Attempt) -> None:
        """Track ``attempt``; an attempt of the same job still open was abandoned."""
        with self._lock:
            previous = self._attempts.get(job_id)
            self._attempts[job_id] = attempt
        if previous is not None:
            end_abandoned(previous, "a new attempt of the job started")
        if attempt.started >= self._next_sweep:
            self.sweep(attempt.started)

    def pop(self, job_id: str, attempt: Attempt) -> bool:
        """Stop tracking ``attempt``; False if it was no longer tracked."""
        with self._lock:
            if self._attempts.get(job_id) is not attempt:
                return False
            del self._attempts[job_id]
            return True

    def sweep(self, now: float | None = None) -> int:
        """End abandoned attempts older than their manager's stall timeout; how
        many were ended (``now`` on the ``time.perf_counter()`` clock)."""
        now = time.perf_counter() if now is None else now
        self._next_sweep = now + self._sweep_every
        expired = [(job_id, attempt) for job_id, attempt in self._items()
                   if attempt.is_orphan() and now - attempt.started >= self._stall_timeout(
                       attempt.manager() if attempt.manager is not None else None)]
        return self._end(expired, "no complete_job or fail_job came within the stall timeout")

    def forget_abandoned(self, job_id: str) -> bool:
        """True (once) if this process ended an attempt of ``job_id`` as abandoned."""
        with self._lock:
            if job_id not in self._abandoned:
                return False
            del self._abandoned[job_id]
            return True

    def end_for_manager(self, manager: JobManager) -> int:
        left = [(job_id, attempt) for job_id, attempt in self._items()
                if attempt.manager is not None and attempt.manager() is manager]
        return self._end(left, "the job manager stopped before the job finished")

    def close(self) -> int:
        return self._end(list(self._items()), "instrumentation removed before the job finished")

    def _items(self) -> Iterator[tuple[str, Attempt]]:
        with self._lock:
            return iter(list(self._attempts.items()))

    def _end(self, attempts: list[tuple[str, Attempt]], reason: str) -> int:
        ended = 0
        for job_id, attempt in attempts:
            if self.pop(job_id, attempt):
                end_abandoned(attempt, reason)
                self._remember_abandoned(job_id)
                ended += 1
        return ended

    def _remember_abandoned(self, job_id: str) -> None:
        with self._lock:
            self._abandoned[job_id] = None
            if len(self._abandoned) > ABANDONED_MEMORY:
                del self._abandoned[next(iter(self._abandoned))]


def end_abandoned(attempt: Attempt, reason: str) -> None:
    if attempt.closed:
        return
    attempt.closed = True
    span = attempt.span
    if span.is_recording():
        span.set_attribute(sc.SPAN_ERROR_TYPE, ABANDONED_ERROR)
        span.set_status(StatusCode.ERROR, reason)
    span.end()
    attempt.detach_if_owner()
