"""Redis connections killed (``CLIENT KILL``) again and again while a manager
enqueues and runs jobs: every job still completes, and runs exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

from redis_support import REDIS_URL, drop_redis_keys, new_redis_storage
from uno.jobs import AsyncWorker, JobManager, JobStatus

JOBS = 150


async def kill_connections(client_name: str, stop: asyncio.Event) -> int:
    """``CLIENT KILL`` every connection named ``client_name`` every few ms; how many."""
    import redis.asyncio as aioredis

    killer = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    killed = 0
    try:
        while not stop.is_set():
            for client in await killer.client_list():
                if client.get("name") == client_name:
                    with contextlib.suppress(Exception):  # already gone
                        killed += await killer.execute_command("CLIENT KILL", "ID", client["id"])
            await asyncio.sleep(0.015)
    finally:
        await killer.aclose()
    return killed


def test_every_job_completes_once_while_connections_are_killed() -> None:
    storage = new_redis_storage()
    runs: Counter[str] = Counter()

    async def main() -> int:
        manager = JobManager(storage, workers=[AsyncWorker(concurrency=8, poll_interval=0.02)])

        @manager.task(max_retries=0)
        async def work(n: int) -> int:
            runs[str(n)] += 1
            await asyncio.sleep(0.005)
            return n

        stop = asyncio.Event()
        async with manager:
            killer = asyncio.create_task(kill_connections(f"uno-jobs:{storage.prefix}", stop))
            ids = []
            for n in range(JOBS):
                result = await manager.enqueue("work", args=[n])
                assert result.is_success, result.error
                ids.append(result.value)
            finished = [await manager.wait_for_job(job_id, timeout=60) for job_id in ids]
            stop.set()
            killed = await killer
        assert [job.status for job in finished] == [JobStatus.COMPLETED] * JOBS
        assert [job.result for job in finished] == list(range(JOBS))
        counts = await storage.count_by_queue_and_status()
        assert counts == {("default", JobStatus.COMPLETED): JOBS}
        await storage.close()
        return killed

    try:
        killed = asyncio.run(main())
    finally:
        drop_redis_keys(storage.prefix)
    assert killed > 0  # the connections really were killed mid-run
    assert runs == Counter({str(n): 1 for n in range(JOBS)})
