"""One process of the exact-queue-gauge test.

    python -m tests.monitoring.apps.queue_gauges_process DB_PATH WORKER_NAME

Runs a ``JobManager`` with one worker (queue ``held``) on the shared SQLite
file and a ``JobMetricsCollector`` (exclusive queue gauges, lease 1 s) whose
``JobMetrics`` exports through an OpenTelemetry ``InMemoryMetricReader``. After
each collection (every 0.1 s) it prints one JSON line of what the reader
exported. SIGTERM stops it (exit status 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from uno.jobs import AsyncWorker, JobManager, SQLiteJobStorage
from uno.jobs.monitoring.metrics import JobMetrics, JobMetricsCollector

INTERVAL = 0.1


def observed(reader: InMemoryMetricReader) -> dict[str, list[dict[str, Any]]]:
    """Metric name -> [{"attributes": ..., "value": ...}] from one reader collection."""
    found: dict[str, list[dict[str, Any]]] = {}
    data = reader.get_metrics_data()
    for resource in (data.resource_metrics if data else ()):
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = [{"attributes": dict(p.attributes), "value": p.value}
                                      for p in metric.data.data_points]
    return found


async def main(db_path: str, name: str) -> int:
    storage = SQLiteJobStorage(db_path)
    reader = InMemoryMetricReader()
    metrics = JobMetrics(meter_provider=MeterProvider(metric_readers=[reader]))
    manager = JobManager(storage, workers=[AsyncWorker(queues=["held"], name=name,
                                                       poll_interval=0.05)])
    collector = JobMetricsCollector(manager, metrics, collection_interval=INTERVAL, lease_ttl=1.0)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with manager:
        while not stop.is_set():
            ok = await collector.collect_once()
            line = {"name": name, "t": time.time(), "ok": ok,
                    "holder": collector.holds_queue_lease, "metrics": observed(reader)}
            print(json.dumps(line), flush=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), INTERVAL)
        await collector.stop()
    await storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
