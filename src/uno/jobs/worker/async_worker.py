"""``AsyncWorker``: claims jobs from its queues and runs up to ``concurrency`` at once.

    worker = AsyncWorker(queues=["emails", "default"], concurrency=20, name="mailer")
    manager = JobManager(storage, workers=[worker])
    async with manager: ...      # the manager starts and stops its workers

The claim loop reads top to bottom: take the free slots, claim that many due
jobs in one storage call, run each in its own task; with nothing due, sleep
until a wake-up, the next scheduled job's due time or ``poll_interval``.
While jobs run, a heartbeat keeps their ``updated_at`` fresh so the manager
can tell a slow job from a dead worker. ``stop()`` stops claiming (the jobs a
claim in flight took still run), lets in-flight jobs finish within
``shutdown_timeout``, then cancels the rest (they end as failed attempts,
retried while they have retries).

``last_heartbeat`` is the worker's own pulse, set whenever the store answers a
claim attempt or a heartbeat of running jobs: its age grows when the worker can
neither claim nor keep its jobs alive (what ``worker_heartbeat_age`` reports).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from uno.core.background import cancel_and_wait
from uno.jobs.job import utcnow

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager

_names = itertools.count(1)
LATE_CLAIM_WAIT = 5.0  # seconds stop() waits for a claim in flight to answer
_GATHER_SECONDS = 0.002  # at most this late, a claim under load waits for more free slots


class AsyncWorker:
    def __init__(
        self,
        queues: Sequence[str] = ("default",),
        concurrency: int = 10,
        name: str | None = None,
        poll_interval: float = 0.5,
        shutdown_timeout: float = 30.0,
    ) -> None:
        if isinstance(queues, str):
            queues = [queues]
        if not queues or not all(isinstance(q, str) and q for q in queues):
            raise ValueError(f"queues must be a non-empty list of queue names, got {queues!r}")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
        if poll_interval <= 0 or shutdown_timeout < 0:
            raise ValueError("poll_interval must be > 0 and shutdown_timeout >= 0")
        self.queues = list(queues)
        self.concurrency = concurrency
        self.name = name or f"worker-{next(_names)}"
        self.poll_interval = poll_interval
        self.shutdown_timeout = shutdown_timeout
        self.running = False
        self.manager: JobManager | None = None
        self.started_at: datetime | None = None
        self.last_activity: datetime | None = None
        self.last_heartbeat: datetime | None = None
        self.jobs_processed = 0
        self.jobs_failed = 0
        self._active: dict[str, asyncio.Task[Any]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._loops: list[asyncio.Task[None]] = []

    @property
    def worker_type(self) -> str:
        return type(self).__name__

    @property
    def active_jobs(self) -> int:
        return len(self._active)

    def is_busy(self) -> bool:
        """True while at least one job runs on this worker."""
        return bool(self._active)

    def is_healthy(self) -> bool:
        return self.running and all(not t.done() for t in self._loops)

    def get_health_details(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "worker_type": self.worker_type,
            "running": self.running,
            "healthy": self.is_healthy(),
            "queues": list(self.queues),
            "concurrency": self.concurrency,
            "active_jobs": self.active_jobs,
            "busy": self.is_busy(),
            "jobs_processed": self.jobs_processed,
            "jobs_failed": self.jobs_failed,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "last_activity": self.last_activity.isoformat() if self.last_activity else None,
            "last_heartbeat": self.last_heartbeat.isoformat() if self.last_heartbeat else None,
        }

    async def start(self, manager: JobManager) -> None:
        if self.running:
            return
        self.manager, self.running = manager, True
        self.started_at = self.last_activity = self.last_heartbeat = utcnow()
        # fresh slots: a claim cancelled by the last stop() never gave its slot back
        self._slots = asyncio.Semaphore(self.concurrency)
        self._loops = [
            asyncio.create_task(self._claim_loop(), name=f"{self.name}-claim"),
            asyncio.create_task(self._heartbeat_loop(), name=f"{self.name}-heartbeat"),
        ]
        manager.logger.info("worker %s started on queues %s", self.name, ",".join(self.queues),
                            extra={"worker": self.name})

    async def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        claim_loop, heartbeat_loop = self._loops
        await cancel_and_wait(claim_loop)
        in_flight = list(self._active.values())
        if in_flight:
            _done, late = await asyncio.wait(in_flight, timeout=self.shutdown_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await cancel_and_wait(heartbeat_loop)
        assert self.manager is not None
        self.manager.logger.info("worker %s stopped after %d job(s)", self.name,
                                 self.jobs_processed, extra={"worker": self.name})

    async def _claim_loop(self) -> None:
        manager = self.manager
        assert manager is not None
        while True:
            free = await self._take_free_slots()
            claim = asyncio.ensure_future(
                manager.storage.claim_batch(self.queues, self.name, utcnow(), free))
            try:
                jobs = await asyncio.shield(claim)
            except asyncio.CancelledError:
                await self._run_late_claim(claim, free)
                raise
            except Exception:
                self._give_back(free)
                manager.logger.exception("worker %s could not claim a job", self.name)
                await asyncio.sleep(self.poll_interval)
                continue
            self.last_heartbeat = utcnow()
            self._give_back(free - len(jobs))
            if not jobs:
                await manager.wait_for_work(await self._idle_timeout())
                continue
            self._launch(jobs)

    async def _run_late_claim(self, claim: asyncio.Future[list[Any]], free: int) -> None:
        """``stop()`` came during a claim: the jobs it took are RUNNING here, so
        they run (``stop()`` waits for them) rather than wait for the stall sweep."""
        done, _ = await asyncio.wait({claim}, timeout=min(self.shutdown_timeout, LATE_CLAIM_WAIT))
        if not done or claim.cancelled() or claim.exception() is not None:
            claim.cancel()
            self._give_back(free)
            return
        jobs = claim.result()
        self._give_back(free - len(jobs))
        self._launch(jobs)

    def _launch(self, jobs: list[Any]) -> None:
        """Run each claimed job in its own task (each holds one of the taken slots)."""
        self.last_activity = utcnow()
        for job in jobs:
            self._active[job.id] = asyncio.create_task(self._run(job.id, job),
                                                       name=f"job-{job.id}")

    async def _take_free_slots(self) -> int:
        """Wait for one free slot, then take every other free one (claimed in one go).
        With most slots busy, first give running jobs ``_GATHER_SECONDS`` to free
        more: under load one claim then serves several jobs, not one each (an idle
        worker has its slots free and claims at once)."""
        await self._slots.acquire()
        if self._active and self.concurrency - len(self._active) < self.concurrency // 4:
            await asyncio.sleep(_GATHER_SECONDS)
        taken = 1
        while not self._slots.locked():
            await self._slots.acquire()  # free: returns at once
            taken += 1
        return taken

    def _give_back(self, slots: int) -> None:
        for _ in range(slots):
            self._slots.release()

    async def _idle_timeout(self) -> float:
        """Seconds to sleep with nothing due: until the next scheduled job of these
        queues is due, at most ``poll_interval`` (a wake-up from an enqueue ends it
        sooner)."""
        assert self.manager is not None
        try:
            due_at = await self.manager.storage.next_due_at(self.queues)
        except Exception:
            return self.poll_interval
        if due_at is None:
            return self.poll_interval
        wait = (due_at - utcnow()).total_seconds()
        return min(self.poll_interval, wait if wait > 0 else 0.05)

    async def _run(self, job_id: str, job: Any) -> None:
        manager = self.manager
        assert manager is not None
        try:
            finished = await manager.run_claimed_job(job, self.name)
            self.jobs_processed += 1
            if finished.error is not None:
                self.jobs_failed += 1
        except asyncio.CancelledError:
            self.jobs_failed += 1
        except Exception:
            self.jobs_failed += 1
            manager.logger.exception("worker %s: lifecycle error on job %s", self.name, job_id)
        finally:
            self._active.pop(job_id, None)
            self._slots.release()
            self.last_activity = utcnow()

    async def _heartbeat_loop(self) -> None:
        manager = self.manager
        assert manager is not None
        interval = max(0.05, min(10.0, manager.stall_timeout.total_seconds() / 4))
        while True:
            await asyncio.sleep(interval)
            if not self._active:
                continue  # nothing to keep fresh; the claim loop beats while slots are free
            try:
                await manager.storage.heartbeat(list(self._active), utcnow())
            except Exception:
                manager.logger.exception("worker %s heartbeat failed", self.name)
                continue
            self.last_heartbeat = utcnow()
