"""A Redis that stops answering without closing its connections (a hung host, a
silent network path; here a stalling proxy in front of the real server): calls
end with ``StorageUnavailableError`` after ``socket_timeout`` (and the retries),
for small commands (whose writes skip redis-py's per-write timer) and for batch
writes too big for the socket buffers; a batch whose write timed out is stored
whole or not at all, and the store works again once the server answers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from urllib.parse import urlsplit

import pytest

from redis_support import REDIS_URL, drop_redis_keys
from stalling_proxy import StallingProxy
from uno.jobs.errors import StorageUnavailableError
from uno.jobs.job import Job, JobStatus
from uno.jobs.storage.base import DuplicateJobError
from uno.jobs.storage.redis import RedisJobStorage

HANG = 60  # seconds: a call still waiting by then would wait forever
BIG_BATCH = 20_000  # jobs, about 10 MB: more than the sockets between can hold


def through_stalling_proxy(body) -> None:  # noqa: ANN001 - an async function(proxy, store)
    target = urlsplit(REDIS_URL)
    prefix = f"uno_jobs_test_{uuid.uuid4().hex[:12]}"

    async def main() -> None:
        proxy = StallingProxy(target.hostname or "127.0.0.1", target.port or 6379)
        port = await proxy.start()
        db = target.path.lstrip("/") or "0"
        store = RedisJobStorage(f"redis://127.0.0.1:{port}/{db}?socket_timeout=0.5",
                                prefix=prefix, retries=0)  # the first timeout is the error
        try:
            await body(proxy, store)
        finally:
            proxy.resume()
            await store.close()
            await proxy.close()

    try:
        asyncio.run(main())
    finally:
        drop_redis_keys(prefix)


def pending(store_counts: dict) -> int:
    return store_counts.get(("default", JobStatus.PENDING), 0)


def test_a_small_call_to_a_stalled_server_fails_in_bounded_time_then_recovers() -> None:
    async def body(proxy: StallingProxy, store: RedisJobStorage) -> None:
        await store.add(Job(task_name="t"))
        proxy.stall()
        with pytest.raises(StorageUnavailableError, match="Timeout"):
            await asyncio.wait_for(store.add(Job(task_name="t")), HANG)
        with pytest.raises(StorageUnavailableError, match="Timeout"):
            await asyncio.wait_for(store.count_by_queue_and_status(), HANG)
        proxy.resume()
        await store.add(Job(task_name="t"))
        # the add cut off by the stall may have reached the server once it answered again
        assert pending(await store.count_by_queue_and_status()) in (2, 3)

    through_stalling_proxy(body)


def test_a_batch_written_to_a_stalled_server_fails_in_bounded_time_and_is_stored_once() -> None:
    async def body(proxy: StallingProxy, store: RedisJobStorage) -> None:
        jobs = [Job(task_name="t") for _ in range(BIG_BATCH)]
        await store.ping()  # connected: what times out is the write
        proxy.stall()
        with pytest.raises(StorageUnavailableError, match="Timeout writing"):
            await asyncio.wait_for(store.add_many(jobs), HANG)
        proxy.resume()
        # Like a lost reply, the caller cannot know whether the batch got there (the
        # socket still flushes what it took): it is there whole or not at all,
        await asyncio.sleep(0.5)
        assert pending(await store.count_by_queue_and_status()) in (0, BIG_BATCH)
        with contextlib.suppress(DuplicateJobError):  # and sending it again stores it once.
            await store.add_many(jobs)
        assert pending(await store.count_by_queue_and_status()) == BIG_BATCH

    through_stalling_proxy(body)
