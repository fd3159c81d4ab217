"""A producer process: enqueue jobs into a SQLite file and wait for a worker
process to run them.

    # terminal 1 — the worker (from the repository root)
    python -m uno.jobs worker --storage sqlite:///jobs.db --app examples.worker_app --queues images
    # terminal 2 — the producer
    python examples/producer.py --storage sqlite:///jobs.db --jobs 5

Both ends traced, one trace per job across the two processes (OTLP to the
collector of collector-config/, see examples/zero_code.sh):

    bash examples/zero_code.sh python -m uno.jobs worker --storage sqlite:///jobs.db \\
        --app examples.worker_app --queues images
    bash examples/zero_code.sh python examples/producer.py --storage sqlite:///jobs.db

The producer's ``JobManager`` is never started: it only enqueues and reads the
shared store. It exits 0 once every job finished (1 if one failed or the wait
timed out, e.g. when no worker runs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import worker_app  # noqa: F401 - registers the tasks (examples/ is on sys.path)

from uno.jobs import JobManager, JobStatus
from uno.jobs.storage.url import storage_from_url


async def produce(storage_url: str, count: int, timeout: float) -> int:
    manager = JobManager(storage=storage_from_url(storage_url))
    job_ids = []
    for n in range(count):
        enqueued = await manager.enqueue("resize_image", args=[f"img-{n:03d}"],
                                         kwargs={"width": 320 + 64 * n})
        if enqueued.is_failure:
            print(f"enqueue failed: {enqueued.error}", file=sys.stderr)
            return 1
        job_ids.append(enqueued.value)
        print(f"enqueued {enqueued.value} resize_image img-{n:03d}", flush=True)
    failures = 0
    try:
        async with asyncio.timeout(timeout):
            for job_id in job_ids:
                job = await manager.wait_for_job(job_id)
                print(f"{job.id} {job.status.value} on {job.worker_id}: "
                      f"{job.result if job.error is None else job.error}", flush=True)
                failures += job.status is not JobStatus.COMPLETED
    except TimeoutError:
        print(f"timed out after {timeout}s: is a worker running on {storage_url}?",
              file=sys.stderr)
        return 1
    finally:
        await manager.storage.close()
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="sqlite:///jobs.db", help="sqlite:///PATH")
    parser.add_argument("--jobs", type=int, default=5, help="how many jobs (default 5)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait")
    args = parser.parse_args()
    return asyncio.run(produce(args.storage, args.jobs, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
