"""The JobStorage contract, run against every backend (plus SQLite-only checks)."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3
from collections.abc import Coroutine, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from postgres_support import drop_schema, new_schema, require_postgres
from redis_support import drop_redis_keys, new_redis_storage
from uno.jobs.errors import JobDecodeError
from uno.jobs.job import Job, JobStatus, Priority
from uno.jobs.storage.base import DuplicateJobError, JobStorage
from uno.jobs.storage.memory import InMemoryJobStorage
from uno.jobs.storage.sqlite import SQLiteJobStorage
from uno.jobs.tasks import make_definition
from uno.jobs.validation import build_jobs

T = TypeVar("T")
T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
_loop: asyncio.AbstractEventLoop | None = None


def run(coro: Coroutine[Any, Any, T]) -> T:
    assert _loop is not None
    return _loop.run_until_complete(coro)


@pytest.fixture(autouse=True)
def _fresh_loop() -> Iterator[asyncio.AbstractEventLoop]:
    global _loop
    _loop = asyncio.new_event_loop()
    try:
        yield _loop
    finally:
        _loop.close()
        _loop = None


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStorage]:
    schema = None
    if request.param == "memory":
        store: JobStorage = InMemoryJobStorage()
    elif request.param == "sqlite":
        store = SQLiteJobStorage(tmp_path / "jobs.db")
    elif request.param == "redis":
        store = new_redis_storage()
        request.addfinalizer(lambda: drop_redis_keys(store.prefix))
    else:
        from uno.jobs.storage.postgres import PostgresJobStorage

        schema = new_schema()
        store = PostgresJobStorage(require_postgres(), schema=schema)
    run(store.open())
    try:
        yield store
    finally:
        run(store.close())
        run(store.close())  # idempotent
        if schema is not None:
            run(drop_schema(schema))


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.db"


def make(queue: str = "default", *, at: timedelta = timedelta(0), **kw: Any) -> Job:
    """A job created at ``T0 + at``."""
    kw.setdefault("task_name", "t")
    return Job(queue_name=queue, created_at=T0 + at, updated_at=T0 + at, **kw)


def add_all(store: JobStorage, *jobs: Job) -> list[str]:
    for job in jobs:
        run(store.add(job))
    return [job.id for job in jobs]


def claim_all(store: JobStorage, queues: list[str], now: datetime = T0) -> list[str]:
    ids = []
    while (job := run(store.claim_next(queues, "w", now))) is not None:
        ids.append(job.id)
    return ids


# --- contract: every backend ---


def test_add_get_round_trip(storage: JobStorage) -> None:
    job = Job(
        task_name="send_email", queue_name="emails", priority=Priority.HIGH,
        status=JobStatus.RETRYING, args=[1, "two", [3.5, None]],
        kwargs={"to": "a@b.c", "nested": {"x": [1, 2]}}, created_at=T0,
        scheduled_at=T0 + timedelta(minutes=5), started_at=T0 + timedelta(seconds=1),
        completed_at=T0 + timedelta(seconds=2), updated_at=T0 + timedelta(seconds=3),
        retry_count=2, max_retries=7, retry_delay=timedelta(seconds=1.5),
        timeout=timedelta(minutes=2), result={"ok": True}, error="boom",
        metadata={"trace": {"traceparent": "00-abc-def-01"}, "n": 1}, tags=["a", "b"],
        worker_id="w9",
    )
    run(storage.add(job))
    got = run(storage.get(job.id))
    assert got == job
    assert got is not job
    assert got.created_at.tzinfo is not None and got.priority is Priority.HIGH
    assert run(storage.get("nope")) is None


def test_stored_job_is_isolated_from_caller(storage: JobStorage) -> None:
    job = make(metadata={"k": 1}, args=[1])
    run(storage.add(job))
    job.metadata["k"] = 2
    job.args.append(2)
    got = run(storage.get(job.id))
    assert got is not None and got.metadata == {"k": 1} and got.args == [1]
    got.tags.append("x")
    assert run(storage.get(job.id)).tags == []


def test_duplicate_id(storage: JobStorage) -> None:
    job = make()
    run(storage.add(job))
    with pytest.raises(DuplicateJobError):
        run(storage.add(make(id=job.id)))
    assert run(storage.count_by_queue_and_status()) == {("default", JobStatus.PENDING): 1}


def test_update_replaces_and_unknown_id_raises(storage: JobStorage) -> None:
    job = make()
    run(storage.add(job))
    job.status, job.result, job.queue_name = JobStatus.COMPLETED, [1, 2], "other"
    run(storage.update(job))
    assert run(storage.get(job.id)) == job
    with pytest.raises(KeyError):
        run(storage.update(make()))


def test_claim_order_priority_then_due_then_fifo(storage: JobStorage) -> None:
    low = make(at=timedelta(seconds=-30), priority=Priority.LOW)
    normal = make(at=timedelta(seconds=-10))
    high_late = make(at=timedelta(seconds=-5), priority=Priority.HIGH)
    high_1 = make(at=timedelta(seconds=-8), priority=Priority.HIGH)
    high_2 = make(at=timedelta(seconds=-8), priority=Priority.HIGH)
    sched_early = make(at=timedelta(hours=-1), scheduled_at=T0 - timedelta(seconds=9))
    add_all(storage, low, normal, high_late, high_1, high_2, sched_early)
    assert claim_all(storage, ["default"]) == [
        high_1.id, high_2.id, high_late.id, normal.id, sched_early.id, low.id]


def test_a_claim_starts_the_job_and_it_is_not_claimed_again(storage: JobStorage) -> None:
    job = make(at=timedelta(seconds=-1))
    run(storage.add(job))
    claimed = run(storage.claim_next(["default"], "worker-1", T0))
    assert claimed is not None and claimed.id == job.id
    assert (claimed.status, claimed.worker_id, claimed.started_at, claimed.updated_at) == (
        JobStatus.RUNNING, "worker-1", T0, T0)
    assert run(storage.get(job.id)) == claimed
    assert run(storage.list_jobs([JobStatus.RUNNING])) == [claimed]
    assert run(storage.claim_next(["default"], "worker-2", T0)) is None


def test_a_claimed_job_is_kept_alive_by_heartbeats_and_found_stalled_without(
        storage: JobStorage) -> None:
    kept, dropped = make(), make()
    add_all(storage, kept, dropped)
    assert len(run(storage.claim_batch(["default"], "w", T0, 2))) == 2
    later = T0 + timedelta(minutes=10)
    run(storage.heartbeat([kept.id], later))
    stalled = run(storage.find_stalled(T0 + timedelta(minutes=5)))
    assert [(job.id, job.status, job.worker_id, job.started_at) for job in stalled] == [
        (dropped.id, JobStatus.RUNNING, "w", T0)]


def test_each_claim_of_a_job_stamps_its_own_start_and_writes_replace_it(
        storage: JobStorage) -> None:
    job = make()
    run(storage.add(job))
    first = run(storage.claim_next(["default"], "w1", T0))
    retry_at = T0 + timedelta(minutes=1)
    first.status, first.worker_id, first.retry_count = JobStatus.RETRYING, None, 1
    first.scheduled_at = first.updated_at = retry_at
    run(storage.update(first))
    assert run(storage.get(job.id)).started_at == T0  # the failed attempt's, as written
    second = run(storage.claim_next(["default"], "w2", retry_at + timedelta(seconds=1)))
    assert (second.status, second.worker_id, second.started_at) == (
        JobStatus.RUNNING, "w2", retry_at + timedelta(seconds=1))
    assert run(storage.get(job.id)) == second
    second.status, second.started_at = JobStatus.PENDING, None  # what retry_job stores
    assert run(storage.transition(second, [JobStatus.RUNNING]))
    assert run(storage.get(job.id)).started_at is None


def test_job_not_due_is_not_claimed(storage: JobStorage) -> None:
    job = make(scheduled_at=T0 + timedelta(minutes=1))
    run(storage.add(job))
    assert run(storage.claim_next(["default"], "w", T0)) is None
    claimed = run(storage.claim_next(["default"], "w", T0 + timedelta(minutes=1)))
    assert claimed is not None and claimed.id == job.id


def test_due_check_uses_the_given_now_every_time(storage: JobStorage) -> None:
    now_due, later = make(), make(scheduled_at=T0 + timedelta(hours=1))
    add_all(storage, now_due, later)
    assert run(storage.claim_next(["default"], "w", T0 + timedelta(hours=2))).id == now_due.id
    assert run(storage.claim_next(["default"], "w", T0)) is None  # an earlier clock (other worker)
    assert run(storage.claim_next(["default"], "w", T0 + timedelta(hours=1))).id == later.id


def test_only_waiting_statuses_are_claimed(storage: JobStorage) -> None:
    ids = add_all(storage, *(make(status=s) for s in JobStatus))
    by_status = dict(zip(JobStatus, ids, strict=True))
    assert sorted(claim_all(storage, ["default"])) == sorted(
        [by_status[JobStatus.PENDING], by_status[JobStatus.RETRYING]])


def test_paused_queue_is_not_claimed_until_resumed(storage: JobStorage) -> None:
    job = make("q")
    run(storage.add(job))
    run(storage.set_paused("q", True))
    run(storage.set_paused("idle", True))
    assert run(storage.paused_queues()) == {"q", "idle"}
    assert run(storage.claim_next(["q"], "w", T0)) is None
    run(storage.set_paused("q", False))
    run(storage.set_paused("q", False))
    assert run(storage.paused_queues()) == {"idle"}
    assert run(storage.claim_next(["q"], "w", T0)).id == job.id


def test_claim_only_from_asked_queues(storage: JobStorage) -> None:
    a, b = make("a", priority=Priority.LOW), make("b", priority=Priority.CRITICAL)
    add_all(storage, a, b)
    assert run(storage.claim_next(["a", "c"], "w", T0)).id == a.id
    assert run(storage.claim_next([], "w", T0)) is None
    assert run(storage.claim_next(["a"], "w", T0)) is None
    assert run(storage.claim_next(["a", "b"], "w", T0)).id == b.id


def test_claim_follows_updated_priority(storage: JobStorage) -> None:
    first, low, normal = make(priority=Priority.HIGH), make(priority=Priority.LOW), make()
    add_all(storage, first, low, normal)
    assert run(storage.claim_next(["default"], "w", T0)).id == first.id
    low.priority = Priority.CRITICAL  # bumped while waiting
    run(storage.update(low))
    assert claim_all(storage, ["default"]) == [low.id, normal.id]


def test_claim_follows_updated_queue(storage: JobStorage) -> None:
    first, moved = make(priority=Priority.HIGH), make()
    add_all(storage, first, moved)
    assert run(storage.claim_next(["default"], "w", T0)).id == first.id
    moved.queue_name = "other"
    run(storage.update(moved))
    assert run(storage.claim_next(["default"], "w", T0)) is None
    assert run(storage.claim_next(["other"], "w", T0)).id == moved.id


def test_retried_job_is_claimable_again(storage: JobStorage) -> None:
    job = make()
    run(storage.add(job))
    claimed = run(storage.claim_next(["default"], "w", T0))
    claimed.status, claimed.retry_count = JobStatus.RETRYING, 1
    claimed.scheduled_at = T0 + timedelta(seconds=30)
    run(storage.update(claimed))
    assert run(storage.claim_next(["default"], "w", T0)) is None
    again = run(storage.claim_next(["default"], "w", T0 + timedelta(seconds=30)))
    assert again is not None and again.id == job.id and again.retry_count == 1


def test_counts_follow_updates(storage: JobStorage) -> None:
    a, b, c = make("a"), make("a"), make("b")
    add_all(storage, a, b, c)
    assert run(storage.count_by_queue_and_status()) == {
        ("a", JobStatus.PENDING): 2, ("b", JobStatus.PENDING): 1}
    assert run(storage.claim_next(["a"], "w", T0)).id == a.id
    assert run(storage.count_by_queue_and_status()) == {
        ("a", JobStatus.RUNNING): 1, ("a", JobStatus.PENDING): 1, ("b", JobStatus.PENDING): 1}
    a.status = JobStatus.COMPLETED
    run(storage.update(a))
    c.queue_name = "a"
    run(storage.update(c))
    assert run(storage.count_by_queue_and_status()) == {
        ("a", JobStatus.COMPLETED): 1, ("a", JobStatus.PENDING): 2}


def test_queue_names_include_paused_and_emptied_queues(storage: JobStorage) -> None:
    add_all(storage, make("a"), make("b"))
    run(storage.set_paused("p", True))
    assert run(storage.queue_names()) == {"a", "b", "p"}
    assert run(storage.delete_waiting("b")) == 1
    assert run(storage.queue_names()) == {"a", "b", "p"}  # "held a job" counts


def test_delete_waiting(storage: JobStorage) -> None:
    pending, retrying = make("q"), make("q", status=JobStatus.RETRYING)
    running, other = make("q", status=JobStatus.RUNNING), make("other")
    add_all(storage, pending, retrying, running, other)
    assert run(storage.delete_waiting("q")) == 2
    assert run(storage.get(pending.id)) is None and run(storage.get(retrying.id)) is None
    assert run(storage.get(running.id)) is not None and run(storage.get(other.id)) is not None
    assert run(storage.delete_waiting("q")) == 0
    assert claim_all(storage, ["q", "other"]) == [other.id]


def test_delete_finished_before(storage: JobStorage) -> None:
    cutoff = T0 + timedelta(hours=1)
    old = {s: make(status=s) for s in JobStatus}  # updated_at == T0
    new_done = make(status=JobStatus.COMPLETED, at=timedelta(hours=2))
    at_cutoff = make(status=JobStatus.FAILED, at=timedelta(hours=1))
    add_all(storage, *old.values(), new_done, at_cutoff)
    assert run(storage.delete_finished_before(cutoff)) == 4
    left = {j.id for j in run(storage.list_jobs(list(JobStatus)))}
    finished = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMEOUT}
    assert left == {j.id for s, j in old.items() if s not in finished} | {
        new_done.id, at_cutoff.id}


def test_find_stalled_and_heartbeat(storage: JobStorage) -> None:
    stale = make(status=JobStatus.RUNNING)
    fresh = make(status=JobStatus.RUNNING, at=timedelta(minutes=10))
    waiting = make()  # old but not running: never stalled, heartbeat ignores it
    add_all(storage, stale, fresh, waiting)
    cutoff = T0 + timedelta(minutes=5)
    assert [j.id for j in run(storage.find_stalled(cutoff))] == [stale.id]
    later = T0 + timedelta(minutes=20)
    run(storage.heartbeat([stale.id, waiting.id, "missing"], later))
    run(storage.heartbeat([], later))
    assert run(storage.find_stalled(cutoff)) == []
    assert run(storage.get(stale.id)).updated_at == later
    assert run(storage.get(waiting.id)).updated_at == T0
    stalled = run(storage.find_stalled(later + timedelta(seconds=1)))
    assert sorted(j.id for j in stalled) == sorted([stale.id, fresh.id])


def test_list_jobs_filter_limit_offset(storage: JobStorage) -> None:
    jobs = [make("a" if i % 2 else "b", at=timedelta(seconds=i)) for i in range(10)]
    jobs[3].status = jobs[4].status = JobStatus.COMPLETED
    add_all(storage, *jobs)
    pending = [j.id for j in jobs if j.status is JobStatus.PENDING]
    assert [j.id for j in run(storage.list_jobs([JobStatus.PENDING]))] == pending
    assert [j.id for j in run(storage.list_jobs([JobStatus.PENDING], limit=3))] == pending[:3]
    page = run(storage.list_jobs([JobStatus.PENDING], limit=3, offset=2))
    assert [j.id for j in page] == pending[2:5]
    only_a = run(storage.list_jobs([JobStatus.PENDING, JobStatus.COMPLETED], queue_name="a"))
    assert [j.id for j in only_a] == [j.id for j in jobs if j.queue_name == "a"]
    assert run(storage.list_jobs([JobStatus.RUNNING])) == []
    assert run(storage.list_jobs([])) == []
    assert run(storage.list_jobs([JobStatus.COMPLETED], queue_name="zzz")) == []


# --- SQLite only ---


def raw_db(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_sqlite_settings_and_reopen(sqlite_path: Path) -> None:
    store = SQLiteJobStorage(sqlite_path)
    job = make()
    run(store.add(job))  # opens lazily
    run(store.close())
    assert run(store.get(job.id)) == job  # reopens after close
    run(store.open())
    run(store.close())
    with closing(raw_db(sqlite_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_unserialisable_args_store_nothing(sqlite_path: Path) -> None:
    store = SQLiteJobStorage(sqlite_path)
    with pytest.raises(ValueError, match=r"job args are not JSON-serialisable: .*set"):
        run(store.add(make(args=[{1, 2}])))
    with pytest.raises(ValueError, match="job metadata is not JSON-serialisable"):
        run(store.add(make(metadata={"lock": object()})))
    with pytest.raises(ValueError, match="job kwargs"):
        run(store.add(make(kwargs={"x": float("nan")})))
    assert run(store.count_by_queue_and_status()) == {}
    assert run(store.queue_names()) == set()
    run(store.close())


def test_sqlite_unserialisable_result_leaves_job_unchanged(sqlite_path: Path) -> None:
    store = SQLiteJobStorage(sqlite_path)
    job = make(status=JobStatus.RUNNING)
    run(store.add(job))
    done = make(id=job.id, status=JobStatus.COMPLETED, result=object())
    with pytest.raises(ValueError, match="job result is not JSON-serialisable"):
        run(store.update(done))
    assert run(store.get(job.id)) == job
    assert run(store.count_by_queue_and_status()) == {("default", JobStatus.RUNNING): 1}
    run(store.close())


def test_sqlite_corrupt_row_is_failed_and_skipped(sqlite_path: Path) -> None:
    store = SQLiteJobStorage(sqlite_path)
    bad, bad_fields, good = make(priority=Priority.CRITICAL), make(priority=Priority.HIGH), make()
    add_all(store, bad, bad_fields, good)
    with closing(raw_db(sqlite_path)) as conn:
        conn.execute("UPDATE jobs SET data = '{not json' WHERE id = ?", (bad.id,))
        conn.execute("UPDATE jobs SET data = ? WHERE id = ?",
                     (json.dumps({"id": bad_fields.id, "status": "pending"}), bad_fields.id))
    with pytest.raises(JobDecodeError, match=bad.id):
        run(store.get(bad.id))
    assert [j.id for j in run(store.list_jobs([JobStatus.PENDING]))] == [good.id]
    claimed = run(store.claim_next(["default"], "w", T0))
    assert claimed is not None and claimed.id == good.id
    assert run(store.claim_next(["default"], "w", T0)) is None
    assert run(store.count_by_queue_and_status()) == {
        ("default", JobStatus.FAILED): 2, ("default", JobStatus.RUNNING): 1}
    for job_id in (bad.id, bad_fields.id):
        with pytest.raises(JobDecodeError, match=job_id) as info:
            run(store.get(job_id))
        assert info.value.__cause__ is not None
    with closing(raw_db(sqlite_path)) as conn:
        errors = [e for (e,) in conn.execute("SELECT error FROM jobs WHERE status = 'failed'")]
    assert all(e.startswith("JobDecodeError: stored job") for e in errors)
    assert run(store.delete_finished_before(T0 + timedelta(days=1))) == 2
    run(store.close())


def test_sqlite_cancelled_claim_hands_the_job_back(sqlite_path: Path) -> None:
    store = SQLiteJobStorage(sqlite_path)
    job = make()
    run(store.add(job))

    async def cancel_mid_claim() -> None:
        lock = raw_db(sqlite_path)
        lock.execute("BEGIN IMMEDIATE")  # the claim's write waits on this lock
        task = asyncio.ensure_future(store.claim_next(["default"], "w", T0))
        await asyncio.sleep(0.3)
        task.cancel()
        await asyncio.sleep(0)
        lock.execute("COMMIT")  # now the claim commits after its caller was cancelled
        lock.close()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(cancel_mid_claim())
    assert run(store.get(job.id)) == job  # handed back: pending, no worker
    claimed = run(store.claim_next(["default"], "w2", T0))
    assert claimed is not None and claimed.id == job.id
    run(store.close())


def test_sqlite_two_instances_share_the_file(sqlite_path: Path) -> None:
    producer = SQLiteJobStorage(sqlite_path)
    ids = add_all(producer, *(make(at=timedelta(microseconds=-i)) for i in range(100)))
    a, b = SQLiteJobStorage(sqlite_path), SQLiteJobStorage(sqlite_path)
    run(producer.set_paused("default", True))
    assert run(a.claim_next(["default"], "a", T0)) is None  # pause seen by other instances
    run(producer.set_paused("default", False))

    async def drain(store: SQLiteJobStorage, name: str) -> list[str]:
        got = []
        while (job := await store.claim_next(["default"], name, T0)) is not None:
            got.append(job.id)
        return got

    async def both() -> tuple[list[str], list[str]]:
        return await asyncio.gather(drain(a, "a"), drain(b, "b"))

    got_a, got_b = run(both())
    assert not set(got_a) & set(got_b)
    assert sorted(got_a + got_b) == sorted(ids)
    for store in (producer, a, b):
        run(store.close())


def _claim_in_process(path: str, worker: str, barrier: Any, out: str) -> None:
    async def drain() -> list[str]:
        store = SQLiteJobStorage(path)
        await store.open()
        barrier.wait()
        got = []
        while (job := await store.claim_next(["default"], worker, T0)) is not None:
            assert job.worker_id == worker
            got.append(job.id)
        await store.close()
        return got

    Path(out).write_text(json.dumps(asyncio.run(drain())))


def test_sqlite_two_processes_claim_each_job_once(sqlite_path: Path, tmp_path: Path) -> None:
    store = SQLiteJobStorage(sqlite_path)
    ids = add_all(store, *(make(at=timedelta(microseconds=-i)) for i in range(200)))
    run(store.close())
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    outs = [tmp_path / f"claimed-{i}.json" for i in range(2)]
    procs = [ctx.Process(target=_claim_in_process, args=(str(sqlite_path), f"p{i}", barrier,
                                                         str(out)))
             for i, out in enumerate(outs)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    claimed = [json.loads(out.read_text()) for out in outs]
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)
    assert claimed[0] and claimed[1]  # both really competed (they start together)
    assert run(store.count_by_queue_and_status()) == {("default", JobStatus.RUNNING): 200}
    run(store.close())


# --- oldest waiting job and leases (monitoring), every backend ---


def assert_due_at(got: dict[str, datetime], expected: dict[str, datetime]) -> None:
    """Equal up to a microsecond (SQLite keeps times as epoch floats)."""
    assert set(got) == set(expected), (got, expected)
    for queue, moment in expected.items():
        assert got[queue].tzinfo is not None
        assert abs(got[queue] - moment) <= timedelta(microseconds=1), (queue, got[queue])


def test_oldest_waiting_due_at_only_counts_due_waiting_jobs(storage: JobStorage) -> None:
    def ago(seconds: int) -> timedelta:
        return timedelta(seconds=-seconds)

    assert run(storage.oldest_waiting_due_at(T0)) == {}
    low_oldest = make("a", at=ago(90), priority=Priority.LOW)  # claimed last, yet the oldest
    retrying = make("a", at=ago(600), status=JobStatus.RETRYING, scheduled_at=T0 + ago(60))
    add_all(storage, low_oldest, retrying, make("a", at=ago(30), priority=Priority.HIGH),
            make("a", at=ago(500), status=JobStatus.RUNNING),
            make("a", at=ago(900), status=JobStatus.COMPLETED),
            make("a", scheduled_at=T0 + timedelta(minutes=1)),  # not due yet
            make("b", scheduled_at=T0 + timedelta(minutes=5)), make("c", at=ago(10)))
    run(storage.set_paused("c", True))  # paused jobs wait too
    assert_due_at(run(storage.oldest_waiting_due_at(T0)), {"a": T0 + ago(90), "c": T0 + ago(10)})
    low_oldest.scheduled_at = T0 + timedelta(hours=1)  # rescheduled: its old entry is stale
    run(storage.update(low_oldest))
    assert_due_at(run(storage.oldest_waiting_due_at(T0)), {"a": T0 + ago(60), "c": T0 + ago(10)})
    assert len(claim_all(storage, ["a"])) == 2  # the high-priority one, then the retry
    assert_due_at(run(storage.oldest_waiting_due_at(T0)), {"c": T0 + ago(10)})
    later = T0 + timedelta(minutes=10)
    assert_due_at(run(storage.oldest_waiting_due_at(later)), {
        "a": T0 + timedelta(minutes=1), "b": T0 + timedelta(minutes=5), "c": T0 + ago(10)})
    assert run(storage.delete_waiting("c")) == 1
    assert "c" not in run(storage.oldest_waiting_due_at(later))


def test_lease_is_held_by_one_holder_until_it_expires(storage: JobStorage) -> None:
    ttl = timedelta(seconds=10)

    def lease(holder: str, at: float, for_: timedelta = ttl, name: str = "gauges") -> bool:
        return run(storage.try_acquire_lease(name, holder, for_, T0 + timedelta(seconds=at)))

    assert lease("a", 0)
    assert not lease("b", 5)
    assert lease("a", 5)  # renewed: now until 15
    assert not lease("b", 14.9)
    assert lease("other", 6, name="another lease")
    assert lease("b", 15)  # expired: taken over
    assert not lease("a", 16)
    assert lease("b", 20, timedelta(0))  # zero ttl: released
    assert lease("a", 20)


def test_sqlite_lease_is_shared_by_every_instance_on_the_file(sqlite_path: Path) -> None:
    first, second = SQLiteJobStorage(sqlite_path), SQLiteJobStorage(sqlite_path)
    ttl = timedelta(seconds=30)
    assert run(first.try_acquire_lease("gauges", "p1", ttl, T0))
    assert not run(second.try_acquire_lease("gauges", "p2", ttl, T0 + timedelta(seconds=29)))
    assert run(second.try_acquire_lease("gauges", "p2", ttl, T0 + timedelta(seconds=30)))
    assert not run(first.try_acquire_lease("gauges", "p1", ttl, T0 + timedelta(seconds=31)))
    run(first.close())
    run(second.close())


# --- the shared interface for stores on many hosts, every backend ---


def test_describe_names_the_store_without_a_password(storage: JobStorage) -> None:
    name = storage.describe()
    assert name and ":" in name and "secret" not in name


def test_ping_answers(storage: JobStorage) -> None:
    assert run(storage.ping()) is None


def test_add_many_stores_every_job(storage: JobStorage) -> None:
    jobs = [make("a", args=[i]) for i in range(3)] + [make("b", priority=Priority.HIGH)]
    run(storage.add_many(jobs))
    assert [run(storage.get(job.id)) for job in jobs] == jobs
    assert run(storage.count_by_queue_and_status()) == {
        ("a", JobStatus.PENDING): 3, ("b", JobStatus.PENDING): 1}
    assert "b" in run(storage.queue_names())
    run(storage.add_many([]))


def test_add_many_with_an_existing_id_stores_none(storage: JobStorage) -> None:
    existing = make()
    run(storage.add(existing))
    fresh = make()
    with pytest.raises(DuplicateJobError):
        run(storage.add_many([fresh, make(id=existing.id)]))
    assert run(storage.get(fresh.id)) is None
    with pytest.raises(DuplicateJobError):
        run(storage.add_many([fresh, make(id=fresh.id)]))  # repeated within the batch
    assert run(storage.count_by_queue_and_status()) == {("default", JobStatus.PENDING): 1}


def test_add_many_with_an_unstorable_job_stores_none(storage: JobStorage) -> None:
    good, bad = make(), make(args=[object()])
    if isinstance(storage, InMemoryJobStorage):  # it holds any Python value: both stored
        run(storage.add_many([good, bad]))
        assert run(storage.get(bad.id)).args[0] is bad.args[0]
        return
    with pytest.raises(ValueError, match="args"):
        run(storage.add_many([good, bad]))
    assert run(storage.get(good.id)) is None and run(storage.get(bad.id)) is None


def batch(*args_list: list[Any], **options: Any) -> list[Job]:
    """Jobs as ``enqueue_many`` builds them (sharing every option's value)."""
    definition = make_definition("t", lambda *a, **k: None, queue="default")
    options = {"queue_name": None, "priority": Priority.NORMAL, "scheduled_at": None,
               "metadata": None, **options}
    return build_jobs(definition, list(args_list), None, **options)


def test_add_many_of_an_enqueue_many_batch_keeps_every_job_whole(storage: JobStorage) -> None:
    jobs = batch([], [1, "é"], [{"deep": [1.5, None]}], metadata={"traceparent": "00-ab"},
                 queue_name="q", priority=Priority.HIGH, scheduled_at=T0)
    jobs[1].kwargs = {"b": 2}
    run(storage.add_many(jobs))
    assert [run(storage.get(job.id)) for job in jobs] == jobs
    assert [job.id for job in run(storage.claim_batch(["q"], "w", T0, 10))] == [
        job.id for job in jobs]  # FIFO within the batch


def test_add_many_of_a_batch_names_the_unstorable_job_and_stores_none(
        storage: JobStorage) -> None:
    if isinstance(storage, InMemoryJobStorage):
        return  # it holds any Python value (test_add_many_with_an_unstorable_job_stores_none)
    jobs = batch([1], [2], [float("nan")], [4])
    with pytest.raises(ValueError, match="job 2 of the batch: job args"):
        run(storage.add_many(jobs))
    existing = batch([5])[0]
    run(storage.add(existing))
    jobs = batch([1], [2])
    jobs[1].id = existing.id
    with pytest.raises(DuplicateJobError):
        run(storage.add_many(jobs))
    assert run(storage.count_by_queue_and_status()) == {("default", JobStatus.PENDING): 1}


def test_claim_batch_takes_up_to_limit_in_claim_order(storage: JobStorage) -> None:
    low = make(priority=Priority.LOW)
    first, second = make(at=timedelta(seconds=-2)), make(at=timedelta(seconds=-1))
    high = make(priority=Priority.HIGH)
    later = make(scheduled_at=T0 + timedelta(minutes=1))
    paused = make("paused", priority=Priority.CRITICAL)
    add_all(storage, low, first, second, high, later, paused)
    run(storage.set_paused("paused", True))
    batch = run(storage.claim_batch(["default", "paused"], "w", T0, 3))
    assert [job.id for job in batch] == [high.id, first.id, second.id]
    assert {(job.status, job.worker_id) for job in batch} == {(JobStatus.RUNNING, "w")}
    assert [job.id for job in run(storage.claim_batch(["default"], "w", T0, 10))] == [low.id]
    assert run(storage.claim_batch(["default"], "w", T0, 10)) == []
    assert run(storage.claim_batch(["default"], "w", T0, 0)) == []
    assert run(storage.get(later.id)).status is JobStatus.PENDING


def test_on_work_available_accepts_a_callback(storage: JobStorage) -> None:
    storage.on_work_available(lambda: None)
    run(storage.add(make()))


def test_next_due_at_is_the_earliest_waiting_job_of_the_queues(storage: JobStorage) -> None:
    assert run(storage.next_due_at(["default"])) is None
    soon = make(scheduled_at=T0 + timedelta(seconds=5), status=JobStatus.RETRYING)
    later = make(scheduled_at=T0 + timedelta(minutes=5))
    running = make(status=JobStatus.RUNNING, at=timedelta(seconds=-60))
    elsewhere = make("other", at=timedelta(seconds=-30))
    paused = make("paused", at=timedelta(seconds=-90))
    add_all(storage, soon, later, running, elsewhere, paused)
    run(storage.set_paused("paused", True))
    assert run(storage.next_due_at(["default"])) == T0 + timedelta(seconds=5)
    assert run(storage.next_due_at(["default", "other", "paused"])) == T0 - timedelta(seconds=30)
    assert run(storage.next_due_at(["paused"])) is None
    assert run(storage.next_due_at([])) is None


def test_transition_stores_only_from_an_expected_status(storage: JobStorage) -> None:
    job = make()
    run(storage.add(job))
    cancelled = make(id=job.id, status=JobStatus.CANCELLED, completed_at=T0)
    claimed = run(storage.claim_next(["default"], "w", T0))  # a worker got there first
    assert not run(storage.transition(cancelled, [JobStatus.PENDING, JobStatus.RETRYING]))
    assert run(storage.get(job.id)) == claimed
    assert run(storage.transition(cancelled, [JobStatus.RUNNING]))
    assert run(storage.get(job.id)) == cancelled
    assert run(storage.count_by_queue_and_status()) == {("default", JobStatus.CANCELLED): 1}
    assert not run(storage.transition(make(), [JobStatus.PENDING]))  # not stored at all
    assert not run(storage.transition(cancelled, []))


def test_concurrent_updates_each_land_and_an_unknown_id_fails_alone(storage: JobStorage) -> None:
    jobs = [make(args=[i]) for i in range(50)]
    run(storage.add_many(jobs))
    for job in jobs:
        job.status, job.result = JobStatus.COMPLETED, job.args[0] * 2
    ghost = make()

    async def update_all() -> list[Any]:
        return await asyncio.gather(*(storage.update(job) for job in [*jobs, ghost]),
                                    return_exceptions=True)

    outcomes = run(update_all())
    assert outcomes[:-1] == [None] * 50 and isinstance(outcomes[-1], KeyError)
    assert [run(storage.get(job.id)) for job in jobs] == jobs
