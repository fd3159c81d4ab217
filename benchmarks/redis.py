"""Redis: uno's store against saq, on the same server in one run.

    pip install saq    # the peer, into the venv for this benchmark only (not a dependency)
    python benchmarks/redis.py [--url redis://127.0.0.1:6379/0]
        [--drain-jobs 10000] [--processes 1,2,4] [--rates 100,500] [--systems uno,saq]
    python benchmarks/redis.py --systems uno,saq --processes "" --rates "" --rounds 7
        # the enqueue rows only, systems taking turns in each of 7 rounds

Figures (see ``benchmarks/store_harness.py``): enqueue one by one and in
batches of 1,000 (uno ``enqueue_many``; saq has no batch enqueue, so its
"batch" row is 1,000 ``Queue.enqueue`` calls gathered at once), drain with 1, 2
and 4 worker processes of concurrency 20, and enqueue->start p50/p99 at 100 and
500 jobs/s — uno uninstrumented, uno under zero-code OpenTelemetry, and saq
uninstrumented. uno runs the real worker CLI on ``redis://...?prefix=bench_uno_N``
(a fresh key prefix per figure); saq runs as its documentation shows
(``Queue.from_url``, ``Worker(queue, functions, concurrency=20)``) on a fresh
queue ``bench_saq_N`` per figure. Both on the default asyncio event loop. Every
key either wrote is deleted at the end.

This module also runs saq's roles: ``python -m benchmarks.redis work URL#QUEUE
CONCURRENCY`` and ``... produce URL#QUEUE one|batch|fill|paced JOBS RATE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # `python benchmarks/redis.py`: import redis-py, not this file
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import asyncio  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from benchmarks.store_app import BATCH, PROBE, paced  # noqa: E402
from benchmarks.store_harness import (  # noqa: E402
    System,
    measure,
    peer_commands,
    run_peer_role,
    uno_systems,
)
from benchmarks.store_report import parse_options, table  # noqa: E402

URL = os.environ.get("UNO_JOBS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def noop(ctx: dict[str, Any], *, at: float | None = None) -> None:
    PROBE.hit(at)


def saq_queue(target: str) -> Any:
    from saq import Queue  # noqa: PLC0415

    url, name = target.rsplit("#", 1)
    return Queue.from_url(url, name=name)


async def saq_work(target: str, concurrency: int) -> None:
    from saq import Worker  # noqa: PLC0415

    await Worker(saq_queue(target), functions=[noop], concurrency=concurrency).start()


async def saq_produce(target: str, mode: str, jobs: int, rate: float) -> float:
    queue = saq_queue(target)
    await queue.connect()
    started = time.perf_counter()
    if mode == "one":
        for _ in range(jobs):
            await queue.enqueue("noop")
    elif mode in ("batch", "fill"):  # no batch API: 1,000 enqueues in flight at once
        for start in range(0, jobs, BATCH):
            await asyncio.gather(*(queue.enqueue("noop")
                                   for _ in range(min(BATCH, jobs - start))))
    else:
        async def one(at: float) -> None:
            await queue.enqueue("noop", at=at)

        await paced(rate, jobs, one)
    seconds = time.perf_counter() - started
    await queue.disconnect()
    return seconds


def delete_keys(url: str, patterns: list[str]) -> None:
    import redis  # noqa: PLC0415 - redis-py (this file keeps itself off sys.path)

    client = redis.Redis.from_url(url)
    for pattern in patterns:
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
    client.close()


def main() -> None:
    options = parse_options(__doc__, extra={"--url": URL})
    url, uno_numbers, saq_numbers = options.url, itertools.count(1), itertools.count(1)

    def new_uno_url() -> str:
        return f"{url}?prefix=bench_uno_{next(uno_numbers)}"

    def new_saq_queue() -> str:
        return f"{url}#bench_saq_{next(saq_numbers)}"

    systems = [System("saq", new_saq_queue, *peer_commands("redis")), *uno_systems(new_uno_url)]
    systems = [s for s in systems if not options.systems or s.name in options.systems]
    try:
        figures = measure(systems, options)
    finally:
        delete_keys(url, ["bench_uno_*", "saq:bench_saq_*", "saq:job:bench_saq_*"])
    print(table(figures, peer="saq"))


if __name__ == "__main__":
    run_peer_role(saq_work, saq_produce, main)
