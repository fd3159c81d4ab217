"""``PostgresJobStorage``: jobs in PostgreSQL, shared by workers on many hosts.

    storage = PostgresJobStorage("postgresql://app@db.internal:5432/app", schema="uno_jobs")
    manager = JobManager(storage, worker_classes=[AsyncWorker])

Needs the ``postgres`` extra (``pip install 'uno-jobs-otel[postgres]'``: asyncpg,
imported only when this class is used). The schema is created and migrated on
first use (:mod:`uno.jobs.storage.postgres_schema`). A claim is one statement,
``FOR UPDATE SKIP LOCKED`` in priority, due-time, FIFO order, so each job is
claimed once however many workers ask; ``add_many`` is one ``INSERT ... SELECT
FROM unnest(...)``. Idle workers wake on ``NOTIFY`` (:mod:`.postgres_listen`).

Connections come from an asyncpg pool that replaces lost connections on the
next use; a call that cannot reach the server raises ``StorageUnavailableError``
naming the store (reads and idempotent writes first retry twice on a fresh
connection). The callers back off and retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

try:
    import asyncpg
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("PostgresJobStorage needs asyncpg: pip install 'uno-jobs-otel[postgres]'"
                      ) from exc

from uno.jobs.errors import JobDecodeError, StorageError, StorageUnavailableError
from uno.jobs.job import FINISHED_STATUSES, Job, JobStatus
from uno.jobs.storage import postgres_sql as sql
from uno.jobs.storage.base import DuplicateJobError, JobStorage, check_unique_ids
from uno.jobs.storage.codec import encode_batch, encode_job
from uno.jobs.storage.postgres_batch import UpdateBatcher
from uno.jobs.storage.postgres_listen import WorkListener
from uno.jobs.storage.postgres_schema import channel, check_schema_name, migrate, schema_exists

logger = logging.getLogger(__name__)
_WAITING = [JobStatus.PENDING.value, JobStatus.RETRYING.value]
_FINISHED = sorted(s.value for s in FINISHED_STATUSES)
_STATUSES = {s.value: s for s in JobStatus}
CONNECT_TIMEOUT = 10.0  # seconds to open a connection (asyncpg's default is 60)


def _count(status: str) -> int:
    """The row count of an asyncpg command status (``"UPDATE 3"`` -> 3)."""
    return int(status.rsplit(" ", 1)[-1])


def _decode(row: Any) -> Job:
    job_id, status, worker_id, updated_at, started_at, data = row
    try:
        job = Job.from_dict(json.loads(data))
        job.status = _STATUSES[status]
    except Exception as exc:
        msg = f"stored job {job_id!r} could not be decoded: {type(exc).__name__}: {exc}"
        raise JobDecodeError(msg) from exc
    job.worker_id, job.updated_at = worker_id, updated_at
    if started_at is not None:  # claimed since the row was last written
        job.started_at = started_at
    return job


def _decode_rows(rows: Iterable[Any]) -> list[Job]:
    jobs = []
    for row in rows:
        try:
            jobs.append(_decode(row))
        except JobDecodeError as exc:
            logger.warning("skipping undecodable job: %s", exc)
    return jobs


async def _keep_session(conn: Any) -> None:
    """No reset query on release (asyncpg's default costs a round trip per call):
    the store's statements leave no session state (no LISTEN, cursors or session locks)."""


def _terminate(pool: Any) -> None:
    """Drop a pool at once (its event loop may be closed already)."""
    if pool is not None:
        with contextlib.suppress(Exception):
            pool.terminate()


async def _release(pool: Any, conn: Any) -> None:
    """Give ``conn`` back; a connection that died is terminated and replaced by the pool."""
    try:
        await pool.release(conn)
    except Exception as exc:
        logger.debug("released a broken connection: %s: %s", type(exc).__name__, exc)


_ATTEMPTS = 3  # a read or idempotent write: tried again on a fresh connection
_RETRY_PAUSE = 0.05  # seconds, times the attempt number


def _row(job: Job, data: str) -> tuple[Any, ...]:
    return (job.id, job.queue_name, job.status.value, int(job.priority), job.due_at,
            job.updated_at, job.worker_id, data)


# the columns of _row but id and data: a batch equal in these takes add_many_alike
_ALIKE = attrgetter("queue_name", "status", "priority", "due_at", "updated_at", "worker_id")


class PostgresJobStorage(JobStorage):
    """A :class:`JobStorage` in one PostgreSQL schema, for workers on many hosts."""

    def __init__(self, dsn: str, schema: str = "uno_jobs", *, pool_size: int = 10,
                 create_schema: bool = True) -> None:
        self.dsn = dsn
        self.schema = check_schema_name(schema)
        self.pool_size = pool_size
        # False (read-only tools such as `status`): a missing schema is a StorageError
        # and an existing one is used as it is, neither created nor migrated
        self.create_schema = create_schema
        self._sql = sql.Statements(self.schema, channel(self.schema))
        # names this store's sessions in pg_stat_activity, unless the DSN does
        self._settings: dict[str, Any] = {"timeout": CONNECT_TIMEOUT}
        if "application_name=" not in dsn:
            self._settings["server_settings"] = {"application_name": "uno_jobs"}
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the pool's
        self._opening = asyncio.Lock()
        self._updates = UpdateBatcher(self._update_rows)
        self._listener = self._new_listener(None)

    def _new_listener(self, previous: WorkListener | None) -> WorkListener:
        """A listener (taking over the callbacks of ``previous``, from an old loop)."""
        listener = WorkListener(self._connect, channel(self.schema), name=self.describe(),
                                logger=logger)
        for callback in previous.callbacks if previous is not None else ():
            listener.add(callback)
        return listener

    # --- plumbing ---

    def describe(self) -> str:
        try:
            url = urlsplit(self.dsn)
            where = f"{url.scheme}://{url.username + '@' if url.username else ''}"
            where += f"{url.hostname or ''}{':' + str(url.port) if url.port else ''}{url.path}"
        except ValueError:
            where = "postgresql"
        if not self.dsn.startswith(("postgresql://", "postgres://")):
            where = "postgresql"  # a key=value DSN may hold a password: name no part of it
        return f"{where} (schema {self.schema})"

    def _unavailable(self, exc: BaseException) -> StorageUnavailableError:
        return StorageUnavailableError(f"{self.describe()}: {type(exc).__name__}: {exc}")

    async def _connect(self) -> Any:
        return await asyncpg.connect(self.dsn, **self._settings)

    async def _get_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._loop is not loop:  # a new event loop (asyncio.run again): fresh connections
            _terminate(self._pool)
            self._pool, self._loop = None, loop
            self._opening = asyncio.Lock()
            self._updates = UpdateBatcher(self._update_rows)
            self._listener = self._new_listener(self._listener)
        async with self._opening:
            if self._pool is None:
                try:
                    pool = await asyncpg.create_pool(self.dsn, min_size=1,
                                                     max_size=self.pool_size, reset=_keep_session,
                                                     **self._settings)
                except sql.CONNECTION_ERRORS as exc:
                    raise self._unavailable(exc) from exc
                try:
                    async with pool.acquire() as conn:
                        if self.create_schema:
                            await migrate(conn, self.schema)
                        elif not await schema_exists(conn, self.schema):
                            raise StorageError(
                                f"no job store: the schema {self.schema} does not exist (a"
                                " worker or producer creates it on first use)")
                except BaseException as exc:
                    pool.terminate()
                    if isinstance(exc, sql.CONNECTION_ERRORS):
                        raise self._unavailable(exc) from exc
                    if isinstance(exc, asyncpg.PostgresError):
                        raise StorageError(f"{self.describe()}: cannot create or migrate the "
                                           f"schema: {type(exc).__name__}: {exc}") from exc
                    raise
                self._pool = pool
                self._listener.start()
        return self._pool

    async def _call(self, method: str, query: str, *args: Any, retry: bool = True) -> Any:
        """``conn.<method>(query, *args)`` on a pooled connection; connection
        errors become ``StorageUnavailableError`` (after two retries if ``retry``)."""
        pool = await self._get_pool()
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                conn = await pool.acquire()
                try:
                    return await getattr(conn, method)(query, *args)
                except sql.CONNECTION_ERRORS:
                    conn.terminate()  # the pool opens a fresh one on the next acquire
                    # one dead connection (a restart, pg_terminate_backend) means the
                    # idle ones are likely dead too: the retry gets a fresh connection
                    await pool.expire_connections()
                    raise
                finally:
                    await _release(pool, conn)
            except sql.CONNECTION_ERRORS as exc:
                if retry and attempt < _ATTEMPTS:
                    # a connection opened while others were being killed may die too
                    await asyncio.sleep(_RETRY_PAUSE * attempt)
                    continue
                raise self._unavailable(exc) from exc
        raise AssertionError("unreachable")

    async def _update_rows(self, columns: list[list[Any]]) -> set[str]:
        """One statement for a batch of ``update`` calls; the ids it updated."""
        return {row[0] for row in await self._call("fetch", self._sql.update, *columns)}

    async def open(self) -> None:
        await self._get_pool()

    async def close(self) -> None:
        await self._listener.close()
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is not asyncio.get_running_loop():
            _terminate(pool)  # made on an event loop that is gone
        elif pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except (TimeoutError, *sql.CONNECTION_ERRORS):
                pool.terminate()

    async def ping(self) -> None:
        await self._call("fetchval", "SELECT 1")

    def on_work_available(self, callback: Callable[[], None]) -> None:
        self._listener.add(callback)

    # --- JobStorage ---

    async def add(self, job: Job) -> None:
        data = encode_job(job)
        try:
            await self._call("execute", self._sql.add, *_row(job, data), retry=False)
        except sql.UNIQUE_VIOLATION as exc:
            raise DuplicateJobError(f"a job with id {job.id!r} already exists") from exc

    async def add_many(self, jobs: Sequence[Job]) -> None:
        check_unique_ids(jobs)
        if not jobs:
            return
        texts = encode_batch(jobs)
        first = _ALIKE(jobs[0])
        if all(_ALIKE(job) == first for job in jobs):
            args = ([job.id for job in jobs], texts, *_row(jobs[0], "")[1:7])
            statement = self._sql.add_many_alike
        else:
            rows = [_row(job, text) for job, text in zip(jobs, texts, strict=True)]
            args = tuple(list(column) for column in zip(*rows, strict=True))
            statement = self._sql.add_many
        try:
            await self._call("execute", statement, *args, retry=False)
        except sql.UNIQUE_VIOLATION as exc:
            raise DuplicateJobError(f"a job of the batch already exists ({exc.detail})") from exc

    async def get(self, job_id: str) -> Job | None:
        row = await self._call("fetchrow", self._sql.get, job_id)
        return _decode(row) if row is not None else None

    async def update(self, job: Job) -> None:
        if not await self._updates.update(_row(job, encode_job(job))):
            raise KeyError(f"no job with id {job.id!r}")

    async def transition(self, job: Job, expected: Collection[JobStatus]) -> bool:
        wanted = [JobStatus(status).value for status in expected]
        return bool(wanted) and _count(await self._call(
            "execute", self._sql.transition, *_row(job, encode_job(job)), wanted,
            retry=False)) == 1

    async def claim_batch(self, queues: Sequence[str], worker_id: str, now: datetime,
                          limit: int) -> list[Job]:
        queues = list(dict.fromkeys(queues))
        if not queues or limit < 1:
            return []
        rows = await self._call("fetch", self._sql.claim, queues, now, limit, worker_id,
                                retry=False)
        rows = sorted(rows, key=lambda r: (r["priority"], r["due_at"], r["seq"]))
        jobs = []
        for row in rows:
            try:
                jobs.append(_decode(row[:6]))
            except JobDecodeError as exc:  # fail the row so it is never claimed again
                logger.warning("failing undecodable job: %s", exc)
                await self._call("execute", self._sql.fail_undecodable, row["id"],
                                 f"JobDecodeError: {exc}", now)
        return jobs

    async def list_jobs(self, statuses: Iterable[JobStatus], queue_name: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Job]:
        wanted = [JobStatus(s).value for s in statuses]
        if not wanted or limit <= 0:
            return []
        return _decode_rows(await self._call("fetch", self._sql.list_jobs, wanted, queue_name,
                                             limit, max(offset, 0)))

    async def count_by_queue_and_status(self) -> dict[tuple[str, JobStatus], int]:
        rows = await self._call("fetch", self._sql.counts)
        return {(queue, _STATUSES[status]): n for queue, status, n in rows if status in _STATUSES}

    async def queue_names(self) -> set[str]:
        return {row[0] for row in await self._call("fetch", self._sql.queue_names)}

    async def set_paused(self, queue_name: str, paused: bool) -> None:
        await self._call("execute", self._sql.pause if paused else self._sql.resume, queue_name)

    async def paused_queues(self) -> set[str]:
        return {row[0] for row in await self._call("fetch", self._sql.paused)}

    async def delete_waiting(self, queue_name: str) -> int:
        return _count(await self._call("execute", self._sql.delete_waiting, queue_name,
                                       _WAITING, retry=False))

    async def delete_finished_before(self, cutoff: datetime) -> int:
        return _count(await self._call("execute", self._sql.delete_finished, _FINISHED, cutoff,
                                       retry=False))

    async def find_stalled(self, heartbeat_before: datetime) -> list[Job]:
        return _decode_rows(await self._call("fetch", self._sql.stalled, heartbeat_before))

    async def heartbeat(self, job_ids: Sequence[str], now: datetime) -> None:
        if job_ids:
            await self._call("execute", self._sql.heartbeat, list(dict.fromkeys(job_ids)), now)

    async def oldest_waiting_due_at(self, now: datetime) -> dict[str, datetime]:
        return dict(await self._call("fetch", self._sql.oldest_waiting, now))

    async def next_due_at(self, queues: Sequence[str]) -> datetime | None:
        return await self._call("fetchval", self._sql.next_due, list(dict.fromkeys(queues)))

    async def try_acquire_lease(self, name: str, holder: str, ttl: timedelta,
                                now: datetime) -> bool:
        return await self._call("fetchval", self._sql.lease, name, holder, now + ttl,
                                now) == holder
