"""``RedisJobStorage``: jobs in Redis, shared by workers and producers on many hosts.

    storage = RedisJobStorage("redis://localhost:6379/0")        # prefix "uno_jobs"
    manager = JobManager(storage=storage, worker_classes=[AsyncWorker])

Needs ``pip install 'uno-jobs-otel[redis]'`` (redis-py's asyncio client, imported
only when a Redis storage is made). Every change is one server-side Lua script
(:mod:`uno.jobs.storage.redis_lua` describes the keys), so a claim, a
compare-and-set transition or a batch enqueue is atomic across processes; counts
per queue and status are kept by the same scripts. A pub/sub channel wakes idle
workers in other processes when a job is stored. Lost connections are retried
with backoff; when Redis stays away, calls raise ``StorageUnavailableError``.
Jobs are JSON (:mod:`uno.jobs.storage.codec`); times in the indexes are epoch
microseconds.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from uno.jobs.errors import JobDecodeError
from uno.jobs.job import Job, JobStatus
from uno.jobs.storage.base import DuplicateJobError, JobStorage, check_unique_ids
from uno.jobs.storage.codec import decode_job, decode_jobs, encode_batch, encode_job
from uno.jobs.storage.redis_client import RedisConnection, from_us, to_us
from uno.jobs.storage.redis_listing import ranked_ids
from uno.jobs.storage.redis_wake import WakeListener

_BATCH = 500  # jobs per delete script call: Redis serves others between batches
_FIELDS = ("data", "status", "worker", "updated", "seq", "started")


def _patch(status: str, worker: str | None, updated: str | None,
           started: str | None = None) -> str:
    """The live fields a script keeps outside the job's JSON, as a JSON object
    (an added job's hash has no ``worker`` and ``updated`` yet: its JSON has them)."""
    patch = f'{{"status": {json.dumps(status)}'
    if worker is not None:
        patch += f', "worker_id": {worker}'
    if updated is not None:
        patch += f', "updated_at": "{updated}"'
    if started:
        patch += f', "started_at": "{started}"'
    return patch + "}"


def _stored_patch(row: Sequence[Any]) -> str:
    """``_patch`` of a job hash read as ``_FIELDS``."""
    return _patch(row[1], row[2], row[3], row[5])


def _job_args(job: Job, data: str) -> tuple[str, str]:
    """A job as the put script takes it: its index fields as one JSON array of
    strings (fewer arguments for redis-py to pack), and its data."""
    updated, worker = job.updated_at, job.worker_id
    return json.dumps([job.id, job.queue_name, job.status.value, str(int(job.priority)),
                       str(to_us(job.due_at)), str(to_us(updated)),
                       "null" if worker is None else json.dumps(worker),
                       updated.isoformat()]), data


def _add_args(job: Job, data: str, seq: int) -> tuple[str, ...]:
    """A job as the add script takes it: eight plain arguments."""
    return (job.id, job.queue_name, job.status.value, str(int(job.priority)),
            str(to_us(job.due_at)), str(to_us(job.updated_at)), f"{seq:016d}", data)


class RedisJobStorage(JobStorage):
    """A :class:`JobStorage` in Redis under the key prefix ``prefix``."""

    def __init__(self, url: str = "redis://localhost:6379/0", prefix: str = "uno_jobs",
                 retries: int = 6) -> None:
        self.url, self.prefix = url, prefix
        self._conn = RedisConnection(url, prefix, retries)
        self._call, self._script = self._conn.call, self._conn.script
        self._wake = WakeListener(self._conn.client, f"{prefix}:wake", self._conn.origin)
        self._tokens = itertools.count()  # with the origin: each add's replay token
        self._last_seq = 0

    def describe(self) -> str:
        return self._conn.describe()

    async def _read(self, job_ids: Iterable[str]) -> list[tuple[str, list[Any]]]:
        """``(id, [data, status, worker, updated, seq])`` of the jobs that exist."""
        ids = list(job_ids)

        async def fetch(client: Any) -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                for job_id in ids:
                    pipe.hmget(self._key(job_id), *_FIELDS)
                return await pipe.execute()

        rows = await self._call(fetch) if ids else []
        return [(job_id, row) for job_id, row in zip(ids, rows, strict=True) if row[0] is not None]

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    async def _jobs(self, job_ids: Iterable[str]) -> list[Job]:
        """The stored jobs that decode (the others are logged and skipped)."""
        return decode_jobs((job_id, row[0], _stored_patch(row))
                           for job_id, row in await self._read(job_ids))

    async def open(self) -> None:
        await self.ping()
        self._wake.start()

    async def close(self) -> None:
        await self._wake.close()
        await self._conn.close()

    async def ping(self) -> None:
        await self._call(lambda client: client.ping())

    def on_work_available(self, callback: Callable[[], None]) -> None:
        self._wake.add(callback)

    # --- writes ---

    async def _put(self, mode: str, job: Job, expected: str = "", token: str = "") -> str:
        answer = await self._script("put", token, mode, expected,
                                    *_job_args(job, encode_job(job)))
        if answer.startswith("missing:"):
            raise KeyError(f"no job with id {answer[8:]!r}")
        return answer

    def _seqs(self, count: int) -> int:
        """The first of ``count`` insertion-order numbers for the jobs about to be
        added: this clock in epoch microseconds, kept increasing. Jobs due at the
        same time start in this order (due times come from clients' clocks too);
        a Redis counter would cost every add a call in the script."""
        first = self._last_seq = max(self._last_seq + 1, time.time_ns() // 1000)
        self._last_seq += count - 1
        return first

    async def add(self, job: Job) -> None:
        await self._add(_add_args(job, encode_job(job), self._seqs(1)))

    async def add_many(self, jobs: Sequence[Job]) -> None:
        check_unique_ids(jobs)
        if len(jobs) == 1:
            await self.add(jobs[0])
        elif jobs:  # a failed encode names the job's place in the batch
            seq = self._seqs(len(jobs))
            await self._add([value for i, (job, data) in enumerate(zip(jobs, encode_batch(jobs),
                                                                         strict=True))
                             for value in _add_args(job, data, seq + i)])

    async def _add(self, args: Sequence[str]) -> None:
        answer = await self._script("add", f"{self._conn.origin}{next(self._tokens)}", *args)
        if answer.startswith("dup:"):
            raise DuplicateJobError(f"a job with id {answer[4:]!r} already exists")

    async def update(self, job: Job) -> None:
        await self._put("update", job)

    async def transition(self, job: Job, expected: Collection[JobStatus]) -> bool:
        wanted = ",".join(JobStatus(s).value for s in expected)
        try:
            return await self._put("cas", job, wanted, uuid.uuid4().hex) == "ok"
        except KeyError:
            return False

    async def claim_batch(self, queues: Sequence[str], worker_id: str, now: datetime,
                          limit: int) -> list[Job]:
        queues = list(dict.fromkeys(queues))
        claimed: list[Job] = []
        patch = _patch("running", json.dumps(worker_id), now.isoformat(), now.isoformat())
        while queues and len(claimed) < limit:
            wanted = limit - len(claimed)
            out = await self._script("claim", uuid.uuid4().hex, json.dumps(worker_id), to_us(now),
                                     now.isoformat(), wanted, *queues)
            for job_id, data in zip(out[::2], out[1::2], strict=True):
                try:
                    claimed.append(decode_job(job_id, data, patch)[0])
                except JobDecodeError as exc:  # fail it so it is never claimed again
                    await self._script("fail", to_us(now), now.isoformat(),
                                       f"JobDecodeError: {exc}", job_id)
            if len(out) // 2 < wanted:  # no more due jobs
                break
        return claimed

    async def heartbeat(self, job_ids: Sequence[str], now: datetime) -> None:
        ids = list(dict.fromkeys(job_ids))
        for start in range(0, len(ids), _BATCH):
            await self._script("heartbeat", to_us(now), now.isoformat(), *ids[start:start + _BATCH])

    async def set_paused(self, queue_name: str, paused: bool) -> None:
        async def write(client: Any) -> None:
            key = f"{self.prefix}:paused"
            if paused:
                await client.sadd(key, queue_name)
            elif await client.srem(key, queue_name):
                await client.publish(f"{self.prefix}:wake", self._conn.origin)

        await self._call(write)

    async def _delete(self, what: str, arg: str | int) -> int:
        total = 0
        while (deleted := await self._script("delete", what, arg, _BATCH)) > 0:
            total += deleted
        return total

    async def delete_waiting(self, queue_name: str) -> int:
        return await self._delete("waiting", queue_name)

    async def delete_finished_before(self, cutoff: datetime) -> int:
        return await self._delete("finished", to_us(cutoff))

    async def try_acquire_lease(self, name: str, holder: str, ttl: timedelta,
                                now: datetime) -> bool:
        ttl_ms = max(0, ttl // timedelta(milliseconds=1))
        return await self._script("lease", name, holder, to_us(now), to_us(now + ttl), ttl_ms) == 1

    # --- reads ---

    async def get(self, job_id: str) -> Job | None:
        rows = await self._read([job_id])
        if not rows:
            return None
        row = rows[0][1]
        return decode_job(job_id, row[0], _stored_patch(row))[0]

    async def _status_keys(self, statuses: Iterable[JobStatus] | None,
                           queue_name: str | None) -> list[str]:
        wanted = [JobStatus(s).value for s in (JobStatus if statuses is None else statuses)]
        queues = [queue_name] if queue_name is not None else sorted(await self.queue_names())
        return [f"{self.prefix}:s:{queue}:{status}" for queue in queues for status in wanted]

    async def list_jobs(self, statuses: Iterable[JobStatus], queue_name: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Job]:
        offset = max(offset, 0)
        keys = await self._status_keys(statuses, queue_name)
        ids = await ranked_ids(self._conn, keys, offset + limit, newest=False)
        return await self._jobs(ids[offset:])

    async def find_jobs(self, statuses: Iterable[JobStatus] | None = None,
                        queue_name: str | None = None, task_name: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Job]:
        offset, limit = max(offset, 0), max(limit, 0)
        keys = await self._status_keys(statuses, queue_name)
        window = offset + limit
        while True:  # without a task index: read deeper until enough of that task
            ids = await ranked_ids(self._conn, keys, window, newest=True)
            found = [job for job in await self._jobs(ids) if task_name in (None, job.task_name)]
            if len(found) >= offset + limit or len(ids) < window:
                return found[offset:offset + limit]
            window *= 4

    async def count_by_queue_and_status(self) -> dict[tuple[str, JobStatus], int]:
        out = await self._script("counts", *(status.value for status in JobStatus))
        return {(queue, JobStatus(status)): int(n)
                for queue, status, n in zip(out[::3], out[1::3], out[2::3], strict=True)}

    async def queue_names(self) -> set[str]:
        return set(await self._call(lambda client: client.sunion(
            f"{self.prefix}:queues", f"{self.prefix}:paused")))

    async def paused_queues(self) -> set[str]:
        return set(await self._call(lambda client: client.smembers(f"{self.prefix}:paused")))

    async def find_stalled(self, heartbeat_before: datetime) -> list[Job]:
        ids = await self._call(lambda client: client.zrangebyscore(
            f"{self.prefix}:running", "-inf", f"({to_us(heartbeat_before)}"))
        rows = sorted(await self._read(ids), key=lambda pair: pair[1][4])  # insertion order
        running = [(job_id, row) for job_id, row in rows if row[1] == JobStatus.RUNNING.value]
        return decode_jobs((job_id, row[0], _stored_patch(row)) for job_id, row in running)

    async def oldest_waiting_due_at(self, now: datetime) -> dict[str, datetime]:
        out = await self._script("heads", "oldest", to_us(now))
        return {queue: from_us(us) for queue, us in zip(out[::2], out[1::2], strict=True)}

    async def next_due_at(self, queues: Sequence[str]) -> datetime | None:
        if not queues:
            return None
        out = await self._script("heads", "next", "", *dict.fromkeys(queues))
        return min((from_us(us) for us in out[1::2]), default=None)
