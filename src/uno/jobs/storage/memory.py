"""``InMemoryJobStorage``: jobs in a dict, two heaps per queue.

    storage = InMemoryJobStorage()
    manager = JobManager(storage=storage, worker_classes=[AsyncWorker])

A claim pops the ready heap (priority, due time, insertion order); jobs that are
not due yet wait in a second heap ordered by due time, and a third heap orders
every waiting job by due time for the oldest-job age. Counts by queue and
status are kept up to date on every change, so reading them costs the same
with ten or a million jobs stored. Jobs are copied in and out, so callers never
share state with the store (their lists and dicts are copied; nested values
inside them are not).
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from uno.jobs.job import FINISHED_STATUSES, WAITING_STATUSES, Job, JobStatus
from uno.jobs.storage.base import DuplicateJobError, JobStorage


@dataclass
class _QueueHeaps:
    ready: list[tuple[int, datetime, int, str]] = field(default_factory=list)
    scheduled: list[tuple[datetime, int, str]] = field(default_factory=list)
    by_due: list[tuple[datetime, int, str]] = field(default_factory=list)  # all waiting


class InMemoryJobStorage(JobStorage):
    """A process-local store; the reference implementation of :class:`JobStorage`."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._seq: dict[str, int] = {}
        self._heaps: defaultdict[str, _QueueHeaps] = defaultdict(_QueueHeaps)
        self._counts: Counter[tuple[str, JobStatus]] = Counter()
        self._paused: set[str] = set()
        self._known_queues: set[str] = set()
        self._next_seq = itertools.count()
        self._leases: dict[str, tuple[str, datetime]] = {}  # name -> (holder, expires_at)

    def describe(self) -> str:
        return "memory://"

    async def add(self, job: Job) -> None:
        if job.id in self._jobs:
            raise DuplicateJobError(f"a job with id {job.id!r} already exists")
        self._seq[job.id] = next(self._next_seq)
        self._store(_clone(job))

    async def get(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return _clone(job) if job is not None else None

    async def update(self, job: Job) -> None:
        if job.id not in self._jobs:
            raise KeyError(f"no job with id {job.id!r}")
        self._store(_clone(job))

    async def claim_next(
        self, queues: Sequence[str], worker_id: str, now: datetime
    ) -> Job | None:
        best: tuple[tuple[int, datetime, int, str], str] | None = None
        for queue in queues:
            if queue in self._paused or queue not in self._heaps:
                continue
            head = self._ready_head(queue, now)
            if head is not None and (best is None or head < best[0]):
                best = (head, queue)
        if best is None:
            return None
        heapq.heappop(self._heaps[best[1]].ready)
        job = _clone(self._jobs[best[0][3]])
        job.status, job.worker_id, job.updated_at = JobStatus.RUNNING, worker_id, now
        job.started_at = now
        self._store(job)
        return _clone(job)

    async def list_jobs(
        self,
        statuses: Iterable[JobStatus],
        queue_name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Job]:
        wanted = set(statuses)
        found = (
            job
            for job in self._jobs.values()
            if job.status in wanted and (queue_name is None or job.queue_name == queue_name)
        )
        return [_clone(job) for job in itertools.islice(found, offset, offset + limit)]

    async def find_jobs(self, statuses: Iterable[JobStatus] | None = None,
                        queue_name: str | None = None, task_name: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Job]:
        wanted = None if statuses is None else set(statuses)
        found = (job for job in reversed(self._jobs.values())  # insertion order, newest first
                 if (wanted is None or job.status in wanted)
                 and queue_name in (None, job.queue_name) and task_name in (None, job.task_name))
        start = max(offset, 0)
        return [_clone(job) for job in itertools.islice(found, start, start + max(limit, 0))]

    async def count_by_queue_and_status(self) -> dict[tuple[str, JobStatus], int]:
        return {key: n for key, n in self._counts.items() if n}

    async def queue_names(self) -> set[str]:
        return self._known_queues | self._paused

    async def set_paused(self, queue_name: str, paused: bool) -> None:
        if paused:
            self._paused.add(queue_name)
        else:
            self._paused.discard(queue_name)

    async def paused_queues(self) -> set[str]:
        return set(self._paused)

    async def delete_waiting(self, queue_name: str) -> int:
        doomed = [
            j.id for j in self._jobs.values()
            if j.queue_name == queue_name and j.status.is_waiting
        ]
        for job_id in doomed:
            self._delete(job_id)
        return len(doomed)

    async def delete_finished_before(self, cutoff: datetime) -> int:
        doomed = [
            j.id
            for j in self._jobs.values()
            if j.status in FINISHED_STATUSES and j.updated_at < cutoff
        ]
        for job_id in doomed:
            self._delete(job_id)
        return len(doomed)

    async def find_stalled(self, heartbeat_before: datetime) -> list[Job]:
        return [
            _clone(j)
            for j in self._jobs.values()
            if j.status is JobStatus.RUNNING and j.updated_at < heartbeat_before
        ]

    async def heartbeat(self, job_ids: Sequence[str], now: datetime) -> None:
        for job_id in job_ids:
            job = self._jobs.get(job_id)
            if job is not None and job.status is JobStatus.RUNNING:
                job.updated_at = now

    async def oldest_waiting_due_at(self, now: datetime) -> dict[str, datetime]:
        oldest = {}
        for queue in self._heaps:
            due_at = self._earliest_due(queue)
            if due_at is not None and due_at <= now:
                oldest[queue] = due_at
        return oldest

    async def next_due_at(self, queues: Sequence[str]) -> datetime | None:
        due = [self._earliest_due(q) for q in queues if q in self._heaps and q not in self._paused]
        return min((d for d in due if d is not None), default=None)

    async def try_acquire_lease(self, name: str, holder: str, ttl: timedelta,
                                now: datetime) -> bool:
        current = self._leases.get(name)
        if current is None or current[0] == holder or current[1] <= now:
            self._leases[name] = (holder, now + ttl)
            return True
        return False

    # --- internals ---

    def _store(self, job: Job) -> None:
        old = self._jobs.get(job.id)
        if old is not None:
            self._counts[(old.queue_name, old.status)] -= 1
        self._counts[(job.queue_name, job.status)] += 1
        self._jobs[job.id] = job
        self._known_queues.add(job.queue_name)
        if job.status in WAITING_STATUSES and (
            old is None
            or old.status not in WAITING_STATUSES
            or (old.due_at, old.priority, old.queue_name)
            != (job.due_at, job.priority, job.queue_name)
        ):
            entry = (job.due_at, self._seq[job.id], job.id)
            heaps = self._heaps[job.queue_name]
            heapq.heappush(heaps.scheduled, entry)
            heapq.heappush(heaps.by_due, entry)
            self._compact_by_due(job.queue_name)

    def _delete(self, job_id: str) -> None:
        job = self._jobs.pop(job_id)
        self._seq.pop(job_id, None)
        self._counts[(job.queue_name, job.status)] -= 1

    def _earliest_due(self, queue: str) -> datetime | None:
        heap = self._heaps[queue].by_due  # its head is the earliest due_at, once stale ones go
        while heap and not self._is_current(self._jobs.get(heap[0][2]), queue, heap[0][0]):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _compact_by_due(self, queue: str) -> None:
        """Drop stale ``by_due`` entries once they outnumber the waiting jobs
        (amortised O(1) per push: memory stays within ~2x the waiting jobs)."""
        heap = self._heaps[queue].by_due
        waiting = sum(self._counts[(queue, status)] for status in WAITING_STATUSES)
        if len(heap) > 2 * waiting + 64:
            heap[:] = [e for e in heap if self._is_current(self._jobs.get(e[2]), queue, e[0])]
            heapq.heapify(heap)

    def _ready_head(self, queue: str, now: datetime) -> tuple[int, datetime, int, str] | None:
        """Move due jobs to the ready heap; drop stale entries; peek the head."""
        heaps = self._heaps[queue]
        while heaps.scheduled and heaps.scheduled[0][0] <= now:
            due_at, seq, job_id = heapq.heappop(heaps.scheduled)
            if self._is_current(self._jobs.get(job_id), queue, due_at):
                job = self._jobs[job_id]
                heapq.heappush(heaps.ready, (int(job.priority), due_at, seq, job_id))
        while heaps.ready:
            priority, due_at, seq, job_id = heaps.ready[0]
            job = self._jobs.get(job_id)
            if self._is_current(job, queue, due_at) and job.priority == priority:
                # a claim with an earlier clock than a previous one must not
                # take a job that is not due for it
                return heaps.ready[0] if due_at <= now else None
            heapq.heappop(heaps.ready)
        return None

    @staticmethod
    def _is_current(job: Job | None, queue: str, due_at: datetime) -> bool:
        """Whether a heap entry still describes the job as stored."""
        return (
            job is not None
            and job.status in WAITING_STATUSES
            and job.queue_name == queue
            and job.due_at == due_at
        )


def _clone(job: Job) -> Job:
    return dataclasses.replace(
        job, args=list(job.args), kwargs=dict(job.kwargs), metadata=dict(job.metadata),
        tags=list(job.tags),
    )
