"""The uno side of the store benchmarks, and the probe every system's jobs call.

    python -m uno.jobs worker --storage URL --app benchmarks.store_app --concurrency 20
    python -m benchmarks.store_app produce URL one|batch|fill|paced JOBS [RATE]

``noop`` is the benchmark's job: it only calls ``PROBE.hit(enqueued_at)``. The
probe counts the calls, keeps the first and last call's time and, for jobs that
carry their enqueue time, the enqueue->start latency; a daemon thread writes
that to ``$BENCH_PROBE`` (JSON, replaced atomically) every 50 ms, which is how
the harness sees progress without asking the store. ``produce`` enqueues JOBS
no-op jobs one by one, in ``enqueue_many`` batches of 1,000, or one by one at
RATE per second (each job carrying its enqueue time), and prints
``{"seconds": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time

from uno.jobs import InMemoryJobStorage, JobManager

BATCH = 1000


class Probe:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.count = 0
        self.first = self.last = 0.0
        self.latencies: list[float] = []
        self._written = -1
        if path:
            threading.Thread(target=self._flush_loop, daemon=True, name="probe").start()

    def hit(self, enqueued_at: float | None = None) -> None:
        now = time.time()
        if not self.count:
            self.first = now
        self.count += 1
        self.last = now
        if enqueued_at is not None:
            self.latencies.append(now - enqueued_at)

    def _flush_loop(self) -> None:
        while True:
            time.sleep(0.05)
            if self.count != self._written:
                self._written = self.count
                state = {"count": self.count, "first": self.first, "last": self.last,
                         "latencies": list(self.latencies)}
                text = json.dumps(state)  # C encoder (json.dump's is Python: GIL held for ms)
                with open(f"{self.path}.tmp", "w") as out:
                    out.write(text)
                os.replace(f"{self.path}.tmp", self.path)


PROBE = Probe(os.environ.get("BENCH_PROBE"))

app = JobManager(InMemoryJobStorage())  # the worker process brings its own store


@app.task(max_retries=0)
async def noop(enqueued_at: float | None = None) -> None:
    PROBE.hit(enqueued_at)


async def paced(rate: float, jobs: int, enqueue_one) -> None:  # noqa: ANN001 - any system's
    """Call ``enqueue_one(time.time())`` ``jobs`` times, ``rate`` times a second."""
    started = time.perf_counter()
    for n in range(jobs):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await enqueue_one(time.time())


async def produce(url: str, mode: str, jobs: int, rate: float) -> float:
    from uno.jobs.storage.url import storage_from_url  # noqa: PLC0415

    producer = JobManager(storage_from_url(url))
    producer.register_task("noop", noop, max_retries=0)
    await producer.storage.open()
    started = time.perf_counter()
    if mode == "batch" or (mode == "fill" and hasattr(producer, "enqueue_many")):
        for start in range(0, jobs, BATCH):
            (await producer.enqueue_many("noop", [[]] * min(BATCH, jobs - start))).unwrap()
    elif mode in ("one", "fill"):  # fill: as fast as this branch can (before a drain)
        for _ in range(jobs):
            (await producer.enqueue("noop")).unwrap()
    else:
        async def one(at: float) -> None:
            (await producer.enqueue("noop", args=[at])).unwrap()

        await paced(rate, jobs, one)
    seconds = time.perf_counter() - started
    await producer.storage.close()
    return seconds


if __name__ == "__main__":
    _, _command, url, mode, jobs, *rate = sys.argv
    seconds = asyncio.run(produce(url, mode, int(jobs), float(rate[0]) if rate else 0.0))
    print(json.dumps({"seconds": seconds}), flush=True)
