"""The manager's background upkeep: fail stalled jobs, delete old finished ones.

A RUNNING job whose worker sent no heartbeat for ``stall_timeout`` is failed
through ``fail_job`` with ``JobStalledError`` (so it is retried while it has
retries, and the instrumentation sees it end). A claim stores the job RUNNING,
so a worker that died between its claim and the job is covered the same way. A
job RESERVED that long ago (claimed by a store or worker of an earlier version
that reserved first, and never started) goes back to PENDING.
Finished jobs older than ``cleanup_age`` are deleted every ``cleanup_interval``.

Processes sharing a store take turns: a round runs only while this manager
holds the store's ``maintenance`` lease (taken for the round, released after
it, renewed while a long round works; a process killed mid-round holds it
``ROUND_LEASE_TTL`` at most, so recovery waits seconds, not minutes), and a
stalled job is failed only if it is still RUNNING when the failure is stored
(``fail_job(..., only_if=...)``), so no job is failed twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from uno.core.background import cancel_and_wait
from uno.jobs.errors import JobStalledError
from uno.jobs.job import JobStatus, utcnow

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager


class Maintenance:
    def __init__(self, manager: JobManager) -> None:
        self._manager = manager
        self._task: asyncio.Task[None] | None = None
        self._last_cleanup: datetime | None = None
        self.holder = f"maintenance-{uuid.uuid4().hex[:12]}"

    @property
    def interval(self) -> float:
        m = self._manager
        return max(0.05, min(m.cleanup_interval, m.stall_timeout / 3).total_seconds())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="uno-jobs-maintenance")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def run_once(self) -> tuple[int, int]:
        """Fail stalled jobs and (when due) delete old ones; return both counts
        ((0, 0) while another process holds the maintenance lease)."""
        m, now = self._manager, utcnow()
        if not await m.storage.try_acquire_lease(MAINTENANCE_LEASE, self.holder,
                                                 ROUND_LEASE_TTL, now):
            return 0, 0
        try:
            return await self._round(now)
        finally:
            with contextlib.suppress(Exception):  # released: the next round may run anywhere
                await m.storage.try_acquire_lease(MAINTENANCE_LEASE, self.holder,
                                                  timedelta(0), utcnow())

    async def _round(self, now: datetime) -> tuple[int, int]:
        m = self._manager
        stalled = await m.storage.find_stalled(now - m.stall_timeout)
        renew_at = now + ROUND_LEASE_TTL / 2
        for job in stalled:
            if utcnow() >= renew_at:  # a long round keeps the lease while it works
                if not await m.storage.try_acquire_lease(MAINTENANCE_LEASE, self.holder,
                                                         ROUND_LEASE_TTL, utcnow()):
                    break
                renew_at = utcnow() + ROUND_LEASE_TTL / 2
            error = JobStalledError(
                f"no heartbeat from worker {job.worker_id!r} for {m.stall_timeout}"
            )
            await m.fail_job(job, error, only_if=(JobStatus.RUNNING,))
        await self._release_abandoned_claims(now - m.stall_timeout)
        deleted = 0
        if self._last_cleanup is None or now - self._last_cleanup >= m.cleanup_interval:
            deleted = await m.storage.delete_finished_before(now - m.cleanup_age)
            self._last_cleanup = now
            if deleted:
                m.logger.info("deleted %d finished job(s) older than %s", deleted, m.cleanup_age)
        return len(stalled), deleted

    async def _release_abandoned_claims(self, claimed_before: datetime) -> None:
        m = self._manager
        for job in await m.storage.list_jobs([JobStatus.RESERVED], limit=1000):
            if job.updated_at < claimed_before:
                m.logger.warning("job %s was claimed by %s but never started; requeued",
                                 job.id, job.worker_id, extra={"job_id": job.id})
                job.status, job.worker_id, job.updated_at = JobStatus.PENDING, None, utcnow()
                if await m.storage.transition(job, (JobStatus.RESERVED,)):
                    m._wake_workers()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                self._manager.logger.exception("job maintenance failed; retrying")
            await asyncio.sleep(self.interval)


MAINTENANCE_LEASE = "maintenance"
ROUND_LEASE_TTL = timedelta(seconds=5)

__all__ = ["MAINTENANCE_LEASE", "Maintenance"]
