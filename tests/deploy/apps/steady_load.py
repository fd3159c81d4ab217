"""A job workload for the real-Prometheus test: jobs that succeed, fail and
retry, enqueued continuously for ``--duration`` seconds, run by in-process workers.

    opentelemetry-instrument python tests/deploy/apps/steady_load.py --duration 30

Prints ``ready`` once the manager runs, and exits 0 after ``--duration``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import timedelta

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, Priority

manager = JobManager(
    storage=InMemoryJobStorage(),
    workers=[AsyncWorker(queues=["default", "emails"], concurrency=4, poll_interval=0.05)],
    health_check_interval=timedelta(seconds=1),
)
attempts: dict[int, int] = {}


@manager.task(queue="emails", max_retries=0)
async def send_email(n: int) -> int:
    await asyncio.sleep(random.uniform(0.005, 0.3))
    return n


@manager.task(max_retries=0)
async def broken(n: int) -> None:
    raise ValueError(f"bad input {n}")


@manager.task(max_retries=2, retry_delay=0.05)
async def flaky(n: int) -> int:
    attempts[n] = attempts.get(n, 0) + 1
    if attempts[n] == 1:
        raise ConnectionError("upstream briefly unavailable")
    return n


async def main(duration: float) -> None:
    started = time.monotonic()
    async with manager:
        print("ready", flush=True)
        n = 0
        while time.monotonic() - started < duration:
            await manager.enqueue("send_email", args=[n], priority=Priority.HIGH)
            await manager.enqueue("flaky", args=[n])
            if n % 3 == 0:
                await manager.enqueue("broken", args=[n])
            n += 1
            await asyncio.sleep(0.1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=30.0)
    asyncio.run(main(parser.parse_args().duration))
