"""``JobManager``: tasks, enqueueing, and the job lifecycle every worker goes through.

    from uno.jobs import JobManager, InMemoryJobStorage, AsyncWorker

    manager = JobManager(storage=InMemoryJobStorage(), worker_classes=[AsyncWorker])

    @manager.task(queue="default", max_retries=2)
    async def add(a: int, b: int) -> int:
        return a + b

    async with manager:
        job_id = (await manager.enqueue("add", args=[1, 2])).value
        job = await manager.wait_for_job(job_id, timeout=5)
        assert job.result == 3

The lifecycle calls ``enqueue``, ``start_job``, ``complete_job`` and ``fail_job``
are the single place status changes happen (and where instrumentation hooks in).
A manager that is never started is a producer against its storage.

A store that cannot be read or written: every call that answers a ``Result``
answers a failed one whose message names the store and the cause; the others
(``start``, ``wait_for_job``, ``start_job``, ``complete_job``, ``fail_job``)
raise ``uno.jobs.errors.StorageUnavailableError`` (a ``StorageError``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from uno.jobs import job_event_log as log
from uno.jobs.errors import (
    NON_RETRYABLE,
    JobInterruptedError,
    JobTimeoutError,
    ResultNotStorableError,
    StorageError,
    UnknownTaskError,
)
from uno.jobs.job import FINISHED_STATUSES, WAITING_STATUSES, Job, JobStatus, Priority, utcnow
from uno.jobs.maintenance import Maintenance
from uno.jobs.protocols import Scheduler, Worker
from uno.jobs.queries import JobQueries
from uno.jobs.result import Result, storage_failures
from uno.jobs.storage.base import DuplicateJobError, JobStorage
from uno.jobs.tasks import Handler, TaskDefinition, TaskRegistry, default_registry, make_definition
from uno.jobs.validation import build_job, build_jobs
from uno.jobs.waiters import JobWaiters
from uno.jobs.write_retry import retry_while_unavailable


class JobManager(JobQueries):
    def __init__(
        self,
        storage: JobStorage,
        worker_classes: Sequence[type] | None = None,
        scheduler: Scheduler | None = None,
        stall_timeout: timedelta = timedelta(minutes=30),
        cleanup_age: timedelta = timedelta(days=7),
        cleanup_interval: timedelta = timedelta(hours=1),
        health_check_interval: timedelta = timedelta(seconds=30),
        logger: logging.Logger | None = None,
        workers: Sequence[Worker] | None = None,
    ) -> None:
        self.storage = storage
        self.workers: list[Worker] = [cls() for cls in worker_classes or ()] + list(workers or ())
        self.scheduler = scheduler
        self.stall_timeout = stall_timeout
        self.cleanup_age = cleanup_age
        self.cleanup_interval = cleanup_interval
        self.health_check_interval = health_check_interval
        self.logger = logger or logging.getLogger("uno.jobs")
        self.running = False
        self.tasks = TaskRegistry()
        self._waiters = JobWaiters()
        self._work_available = asyncio.Event()
        self._maintenance = Maintenance(self)
        self._executor: ThreadPoolExecutor | None = None
        self._listening = False
        if scheduler is not None and hasattr(scheduler, "bind"):
            scheduler.bind(self)

    # --- tasks ---

    def task(
        self,
        name: str | None = None,
        description: str | None = None,
        timeout: timedelta | float | None = None,
        max_retries: int = 3,
        retry_delay: timedelta | float = timedelta(seconds=60),
        queue: str = "default",
    ) -> Callable[[Handler], Handler]:
        return self.tasks.task(
            name, description=description, timeout=timeout, max_retries=max_retries,
            retry_delay=retry_delay, queue=queue,
        )

    def register_task(self, name: str, handler: Handler, **options: Any) -> TaskDefinition:
        return self.tasks.register(make_definition(name, handler, **options))

    def get_task(self, name: str) -> TaskDefinition | None:
        return self.tasks.get(name) or default_registry.get(name)

    # --- the lifecycle ---

    @storage_failures
    async def enqueue(
        self,
        task_name: str,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        queue_name: str | None = None,
        priority: Priority = Priority.NORMAL,
        job_id: str | None = None,
        scheduled_at: datetime | None = None,
        max_retries: int | None = None,
        retry_delay: timedelta | None = None,
        timeout: timedelta | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
    ) -> Result[str]:
        definition = self.get_task(task_name)
        if definition is None:
            return Result.failure(f"unknown task {task_name!r}", code=Result.UNKNOWN_TASK)
        try:
            job = build_job(
                definition, args=args, kwargs=kwargs, queue_name=queue_name, priority=priority,
                job_id=job_id, scheduled_at=scheduled_at, max_retries=max_retries,
                retry_delay=retry_delay, timeout=timeout, metadata=metadata, tags=tags,
            )
            await self.storage.add(job)
        except ValueError as exc:  # a store that fails: @storage_failures answers
            return _enqueue_failure(task_name, exc)
        log.job_event(self.logger, "enqueued", job)
        self._work_available.set()
        return Result.success(job.id)

    @storage_failures
    async def enqueue_many(
        self,
        task_name: str,
        args_list: Sequence[Sequence[Any]],
        *,
        kwargs_list: Sequence[Mapping[str, Any]] | None = None,
        queue_name: str | None = None,
        priority: Priority = Priority.NORMAL,
        scheduled_at: datetime | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Result[list[str]]:
        """One job per element of ``args_list``, stored all or nothing; a failed
        Result naming the first bad element otherwise (then nothing is stored)."""
        definition = self.get_task(task_name)
        if definition is None:
            return Result.failure(f"unknown task {task_name!r}", code=Result.UNKNOWN_TASK)
        try:
            jobs = build_jobs(definition, args_list, kwargs_list, queue_name=queue_name,
                              priority=priority, scheduled_at=scheduled_at, metadata=metadata)
            await self.storage.add_many(jobs)
        except ValueError as exc:  # a store that fails: @storage_failures answers
            return _enqueue_failure(task_name, exc)
        for job in jobs:
            log.job_event(self.logger, "enqueued", job)
        if jobs:
            self._work_available.set()
        return Result.success([job.id for job in jobs])

    async def start_job(self, job: Job, worker_name: str) -> Job:
        """Start the attempt of a claimed job. Every store's claim already stored
        it RUNNING for this worker (started now), so that costs no write here; a
        job that is not yet (a store that only reserves) is stored RUNNING now."""
        if not (job.status is JobStatus.RUNNING and job.worker_id == worker_name
                and job.started_at is not None):
            now = utcnow()
            job.status, job.worker_id = JobStatus.RUNNING, worker_name
            job.started_at = job.updated_at = now
            await self._write(job, "start")
        log.job_event(self.logger, "started", job)
        return job

    async def complete_job(self, job: Job, result: Any) -> Job:
        """Mark the job COMPLETED. ``ResultNotStorableError`` (job left RUNNING)
        when the storage cannot hold the result; the worker then fails the job."""
        now = utcnow()
        finished = dataclasses.replace(job, status=JobStatus.COMPLETED, result=result,
                                       error=None, completed_at=now, updated_at=now)
        try:
            await self._write(finished, "complete")
        except ValueError as exc:
            raise ResultNotStorableError(f"result of job {job.id} cannot be stored: {exc}") from exc
        _assign(job, finished)
        log.job_outcome(self.logger, job)
        self._waiters.notify(job)
        return job

    async def fail_job(self, job: Job, error: BaseException, *,
                       only_if: Collection[JobStatus] | None = None) -> Job:
        """Record a failed attempt: a retry after ``retry_delay`` while
        ``retry_count < max_retries``, else FAILED (TIMEOUT for a timeout).
        With ``only_if`` (the stall sweep), only while the stored job's status
        is one of those; otherwise the job is returned as stored, unchanged."""
        now = utcnow()
        times = log.attempt_times(job, now)  # the attempt that ended, before a retry moves it
        failed = dataclasses.replace(job, result=None, updated_at=now, error=(
            f"{type(error).__name__}: {error}" if str(error) else type(error).__name__))
        if isinstance(error, JobTimeoutError):
            failed.status, failed.completed_at = JobStatus.TIMEOUT, now
        elif isinstance(error, NON_RETRYABLE) or job.retry_count >= job.max_retries:
            failed.status, failed.completed_at = JobStatus.FAILED, now
        else:
            failed.retry_count += 1
            failed.status, failed.worker_id = JobStatus.RETRYING, None
            failed.scheduled_at = now + job.retry_delay
        if only_if is None:
            await self._write(failed, "fail")
        elif not await self.storage.transition(failed, only_if):
            self.logger.info("job %s changed meanwhile; not failing it", job.id,
                             extra={"job_id": job.id})
            return await self.storage.get(job.id) or job
        _assign(job, failed)
        log.job_outcome(self.logger, job, error, times)
        if job.status in FINISHED_STATUSES:
            self._waiters.notify(job)
        else:
            self._work_available.set()
        return job

    async def execute(self, job: Job) -> Any:
        """Run the job's handler (with its timeout); raises what the handler raises."""
        definition = self.get_task(job.task_name)
        if definition is None:
            raise UnknownTaskError(f"no task {job.task_name!r} is registered in this process")
        if job.timeout is None:
            return await definition.call(job.args, job.kwargs, self._executor)
        try:
            async with asyncio.timeout(job.timeout.total_seconds()) as deadline:
                return await definition.call(job.args, job.kwargs, self._executor)
        except TimeoutError:
            if deadline.expired():
                raise JobTimeoutError(f"job exceeded its timeout of {job.timeout}") from None
            raise

    async def run_claimed_job(self, job: Job, worker_name: str) -> Job:
        """Take a claimed job through the lifecycle: start, execute, complete or fail.

        Each step is a method call (instrumentation wraps them). A value completes
        the job (or fails it when the result cannot be stored); an exception,
        ``SystemExit`` or ``KeyboardInterrupt`` (from a thread handler) fails it;
        cancellation fails it with ``JobInterruptedError`` and propagates."""
        job = await self.start_job(job, worker_name)
        try:
            result = await self.execute(job)
        except asyncio.CancelledError:
            await asyncio.shield(self.fail_job(job, JobInterruptedError("job was cancelled")))
            raise
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            return await self.fail_job(job, exc)
        try:
            return await self.complete_job(job, result)
        except ResultNotStorableError as exc:
            return await self.fail_job(job, exc)

    # --- control ---

    @storage_failures
    async def cancel_job(self, job_id: str) -> Result[bool]:
        job_result = await self.get_job(job_id)
        job = job_result.value
        if job is None:
            return Result.failure(job_result.error or f"no job with id {job_id!r}")
        # not RESERVED: a worker holds that job and would start it anyway
        if not job.status.is_waiting:
            return Result.failure(f"job {job_id} is {job.status.value} and cannot be cancelled")
        now = utcnow()
        cancelled = dataclasses.replace(job, status=JobStatus.CANCELLED, completed_at=now,
                                        updated_at=now)
        if not await self.storage.transition(cancelled, WAITING_STATUSES):  # a worker claimed it
            return Result.failure(f"job {job_id} was claimed meanwhile and cannot be cancelled")
        _assign(job, cancelled)
        log.job_event(self.logger, "cancelled", job)
        self._waiters.notify(job)
        return Result.success(True)

    @storage_failures
    async def retry_job(self, job_id: str) -> Result[bool]:
        job_result = await self.get_job(job_id)
        job = job_result.value
        if job is None:
            return Result.failure(job_result.error or f"no job with id {job_id!r}")
        if job.status not in (JobStatus.FAILED, JobStatus.TIMEOUT, JobStatus.CANCELLED):
            return Result.failure(f"job {job_id} is {job.status.value}; only finished, "
                                  "unsuccessful jobs can be retried")
        previous, now = job.status, utcnow()
        job.status, job.scheduled_at, job.updated_at = JobStatus.PENDING, now, now
        job.error = job.worker_id = job.started_at = job.completed_at = None
        if not await self.storage.transition(job, [previous]):
            return Result.failure(f"job {job_id} changed meanwhile; read it and retry again")
        log.job_event(self.logger, "requeued", job)
        self._work_available.set()
        return Result.success(True)

    @storage_failures
    async def get_job(self, job_id: str) -> Result[Job | None]:
        try:
            return Result.success(await self.storage.get(job_id))
        except StorageError:
            raise
        except Exception as exc:  # a corrupt row: say so, keep going
            return Result.failure(f"cannot read job {job_id!r}: {exc}")

    async def wait_for_job(self, job_id: str, timeout: float | None = None) -> Job:
        """The job once COMPLETED, FAILED, CANCELLED or TIMEOUT. ``TimeoutError``
        after ``timeout`` seconds; ``LookupError`` for an unknown id."""
        async with asyncio.timeout(timeout):
            return await self._waiters.wait(job_id, self.storage)

    @storage_failures
    async def run_job_sync(
        self,
        task_name: str,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        timeout: timedelta | float | None = None,
    ) -> Result[Any]:
        """Run a task now, in this process, through the full lifecycle (no retries)."""
        enqueued = await self.enqueue(task_name, args=args, kwargs=kwargs, metadata=metadata,
                                      timeout=timeout, max_retries=0, priority=Priority.CRITICAL,
                                      queue_name=f"{_SYNC_QUEUE_PREFIX}{task_name}")
        if enqueued.is_failure:
            return enqueued
        job = await self.storage.claim_next([f"{_SYNC_QUEUE_PREFIX}{task_name}"], "run_job_sync",
                                            utcnow())
        if job is None:
            return Result.failure(f"job {enqueued.value} was claimed elsewhere")
        job = await self.run_claimed_job(job, "run_job_sync")
        if job.status is JobStatus.COMPLETED:
            return Result.success(job.result)
        return Result.failure(job.error or job.status.value)

    # --- running ---

    async def start(self) -> None:
        if self.running:
            return
        await self.storage.open()
        self.running = True
        self._work_available = asyncio.Event()  # bound to this run's event loop
        if not self._listening:  # another process's enqueue or retry wakes idle workers
            self.storage.on_work_available(self._wake_workers)
            self._listening = True
        # plain-function handlers: one thread per concurrency slot, not the loop's
        # default pool (min(32, cpus + 4) threads)
        slots = sum(worker.concurrency for worker in self.workers)
        self._executor = ThreadPoolExecutor(max(4, slots), thread_name_prefix="uno-jobs-task")
        for worker in self.workers:
            await worker.start(self)
        if self.scheduler is not None:
            await self.scheduler.start(self)
        self._maintenance.start()
        self.logger.info("job manager started with %d worker(s)", len(self.workers))
        self._warn_unserved_queues()

    async def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        await self._maintenance.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        await asyncio.gather(*(worker.stop() for worker in self.workers))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self.logger.info("job manager stopped")

    def _warn_unserved_queues(self) -> None:
        """One WARNING per task whose queue none of this manager's workers serve
        (nothing said for a manager without workers: a producer)."""
        if not self.workers:
            return
        served = {queue for worker in self.workers for queue in worker.queues}
        for definition in self.tasks.definitions():
            if definition.queue not in served:
                self.logger.warning(
                    "task %r uses queue %r, which no worker of this manager serves "
                    "(workers serve %s): its jobs wait for another process",
                    definition.name, definition.queue, ",".join(sorted(served)))

    async def __aenter__(self) -> JobManager:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _wake_workers(self) -> None:
        self._work_available.set()

    async def _write(self, job: Job, what: str) -> None:
        """``storage.update(job)``, retried while the store is unavailable for up
        to half the stall timeout (the stall sweep retries the job after that)."""
        await retry_while_unavailable(
            lambda: self.storage.update(job), give_up_after=self.stall_timeout.total_seconds() / 2,
            what=f"{what} job {job.id}", logger=self.logger)

    async def wait_for_work(self, timeout: float) -> None:
        """Sleep until a job may be available here, or ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._work_available.wait()
        except TimeoutError:
            return
        self._work_available.clear()


_SYNC_QUEUE_PREFIX = "sync:"
def _enqueue_failure(task_name: str, exc: ValueError) -> Result[Any]:
    """The failed Result of an enqueue: a duplicate id, or bad arguments."""
    code = Result.DUPLICATE if isinstance(exc, DuplicateJobError) else Result.INVALID
    return Result.failure(f"cannot enqueue {task_name!r}: {exc}", code=code)


def _assign(target: Job, source: Job) -> None:
    for name in Job.__dataclass_fields__:
        setattr(target, name, getattr(source, name))
