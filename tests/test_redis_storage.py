"""Redis storage beyond the shared contract: batch claims from two instances,
wake-ups between instances, corrupt values, an unreachable server, and claims
answered once when a reply is lost. Real Redis (see redis_support)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from redis_support import REDIS_URL, drop_redis_keys, new_redis_storage
from uno.jobs.errors import JobDecodeError, StorageUnavailableError
from uno.jobs.job import Job, JobStatus, Priority
from uno.jobs.storage.base import DuplicateJobError
from uno.jobs.storage.codec import encode_job
from uno.jobs.storage.redis import RedisJobStorage, _add_args
from uno.jobs.storage.url import storage_from_url

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make(queue: str = "default", **kw: Any) -> Job:
    kw.setdefault("task_name", "t")
    kw.setdefault("created_at", T0)
    return Job(queue_name=queue, updated_at=T0, **kw)


def with_stores(body: Callable[..., Awaitable[None]], count: int = 1,
                prefix: str | None = None) -> None:
    """Run ``body(*stores)``: ``count`` handles on one key prefix, deleted after
    (unless ``prefix`` is given: then the caller deletes it)."""
    keep = prefix is not None
    prefix = prefix or f"uno_jobs_test_{uuid.uuid4().hex[:12]}"
    stores = [new_redis_storage(prefix) for _ in range(count)]

    async def main() -> None:
        try:
            await body(*stores)
        finally:
            for store in stores:
                await store.close()

    try:
        asyncio.run(main())
    finally:
        if not keep:
            drop_redis_keys(prefix)


def test_batch_claims_from_two_instances_never_overlap() -> None:
    async def body(a: RedisJobStorage, b: RedisJobStorage) -> None:
        jobs = [make(created_at=T0 - timedelta(microseconds=i)) for i in range(300)]
        await a.add_many(jobs)

        async def drain(store: RedisJobStorage, name: str) -> list[str]:
            got: list[str] = []
            while batch := await store.claim_batch(["default"], name, T0, 7):
                assert len(batch) <= 7 and all(j.worker_id == name for j in batch)
                got += [j.id for j in batch]
            return got

        got_a, got_b = await asyncio.gather(drain(a, "a"), drain(b, "b"))
        assert not set(got_a) & set(got_b)
        assert sorted(got_a + got_b) == sorted(j.id for j in jobs)
        assert await a.count_by_queue_and_status() == {("default", JobStatus.RUNNING): 300}

    with_stores(body, count=2)


def test_a_claim_retried_after_a_lost_reply_hands_back_the_same_jobs() -> None:
    async def body(store: RedisJobStorage) -> None:
        await store.add_many([make(), make(), make()])
        now_us = int(T0.timestamp()) * 1_000_000
        claim = ("claim", "token-1", '"w"', now_us, T0.isoformat(), 2, "default")
        first = await store._script(*claim)  # the reply that was lost
        again = await store._script(*claim)  # redis-py's retry of the same call
        assert again == first and len(first) == 4
        assert await store.count_by_queue_and_status() == {
            ("default", JobStatus.RUNNING): 2, ("default", JobStatus.PENDING): 1}

    with_stores(body)


def test_an_add_retried_after_a_lost_reply_stores_its_jobs_once() -> None:
    async def body(store: RedisJobStorage) -> None:
        jobs = [make(), make(queue="q")]
        add = ("add", "token-1", *(v for seq, job in enumerate(jobs, 1)
                                   for v in _add_args(job, encode_job(job), seq)))
        assert await store._script(*add) == "ok"  # the reply that was lost
        assert await store._script(*add) == "ok"  # redis-py's retry of the same call
        assert await store.count_by_queue_and_status() == {
            ("default", JobStatus.PENDING): 1, ("q", JobStatus.PENDING): 1}
        with pytest.raises(DuplicateJobError):  # another call with the same job is not a retry
            await store.add_many(jobs)
        assert [j.id for j in await store.claim_batch(["default", "q"], "w", T0, 5)] == [
            j.id for j in jobs]
        assert not await store.claim_batch(["default", "q"], "w", T0, 5)

    with_stores(body)


def test_another_instance_is_woken_by_an_enqueue_and_a_resume() -> None:
    async def body(producer: RedisJobStorage, worker: RedisJobStorage) -> None:
        woken = asyncio.Event()
        worker.on_work_available(woken.set)
        await worker.open()
        await asyncio.wait_for(worker._wake.subscribed.wait(), 5)
        await producer.add(make(status=JobStatus.RUNNING))  # nothing to claim: no wake-up
        await producer.add(make())
        await asyncio.wait_for(woken.wait(), 5)
        woken.clear()
        await producer.set_paused("q", True)
        await producer.set_paused("q", False)
        await asyncio.wait_for(woken.wait(), 5)

    with_stores(body, count=2)


def test_corrupt_value_raises_decode_error_and_is_failed_on_claim() -> None:
    async def body(store: RedisJobStorage) -> None:
        bad, good = make(priority=Priority.HIGH), make()
        await store.add_many([bad, good])
        client = store._conn.client()
        await client.hset(store._key(bad.id), "data", "{not json")
        with pytest.raises(JobDecodeError, match=bad.id):
            await store.get(bad.id)
        assert [j.id for j in await store.list_jobs([JobStatus.PENDING])] == [good.id]
        assert [j.id for j in await store.claim_batch(["default"], "w", T0, 5)] == [good.id]
        assert await store.count_by_queue_and_status() == {
            ("default", JobStatus.FAILED): 1, ("default", JobStatus.RUNNING): 1}
        assert await store.delete_finished_before(T0 + timedelta(days=1)) == 1

    with_stores(body)


def test_unstorable_result_leaves_the_job_unchanged() -> None:
    async def body(store: RedisJobStorage) -> None:
        job = make(status=JobStatus.RUNNING)
        await store.add(job)
        with pytest.raises(ValueError, match="job result is not JSON-serialisable"):
            await store.update(make(id=job.id, status=JobStatus.COMPLETED, result=object()))
        assert await store.get(job.id) == job

    with_stores(body)


def test_unreachable_server_is_unavailable_naming_the_store_not_the_password() -> None:
    store = RedisJobStorage("redis://:s3cret@127.0.0.1:1/0", retries=1)

    async def body() -> None:
        with pytest.raises(StorageUnavailableError, match=r"redis://127\.0\.0\.1:1/0") as info:
            await store.ping()
        assert "s3cret" not in str(info.value)
        with pytest.raises(StorageUnavailableError):
            await store.add(make())
        await store.close()

    asyncio.run(body())


def test_storage_url_and_describe() -> None:
    store = storage_from_url(REDIS_URL)
    assert isinstance(store, RedisJobStorage)
    assert store.describe().startswith("redis://") and "(prefix uno_jobs)" in store.describe()
    named = storage_from_url("redis://:pw@127.0.0.1:6379/2?prefix=app_1&socket_timeout=3")
    assert isinstance(named, RedisJobStorage) and named.prefix == "app_1"
    assert named.describe() == "redis://127.0.0.1:6379/2 (prefix app_1)"
    assert named.url == "redis://:pw@127.0.0.1:6379/2?socket_timeout=3"
    assert storage_from_url("unix://:pw@/run/redis.sock?db=1").describe() == (
        "unix:///run/redis.sock (prefix uno_jobs)")
    with pytest.raises(ValueError, match=r"empty \?prefix="):
        storage_from_url("redis://127.0.0.1:6379/0?prefix=")


def test_index_entries_and_counts_of_a_vanished_job_are_dropped() -> None:
    async def body(store: RedisJobStorage) -> None:
        gone, kept = make(priority=Priority.HIGH), make()
        done = make(status=JobStatus.COMPLETED)
        await store.add_many([gone, kept, done])
        client = store._conn.client()
        await client.delete(store._key(gone.id), store._key(done.id))  # evicted, or by hand
        assert [j.id for j in await store.claim_batch(["default"], "w", T0, 5)] == [kept.id]
        # gone's entries are dropped by the claim that met them; done's at the clean-up
        assert await store.count_by_queue_and_status() == {
            ("default", JobStatus.RUNNING): 1, ("default", JobStatus.COMPLETED): 1}
        assert await client.zrange(f"{store.prefix}:prios:default", 0, -1) == []
        await store.delete_finished_before(T0 + timedelta(days=1))
        assert await client.zcard(f"{store.prefix}:finished") == 0
        await store.delete_waiting("default")
        assert await store.count_by_queue_and_status() == {("default", JobStatus.RUNNING): 1}

    with_stores(body)


def test_wake_ups_resume_after_the_subscription_connection_is_killed() -> None:
    async def body(producer: RedisJobStorage, worker: RedisJobStorage) -> None:
        woken = asyncio.Event()
        worker.on_work_available(woken.set)
        await asyncio.wait_for(worker._wake.subscribed.wait(), 5)
        admin = producer._conn.client()
        for client in await admin.client_list():  # the subscriber: the only one in pub/sub
            if client.get("name") == f"uno-jobs:{worker.prefix}" and client.get("sub") != "0":
                await admin.execute_command("CLIENT KILL", "ID", client["id"])
        await asyncio.wait_for(woken.wait(), 10)  # called once it is back: work may be due
        woken.clear()
        await producer.add(make())
        await asyncio.wait_for(woken.wait(), 10)

    with_stores(body, count=2)


def test_status_cli_reads_redis_and_never_prints_the_password(
        capsys: pytest.CaptureFixture[str]) -> None:
    from uno.jobs import status

    async def body(store: RedisJobStorage) -> None:
        await store.add_many([make("emails"), make("emails"), make()])

    prefix = f"uno_jobs_test_{uuid.uuid4().hex[:12]}"
    with_stores(body, prefix=prefix)
    try:
        assert status.main(f"{REDIS_URL}?prefix={prefix}", as_json=True) == 0
        shown = json.loads(capsys.readouterr().out)
        assert {q["name"]: q["counts"]["pending"] for q in shown["queues"]} == {
            "default": 1, "emails": 2}
    finally:
        drop_redis_keys(prefix)
    assert status.main("redis://:s3cret@127.0.0.1:1/0") == 2
    err = capsys.readouterr().err
    assert "cannot read redis://127.0.0.1:1/0" in err and "s3cret" not in err


def test_one_store_serves_one_event_loop_after_another() -> None:
    storage = new_redis_storage()
    job = make()
    asyncio.run(storage.add(job))
    try:
        assert asyncio.run(storage.get(job.id)) == job  # a second asyncio.run, as a script does
    finally:
        asyncio.run(storage.close())
        drop_redis_keys(storage.prefix)


def test_a_cancellation_the_client_swallows_still_cancels_the_caller() -> None:
    from uno.jobs.storage.redis_wake import cancellation_kept

    async def swallowing(then: BaseException | None) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:  # what redis-py 8 may do with a cancelled command
            if then is not None:
                raise then from None

    async def body() -> None:
        for then in (None, ConnectionError("lost")):
            async def call(then: BaseException | None = then) -> None:
                with cancellation_kept():
                    await swallowing(then)

            task = asyncio.create_task(call())
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(body())
