"""``SQLiteJobStorage``: jobs in one SQLite file, shared by processes on one machine.

    storage = SQLiteJobStorage("/var/lib/app/jobs.db")
    await storage.add(Job(task_name="send_email", queue_name="emails"))
    job = await storage.claim_next(["emails"], worker_id="w1", now=utcnow())
    await storage.close()

Producers and workers in separate processes open the same file. The database
runs in WAL mode; a claim is one ``BEGIN IMMEDIATE`` transaction, so a job is
claimed once across processes. Every call runs on one dedicated thread per
storage (the connection never changes thread and the event loop never blocks).
A job is stored as ``json.dumps(job.to_dict())`` plus the columns queries need;
times are epoch seconds in the columns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from uno.jobs.errors import JobDecodeError, StorageError, StorageUnavailableError
from uno.jobs.job import FINISHED_STATUSES, WAITING_STATUSES, Job, JobStatus
from uno.jobs.storage.base import DuplicateJobError, JobStorage, check_unique_ids
from uno.jobs.storage.codec import decode_job as _decode
from uno.jobs.storage.codec import decode_jobs as _decode_rows
from uno.jobs.storage.codec import encode_batch
from uno.jobs.storage.codec import encode_job as _encode

logger = logging.getLogger(__name__)
T = TypeVar("T")

_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, never reused
    id TEXT NOT NULL UNIQUE, queue_name TEXT NOT NULL, status TEXT NOT NULL,
    priority INTEGER NOT NULL, due_at REAL NOT NULL, updated_at REAL NOT NULL,
    error TEXT,  -- why an undecodable row was failed
    data TEXT NOT NULL  -- json.dumps(job.to_dict())
);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (queue_name, priority, due_at, seq)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX IF NOT EXISTS jobs_counts ON jobs (queue_name, status);
CREATE INDEX IF NOT EXISTS jobs_updated ON jobs (status, updated_at);
CREATE TABLE IF NOT EXISTS queues (queue_name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS paused_queues (queue_name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL);
COMMIT;
"""
_WAITING = tuple(s.value for s in WAITING_STATUSES)
_FINISHED = tuple(sorted(s.value for s in FINISHED_STATUSES))
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit


def _ts(moment: datetime) -> float:
    """Epoch seconds; a naive datetime is taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _row(job: Job, data: str) -> tuple[Any, ...]:
    return (job.queue_name, job.status.value, int(job.priority), _ts(job.due_at),
            _ts(job.updated_at), data, job.id)


class SQLiteJobStorage(JobStorage):
    """A :class:`JobStorage` in a SQLite file that several processes can share."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout: float = 10.0) -> None:
        self.path = os.fspath(path)
        self.busy_timeout = busy_timeout
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None  # used on the executor thread only

    # --- plumbing: everything below runs ``fn(conn)`` on the storage's own thread ---

    async def _run(self, fn: Callable[[sqlite3.Connection], T], write: bool = False) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="uno-jobs-sqlite")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn, write)

    def _call(self, fn: Callable[[sqlite3.Connection], T], write: bool) -> T:
        """``fn(conn)``; SQLite's own errors become ``StorageUnavailableError``
        (cannot open, locked, I/O) or ``StorageError``, naming the store."""
        if self._conn is None:
            try:
                self._conn = self._connect()
            except sqlite3.Error as exc:
                msg = f"cannot open {self.describe()}: {self._open_failure(exc)}"
                raise StorageUnavailableError(msg) from exc
        try:
            return self._call_connected(self._conn, fn, write)
        except sqlite3.OperationalError as exc:
            raise StorageUnavailableError(f"{self.describe()}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StorageError(f"{self.describe()}: {exc}") from exc

    @staticmethod
    def _call_connected(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T],
                        write: bool) -> T:
        if not write:
            return fn(conn)
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def _open_failure(self, exc: sqlite3.Error) -> str:
        """SQLite's reason, plus the missing directory when that is why."""
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            return f"{exc} (directory {directory} does not exist)"
        return str(exc)

    def _connect(self) -> sqlite3.Connection:
        """Open and prepare the file. Switching a new file to WAL takes a lock
        that busy_timeout does not wait for, so processes that open a new file
        at the same moment retry until busy_timeout runs out."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(_SCHEMA)
                return conn
            except sqlite3.OperationalError as exc:
                conn.close()
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            except BaseException:
                conn.close()
                raise

    async def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await self._run(lambda c: c.execute(sql, params).fetchall())

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._run(lambda c: c.execute(sql, params).rowcount, write=True)

    async def open(self) -> None:
        await self._run(lambda conn: None)

    def describe(self) -> str:
        return f"sqlite:///{self.path}"

    async def ping(self) -> None:
        try:
            await self._query("SELECT 1 FROM paused_queues LIMIT 1")
        except sqlite3.Error as exc:
            raise StorageUnavailableError(f"{self.describe()}: cannot be read: {exc}") from exc

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return

        def close_conn() -> None:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

        try:
            await asyncio.get_running_loop().run_in_executor(executor, close_conn)
        finally:
            executor.shutdown(wait=False)

    # --- JobStorage ---

    async def add(self, job: Job) -> None:
        data = _encode(job)

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO jobs (queue_name, status, priority, due_at, updated_at, data, id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", _row(job, data))
            except sqlite3.IntegrityError as exc:
                raise DuplicateJobError(f"a job with id {job.id!r} already exists") from exc
            conn.execute("INSERT OR IGNORE INTO queues VALUES (?)", (job.queue_name,))

        await self._run(insert, write=True)

    async def add_many(self, jobs: Sequence[Job]) -> None:
        check_unique_ids(jobs)
        rows = [_row(job, data) for job, data in zip(jobs, encode_batch(jobs), strict=True)]

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.executemany(
                    "INSERT INTO jobs (queue_name, status, priority, due_at, updated_at, data, id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.IntegrityError as exc:
                existing = conn.execute(
                    "SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?)) LIMIT 1",
                    (json.dumps([job.id for job in jobs]),)).fetchone()
                name = repr(existing[0]) if existing else "in the batch"
                raise DuplicateJobError(f"a job with id {name} already exists") from exc
            conn.executemany("INSERT OR IGNORE INTO queues VALUES (?)",
                             [(queue,) for queue in {job.queue_name for job in jobs}])

        if rows:
            await self._run(insert, write=True)

    async def get(self, job_id: str) -> Job | None:
        rows = await self._query("SELECT data FROM jobs WHERE id = ?", (job_id,))
        return _decode(job_id, rows[0][0])[0] if rows else None

    async def update(self, job: Job) -> None:
        data = _encode(job)

        def replace(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                "UPDATE jobs SET queue_name = ?, status = ?, priority = ?, due_at = ?,"
                " updated_at = ?, data = ?, error = NULL WHERE id = ?", _row(job, data))
            if cur.rowcount == 0:
                raise KeyError(f"no job with id {job.id!r}")
            conn.execute("INSERT OR IGNORE INTO queues VALUES (?)", (job.queue_name,))

        await self._run(replace, write=True)

    async def claim_batch(self, queues: Sequence[str], worker_id: str, now: datetime,
                          limit: int) -> list[Job]:
        queues = list(dict.fromkeys(queues))
        if not queues or limit < 1:
            return []
        # one indexed LIMIT 1 lookup per queue, merged: no sort of the backlog
        per_queue = (
            "SELECT * FROM (SELECT id, status, updated_at, data, priority, due_at, seq FROM jobs"
            " WHERE status IN ('pending', 'retrying')"  # literal: the partial index applies
            " AND queue_name = ? AND due_at <= ?"
            " AND queue_name NOT IN (SELECT queue_name FROM paused_queues)"
            " ORDER BY priority, due_at, seq LIMIT 1)"
        )
        select = (
            "SELECT id, status, updated_at, data FROM ("
            + " UNION ALL ".join([per_queue] * len(queues))
            + ") ORDER BY priority, due_at, seq LIMIT 1"
        )
        params = tuple(value for queue in queues for value in (queue, _ts(now)))

        def claim(conn: sqlite3.Connection) -> list[tuple[Job, tuple[Any, ...]]]:
            claimed: list[tuple[Job, tuple[Any, ...]]] = []
            while len(claimed) < limit and (row := conn.execute(select, params).fetchone()):
                job_id, status, updated_at, old_data = row
                try:
                    job, raw = _decode(job_id, old_data)
                except JobDecodeError as exc:  # fail the row so it is never claimed again
                    logger.warning("failing undecodable job: %s", exc)
                    conn.execute("UPDATE jobs SET status = 'failed', updated_at = ?, error = ?"
                                 " WHERE id = ?", (_ts(now), f"JobDecodeError: {exc}", job_id))
                    continue
                job.status, job.worker_id = JobStatus.RUNNING, worker_id
                job.started_at = job.updated_at = now
                raw.update(status="running", worker_id=worker_id, started_at=now.isoformat(),
                           updated_at=now.isoformat())
                data = json.dumps(raw)
                conn.execute("UPDATE jobs SET status = 'running', updated_at = ?, data = ?"
                             " WHERE id = ?", (_ts(now), data, job_id))
                claimed.append((job, (status, updated_at, old_data, job_id, data)))  # job, undo
            return claimed

        if not await self._query(select, params):  # idle workers skip the write lock
            return []
        future = asyncio.ensure_future(self._run(claim, write=True))
        try:
            claimed = await asyncio.shield(future)
        except asyncio.CancelledError:  # the claim may still commit: hand the jobs back
            with contextlib.suppress(Exception):
                for _, undo in await future:
                    await self._exec("UPDATE jobs SET status = ?, updated_at = ?, data = ?"
                                     " WHERE id = ? AND data = ?", undo)
            raise
        return [job for job, _ in claimed]

    async def transition(self, job: Job, expected: Collection[JobStatus]) -> bool:
        wanted = [JobStatus(status).value for status in expected]
        if not wanted:
            return False
        data = _encode(job)
        return bool(await self._exec(
            "UPDATE jobs SET queue_name = ?, status = ?, priority = ?, due_at = ?, updated_at = ?,"
            f" data = ?, error = NULL WHERE id = ? AND status IN ({_marks(wanted)})",
            (*_row(job, data), *wanted)))

    async def next_due_at(self, queues: Sequence[str]) -> datetime | None:
        queues = list(dict.fromkeys(queues))
        if not queues:
            return None
        rows = await self._query(
            "SELECT MIN(due_at) FROM jobs WHERE status IN ('pending', 'retrying')"
            f" AND queue_name IN ({_marks(queues)})"
            " AND queue_name NOT IN (SELECT queue_name FROM paused_queues)", queues)
        return datetime.fromtimestamp(rows[0][0], UTC) if rows and rows[0][0] is not None else None

    async def list_jobs(self, statuses: Iterable[JobStatus], queue_name: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Job]:
        wanted = [JobStatus(s).value for s in statuses]
        if not wanted or limit <= 0:
            return []
        sql = f"SELECT id, data FROM jobs WHERE status IN ({_marks(wanted)})"
        if queue_name is not None:
            sql += " AND queue_name = ?"
            wanted.append(queue_name)
        sql += " ORDER BY seq LIMIT ? OFFSET ?"
        return _decode_rows(await self._query(sql, (*wanted, limit, max(offset, 0))))

    async def find_jobs(self, statuses: Iterable[JobStatus] | None = None,
                        queue_name: str | None = None, task_name: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Job]:
        clauses: list[str] = []
        params: list[Any] = []
        if statuses is not None:
            wanted = [JobStatus(s).value for s in statuses]
            if not wanted:
                return []
            clauses.append(f"status IN ({_marks(wanted)})")
            params.extend(wanted)
        if queue_name is not None:
            clauses.append("queue_name = ?")
            params.append(queue_name)
        if task_name is not None:
            clauses.append("json_extract(data, '$.task_name') = ?")
            params.append(task_name)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT id, data FROM jobs{where} ORDER BY seq DESC LIMIT ? OFFSET ?"
        return _decode_rows(await self._query(sql, (*params, max(limit, 0), max(offset, 0))))

    async def count_by_queue_and_status(self) -> dict[tuple[str, JobStatus], int]:
        rows = await self._query(
            "SELECT queue_name, status, COUNT(*) FROM jobs GROUP BY queue_name, status")
        known = {s.value: s for s in JobStatus}
        return {(queue, known[status]): n for queue, status, n in rows if status in known}

    async def queue_names(self) -> set[str]:
        rows = await self._query(
            "SELECT queue_name FROM queues UNION SELECT queue_name FROM paused_queues")
        return {name for (name,) in rows}

    async def set_paused(self, queue_name: str, paused: bool) -> None:
        await self._exec("INSERT OR IGNORE INTO paused_queues VALUES (?)" if paused
                         else "DELETE FROM paused_queues WHERE queue_name = ?", (queue_name,))

    async def paused_queues(self) -> set[str]:
        return {name for (name,) in await self._query("SELECT queue_name FROM paused_queues")}

    async def delete_waiting(self, queue_name: str) -> int:
        return await self._exec("DELETE FROM jobs WHERE queue_name = ? AND status IN (?, ?)",
                                (queue_name, *_WAITING))

    async def delete_finished_before(self, cutoff: datetime) -> int:
        return await self._exec(
            f"DELETE FROM jobs WHERE status IN ({_marks(_FINISHED)}) AND updated_at < ?",
            (*_FINISHED, _ts(cutoff)))

    async def find_stalled(self, heartbeat_before: datetime) -> list[Job]:
        return _decode_rows(await self._query(
            "SELECT id, data FROM jobs WHERE status = 'running' AND updated_at < ? ORDER BY seq",
            (_ts(heartbeat_before),)))

    async def heartbeat(self, job_ids: Sequence[str], now: datetime) -> None:
        ids = list(dict.fromkeys(job_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            await self._exec(
                "UPDATE jobs SET updated_at = ?, data = CASE WHEN json_valid(data)"
                " THEN json_set(data, '$.updated_at', ?) ELSE data END"
                f" WHERE status = 'running' AND id IN ({_marks(chunk)})",
                (_ts(now), now.isoformat(), *chunk))

    async def oldest_waiting_due_at(self, now: datetime) -> dict[str, datetime]:
        rows = await self._query(
            "SELECT queue_name, MIN(due_at) FROM jobs INDEXED BY jobs_waiting"  # covering
            " WHERE status IN ('pending', 'retrying')"  # literal: the partial index applies
            " AND due_at <= ? GROUP BY queue_name", (_ts(now),))
        return {queue: datetime.fromtimestamp(due, UTC) for queue, due in rows}

    async def try_acquire_lease(self, name: str, holder: str, ttl: timedelta,
                                now: datetime) -> bool:
        def acquire(conn: sqlite3.Connection) -> bool:
            conn.execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
                " expires_at = excluded.expires_at"
                " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?",
                (name, holder, _ts(now + ttl), _ts(now)))
            row = conn.execute("SELECT holder FROM leases WHERE name = ?", (name,)).fetchone()
            return row is not None and row[0] == holder

        return await self._run(acquire, write=True)
