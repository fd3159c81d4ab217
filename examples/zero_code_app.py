"""A plain job app with no OpenTelemetry code: run it under `opentelemetry-instrument`
and every job shows up in your backend.

    bash examples/zero_code.sh                    # OTLP/gRPC to a collector on localhost:4317
    opentelemetry-instrument --traces_exporter console --metrics_exporter none \\
        --logs_exporter none python examples/zero_code_app.py [--linger SECONDS]

Three tasks: `charge_card` succeeds, `send_receipt` always fails (no retries)
and `sync_inventory` — a plain function, so it runs in a thread — fails once,
then succeeds on its retry. A fourth job, due in an hour, is cancelled. Each
handler logs; under instrumentation those records (and the runtime's "job ...
started/completed/failed" records) carry the trace and span id of the job's
`process` span, and each job is one trace from its `enqueue` span on.

The manager keeps running `--linger` seconds (default 1) after the jobs finish,
so a periodic metric export sees the live queue, worker and health gauges
(set `OTEL_METRIC_EXPORT_INTERVAL` below it); counters and histograms are
exported at exit in any case.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, JobStatus

log = logging.getLogger("examples.zero_code_app")
log.setLevel(logging.INFO)  # this app's own records; the root logger is left alone

manager = JobManager(storage=InMemoryJobStorage(),
                     workers=[AsyncWorker(queues=["payments", "inventory"], concurrency=4,
                                          poll_interval=0.05)])
attempts: Counter[str] = Counter()


@manager.task(queue="payments", max_retries=0)
async def charge_card(order_id: str, amount: int) -> str:
    log.info("charging order %s: %d cents", order_id, amount)
    await asyncio.sleep(0.01)
    return f"charged {order_id}"


@manager.task(queue="payments", max_retries=0)
async def send_receipt(order_id: str) -> None:
    log.info("sending the receipt of order %s", order_id)
    raise ConnectionError("mail server unavailable")


@manager.task(queue="inventory", max_retries=2, retry_delay=0)
def sync_inventory(sku: str) -> int:
    attempts[sku] += 1
    log.info("syncing %s, attempt %d", sku, attempts[sku])
    if attempts[sku] == 1:
        raise TimeoutError("warehouse API timed out")
    return 42


async def main(linger: float) -> int:
    async with manager:
        ids = [
            (await manager.enqueue("charge_card", args=["A-1", 1999])).value,
            (await manager.enqueue("send_receipt", args=["A-1"])).value,
            (await manager.enqueue("sync_inventory", kwargs={"sku": "SKU-7"})).value,
        ]
        later = (await manager.enqueue("charge_card", args=["B-2", 500],
                                       scheduled_at=datetime.now(UTC) + timedelta(hours=1)))
        await manager.cancel_job(later.value)
        jobs = [await manager.wait_for_job(job_id, timeout=20) for job_id in ids]
        await asyncio.sleep(linger)
    for job in jobs:
        print(f"{job.task_name}: {job.status.value} after {job.retry_count + 1} attempt(s)"
              f" ({job.result if job.error is None else job.error})")
    expected = [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.COMPLETED]
    return 0 if [job.status for job in jobs] == expected else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="three jobs: ok, failing, retried")
    parser.add_argument("--linger", type=float, default=1.0,
                        help="seconds to keep running after the jobs finish")
    sys.exit(asyncio.run(main(max(0.0, parser.parse_args().linger))))
