"""A burst of no-op jobs for the outage tests: run under ``opentelemetry-instrument``,
it enqueues ``--jobs`` jobs on an in-memory manager, waits for all of them and
prints one JSON line (flushed) when the last one finished:

    opentelemetry-instrument python -m tests.hardening.apps.burst --jobs 2000
    {"jobs": 2000, "completed": 2000, "job_seconds": 1.9, "finished_at": 1.7e9, "maxrss_kb": ...}

``job_seconds`` runs from the first enqueue to the last job finished;
``finished_at`` is the wall clock then (the parent measures the exit from it).
Every job logs through the runtime's lifecycle records, so traces, metrics and
logs all have something to export.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, JobStatus

manager = JobManager(storage=InMemoryJobStorage(),
                     workers=[AsyncWorker(concurrency=50, poll_interval=0.01)])


@manager.task(max_retries=0)
async def double(n: int) -> int:
    return 2 * n


async def main(jobs: int) -> dict[str, float]:
    async with manager:
        started = time.perf_counter()
        ids = [(await manager.enqueue("double", args=[n])).value for n in range(jobs)]
        finished = [await manager.wait_for_job(job_id, timeout=300) for job_id in ids]
        seconds = time.perf_counter() - started
    completed = sum(job.status is JobStatus.COMPLETED and job.result == 2 * n
                    for n, job in enumerate(finished))
    return {"jobs": jobs, "completed": completed, "job_seconds": seconds,
            "finished_at": time.time(),
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a burst of no-op jobs")
    parser.add_argument("--jobs", type=int, default=2000)
    report = asyncio.run(main(parser.parse_args().jobs))
    print(json.dumps(report), flush=True)
    sys.exit(0 if report["completed"] == report["jobs"] else 1)
