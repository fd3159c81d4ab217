"""Runtime throughput: no-op jobs per second, in memory and in SQLite.

    python benchmarks/runtime.py [--jobs 5000] [--memory-jobs 20000] [--concurrency 10]

Each row pre-enqueues N no-op jobs (``async def noop(): pass``), starts the
workers and waits until every job is finished:

- memory, one in-process ``AsyncWorker``;
- sqlite, one in-process ``AsyncWorker`` on a SQLite file;
- sqlite, one and two ``python -m uno.jobs worker`` processes on that file.

``drain s`` runs from the first job started to the last job finished (from the
jobs' own timestamps), so worker start-up is left out; ``jobs/s`` is N over it.
``wall s`` runs from starting the workers (spawning the processes) until a
poll sees every job finished. ``enqueue/s`` is how fast a never-started manager
enqueued the N jobs. This module is also the worker processes' ``--app``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, JobStatus, JobStorage
from uno.jobs.storage.sqlite import SQLiteJobStorage

ROOT = Path(__file__).resolve().parents[1]

app = JobManager(InMemoryJobStorage())  # what `--app benchmarks.runtime` registers


@app.task(max_retries=0)
async def noop() -> None:
    return None


@dataclass
class Row:
    storage: str
    workers: str
    jobs: int
    enqueue: float
    drain: float
    wall: float

    @property
    def rate(self) -> float:
        return self.jobs / self.drain if self.drain > 0 else float("inf")


async def enqueue_all(storage: JobStorage, jobs: int) -> float:
    """Enqueue ``jobs`` no-op jobs; answer the seconds it took."""
    producer = JobManager(storage)  # never started: a producer
    producer.register_task("noop", noop, max_retries=0)
    started = time.perf_counter()
    for _ in range(jobs):
        (await producer.enqueue("noop")).unwrap()
    return time.perf_counter() - started


async def wait_all_finished(storage: JobStorage, jobs: int, started: float) -> tuple[float, float]:
    """Poll until ``jobs`` are finished; answer (drain seconds, wall seconds)."""
    while True:
        counts = await storage.count_by_queue_and_status()
        if counts.get(("default", JobStatus.COMPLETED), 0) >= jobs:
            wall = time.perf_counter() - started
            break
        await asyncio.sleep(0.02)
    done = await storage.list_jobs([JobStatus.COMPLETED], limit=jobs)
    first = min(job.started_at for job in done)
    last = max(job.completed_at for job in done)
    return (last - first).total_seconds(), wall


async def in_process(storage: JobStorage, label: str, jobs: int, concurrency: int) -> Row:
    await storage.open()
    enqueue = await enqueue_all(storage, jobs)
    manager = JobManager(storage, workers=[AsyncWorker(concurrency=concurrency,
                                                       poll_interval=0.01)])
    manager.register_task("noop", noop, max_retries=0)
    started = time.perf_counter()
    async with manager:
        drain, wall = await wait_all_finished(storage, jobs, started)
    await storage.close()
    return Row(label, "1 in-process", jobs, enqueue, drain, wall)


async def worker_processes(path: Path, processes: int, jobs: int, concurrency: int) -> Row:
    storage = SQLiteJobStorage(path)
    enqueue = await enqueue_all(storage, jobs)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "uno.jobs", "worker", "--storage", f"sqlite:///{path}",
               "--app", "benchmarks.runtime", "--concurrency", str(concurrency),
               "--log-level", "WARNING"]
    started = time.perf_counter()
    procs = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(processes)]
    try:
        drain, wall = await wait_all_finished(storage, jobs, started)
    finally:
        for proc in procs:
            proc.terminate()
        codes = [proc.wait(timeout=30) for proc in procs]
        await storage.close()
    if any(codes):
        raise RuntimeError(f"worker processes exited with {codes}")
    workers = f"{processes} process{'es' if processes > 1 else ''}"
    return Row("sqlite", workers, jobs, enqueue, drain, wall)


async def run(jobs: int, memory_jobs: int, concurrency: int) -> list[Row]:
    rows = [await in_process(InMemoryJobStorage(), "memory", memory_jobs, concurrency)]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(await in_process(SQLiteJobStorage(Path(tmp) / "inproc.db"), "sqlite",
                                     jobs, concurrency))
        for processes in (1, 2):
            path = Path(tmp) / f"procs{processes}.db"
            rows.append(await worker_processes(path, processes, jobs, concurrency))
    return rows


def table(rows: list[Row]) -> str:
    lines = [f"{'storage':<8} {'workers':<14} {'jobs':>6} {'enqueue/s':>10} {'drain s':>8} "
             f"{'wall s':>7} {'jobs/s':>8}"]
    lines += [f"{r.storage:<8} {r.workers:<14} {r.jobs:>6} {r.jobs / r.enqueue:>10.0f} "
              f"{r.drain:>8.2f} {r.wall:>7.2f} {r.rate:>8.0f}" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000, help="no-op jobs per SQLite row")
    parser.add_argument("--memory-jobs", type=int, default=20000, help="for the memory row")
    parser.add_argument("--concurrency", type=int, default=10, help="per worker")
    args = parser.parse_args()
    print(table(asyncio.run(run(args.jobs, args.memory_jobs, args.concurrency))))


if __name__ == "__main__":
    main()
