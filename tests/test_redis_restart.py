"""A Redis server of the test's own, with the append-only file on, SIGKILLed and
restarted while a manager runs jobs: the store is unavailable meanwhile (the
storage health check says UNHEALTHY, naming it), and
afterwards every job completes, each run exactly once (the durability note in
the README). Needs the ``redis-server`` binary (``scripts/test-redis.sh``)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from uno.core.monitoring.health import HealthStatus
from uno.jobs import AsyncWorker, JobManager, JobStatus
from uno.jobs.errors import StorageUnavailableError
from uno.jobs.monitoring.storage_check import StorageHealthCheck
from uno.jobs.storage.redis import RedisJobStorage

JOBS = 40
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="needs the redis-server binary")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, data: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
         "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
        stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


def test_jobs_survive_a_killed_and_restarted_redis_with_aof(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(port, tmp_path)
    storage = RedisJobStorage(f"redis://127.0.0.1:{port}/0", prefix="restart")
    runs: Counter[int] = Counter()

    async def main() -> None:
        nonlocal server
        manager = JobManager(storage, workers=[AsyncWorker(concurrency=4, poll_interval=0.05)],
                             stall_timeout=timedelta(seconds=20))

        @manager.task(max_retries=0)
        async def work(n: int) -> int:
            runs[n] += 1
            await asyncio.sleep(0.02)
            return n

        async with manager:
            ids = [(await manager.enqueue("work", args=[n])).value for n in range(JOBS)]
            while sum(runs.values()) < JOBS // 4:
                await asyncio.sleep(0.01)
            server.kill()  # SIGKILL: only the append-only file remains
            server.wait()
            probe = RedisJobStorage(storage.url, prefix="restart", retries=0)
            with pytest.raises(StorageUnavailableError, match=f"127.0.0.1:{port}/0"):
                await probe.ping()
            health = await StorageHealthCheck(probe, timeout=2).check_health()
            assert health.status is HealthStatus.UNHEALTHY
            assert f"127.0.0.1:{port}/0 (prefix restart)" in health.message
            await probe.close()
            server = start_server(port, tmp_path)
            finished = [await manager.wait_for_job(job_id, timeout=60) for job_id in ids]
        assert [job.status for job in finished] == [JobStatus.COMPLETED] * JOBS
        assert await storage.count_by_queue_and_status() == {
            ("default", JobStatus.COMPLETED): JOBS}
        await storage.close()

    try:
        asyncio.run(main())
    finally:
        server.kill()
        server.wait()
    assert runs == Counter(range(JOBS))  # each job ran exactly once
