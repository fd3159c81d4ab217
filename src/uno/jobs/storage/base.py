"""The storage interface: persistence only. Status changes, counting and
logging live in :class:`uno.jobs.manager.JobManager`, which is the one place
the lifecycle passes through (and the one place to instrument).

Every backend passes the same contract suite (``tests/test_storage_contract.py``).

    storage = InMemoryJobStorage()
    await storage.add(job)
    claimed = await storage.claim_next(["default"], worker_id="w1", now=utcnow())
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta

from uno.jobs.job import Job, JobStatus

_ALL = 2**62  # "no limit" for list_jobs (fits SQLite's 64-bit integers)


class DuplicateJobError(ValueError):
    """A job with this id is already stored."""


def check_unique_ids(jobs: Sequence[Job]) -> None:
    """``DuplicateJobError`` if an id repeats within ``jobs``."""
    seen: set[str] = set()
    for job in jobs:
        if job.id in seen:
            raise DuplicateJobError(f"job id {job.id!r} appears twice in the batch")
        seen.add(job.id)


class JobStorage(abc.ABC):
    """Async persistence for jobs, queues and their pause state."""

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Prepare the backend (create tables). Idempotent."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources. Idempotent."""

    def describe(self) -> str:
        """A name for messages (``sqlite:///path/jobs.db``, ``memory://``); never a password."""
        return type(self).__name__

    async def ping(self) -> None:
        """One cheap round trip; ``StorageUnavailableError`` when the store cannot be read."""
        await self.paused_queues()

    async def add_many(self, jobs: Sequence[Job]) -> None:
        """Store new jobs, all or nothing: ``DuplicateJobError`` if any id exists
        (or repeats in ``jobs``), ``ValueError`` if any cannot be stored; then
        none is stored. This default suits stores whose ``add`` never suspends
        between its checks and its write; others override it."""
        check_unique_ids(jobs)
        for job in jobs:
            if await self.get(job.id) is not None:
                raise DuplicateJobError(f"a job with id {job.id!r} already exists")
        for job in jobs:
            await self.add(job)

    async def claim_batch(
        self, queues: Sequence[str], worker_id: str, now: datetime, limit: int
    ) -> list[Job]:
        """Up to ``limit`` jobs in claim order, with ``claim_next``'s guarantees."""
        claimed: list[Job] = []
        while len(claimed) < limit:
            job = await self.claim_next(queues, worker_id, now)
            if job is None:
                break
            claimed.append(job)
        return claimed

    def on_work_available(self, callback: Callable[[], None]) -> None:  # noqa: B027
        """Register ``callback``, called on the event loop when another process
        may have made a job due (LISTEN/NOTIFY, pub/sub). Default: never called
        (in-process wake-ups stay in ``JobManager``)."""

    async def next_due_at(self, queues: Sequence[str]) -> datetime | None:
        """The earliest due time among waiting jobs of ``queues`` (not paused), or
        None: an idle worker sleeps until then (capped by its poll interval)."""
        return None

    async def transition(self, job: Job, expected: Collection[JobStatus]) -> bool:
        """Store ``job`` only if the stored job's status is still one of
        ``expected`` (compare-and-set); False otherwise. This default checks then
        updates: right for single-process stores whose calls never suspend."""
        stored = await self.get(job.id)
        if stored is None or stored.status not in expected:
            return False
        await self.update(job)
        return True

    @abc.abstractmethod
    async def add(self, job: Job) -> None:
        """Store a new job; ``DuplicateJobError`` if its id exists, ``ValueError``
        (naming the field) if it cannot be stored. Nothing is half-stored."""

    @abc.abstractmethod
    async def get(self, job_id: str) -> Job | None:
        """The job, or None. A row that cannot be decoded raises ``JobDecodeError``."""

    @abc.abstractmethod
    async def update(self, job: Job) -> None:
        """Replace the stored job with ``job`` (same id). ``ValueError`` if it
        cannot be stored (for example an unserialisable result)."""

    async def claim_next(
        self, queues: Sequence[str], worker_id: str, now: datetime
    ) -> Job | None:
        """Atomically take the next due job from ``queues`` (not paused): the
        lowest priority value first, then the earliest ``due_at``, then the
        earliest enqueued. The claim starts the job's attempt: it is stored and
        returned as RUNNING with ``worker_id`` set and ``started_at`` and
        ``updated_at`` (the first heartbeat) at ``now``, so the stall sweep covers
        it from then on and ``JobManager.start_job`` has nothing left to write.
        Across processes sharing a store, a job is claimed once.
        A store overrides this or ``claim_batch``: each defaults to the other."""
        claimed = await self.claim_batch(queues, worker_id, now, 1)
        return claimed[0] if claimed else None



    @abc.abstractmethod
    async def list_jobs(
        self,
        statuses: Iterable[JobStatus],
        queue_name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs in any of ``statuses``, oldest first."""

    async def find_jobs(
        self,
        statuses: Iterable[JobStatus] | None = None,
        queue_name: str | None = None,
        task_name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs matching every filter given (``statuses=None``: any status),
        newest first — what an operator browses. This default reads the
        matching statuses oldest first and reverses them; stores override it
        with a query."""
        wanted = list(JobStatus) if statuses is None else list(statuses)
        found = await self.list_jobs(wanted, queue_name, limit=_ALL, offset=0)
        newest = [job for job in reversed(found) if task_name in (None, job.task_name)]
        return newest[max(offset, 0): max(offset, 0) + max(limit, 0)]

    @abc.abstractmethod
    async def count_by_queue_and_status(self) -> dict[tuple[str, JobStatus], int]:
        """Job counts for every (queue, status) pair that has jobs. Cheap: the
        in-memory store answers in constant time per pair."""

    @abc.abstractmethod
    async def queue_names(self) -> set[str]:
        """Every queue that holds or held a job, or was paused."""

    @abc.abstractmethod
    async def set_paused(self, queue_name: str, paused: bool) -> None:
        """Pause (no claims) or resume a queue."""

    @abc.abstractmethod
    async def paused_queues(self) -> set[str]:
        """The queues paused now."""

    @abc.abstractmethod
    async def delete_waiting(self, queue_name: str) -> int:
        """Delete the PENDING and RETRYING jobs of a queue; return how many."""

    @abc.abstractmethod
    async def delete_finished_before(self, cutoff: datetime) -> int:
        """Delete finished jobs whose ``updated_at`` is before ``cutoff``."""

    @abc.abstractmethod
    async def find_stalled(self, heartbeat_before: datetime) -> list[Job]:
        """RUNNING jobs whose ``updated_at`` (the heartbeat) is before the cutoff."""

    @abc.abstractmethod
    async def heartbeat(self, job_ids: Sequence[str], now: datetime) -> None:
        """Set ``updated_at`` of these RUNNING jobs to ``now``."""

    @abc.abstractmethod
    async def oldest_waiting_due_at(self, now: datetime) -> dict[str, datetime]:
        """Queue -> the earliest ``due_at`` among its waiting (PENDING or RETRYING)
        jobs that are due at ``now``; queues with none are left out. Paused
        queues count (their jobs wait too). Cheap: a heap peek or an index read
        per queue, never a scan of every job."""

    @abc.abstractmethod
    async def try_acquire_lease(self, name: str, holder: str, ttl: timedelta,
                                now: datetime) -> bool:
        """Acquire or renew the lease ``name`` for ``holder`` until ``now + ttl``;
        True if ``holder`` holds it after the call. Another holder's lease is
        taken only once it expired; renewing with a zero ``ttl`` releases it.
        Across processes sharing a store, one holder at a time."""
