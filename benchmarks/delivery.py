"""Span delivery at full speed: do the spans of every job reach the backend?

    python benchmarks/delivery.py [--jobs 20000] [--concurrency 50] [--logs otlp|none]
                                  [--settings defaults,readme] [--backlog 1000]

For each load shape and batch-processor setting, N no-op jobs are enqueued and
run as fast as the runtime goes (one process: an in-memory ``JobManager`` with
one ``AsyncWorker``), under ``opentelemetry-instrument`` exporting OTLP/HTTP to
a receiver in this process (``tests/plugin/otlp_http.py``), which counts the
spans it decoded. Shapes: ``steady`` — the producer keeps at most ``--backlog``
jobs waiting or running, so enqueueing and running go on together at the
highest sustained rate; ``burst`` — all N jobs enqueued first (N producer
spans at once), then run. Each job makes two spans (``enqueue``,
``process``). Printed per run: jobs/s (first enqueue to last job finished, instrumented), spans
expected, spans received, delivery %, the ``uno_jobs.telemetry.dropped_spans``
value (as exported at exit, and as the app read it), the spans neither
received nor counted as dropped (lost in export: should be 0), and the
lifecycle log records received (1 per job by default: the outcome; 3 with
``OTEL_PYTHON_UNO_JOBS_PROGRESS_LOGS=true``).

Settings: ``defaults`` — the SDK's (queue 2048, batch 512, 5 s delay);
``readme`` — what the README recommends for job workloads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
DROPPED = "uno_jobs.telemetry.dropped_spans"
SETTINGS: dict[str, dict[str, str]] = {
    "defaults": {},
    "readme": {"OTEL_BSP_MAX_QUEUE_SIZE": "65536", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048",
               "OTEL_BSP_SCHEDULE_DELAY": "500", "OTEL_BLRP_MAX_QUEUE_SIZE": "65536",
               "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "2048", "OTEL_BLRP_SCHEDULE_DELAY": "500"},
}


# --- the instrumented app (a child process) ---

async def run_jobs(jobs: int, concurrency: int, backlog: int) -> float:
    """Seconds from the first enqueue to the last job finished. The producer keeps
    at most ``backlog`` jobs waiting or running (0: enqueues all at once)."""
    from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager  # noqa: PLC0415

    manager = JobManager(InMemoryJobStorage(),
                         workers=[AsyncWorker(concurrency=concurrency, poll_interval=0.01)])
    slots = asyncio.Semaphore(backlog or jobs)

    @manager.task(max_retries=0)
    async def noop() -> None:
        slots.release()

    async with manager:
        started = time.perf_counter()
        ids = []
        for _ in range(jobs):
            await slots.acquire()
            ids.append((await manager.enqueue("noop")).value)
        for job_id in ids:
            await manager.wait_for_job(job_id, timeout=300)
        return time.perf_counter() - started


def child(jobs: int, concurrency: int, backlog: int) -> None:
    from uno.jobs.monitoring.job_metrics import default_job_metrics  # noqa: PLC0415

    seconds = asyncio.run(run_jobs(jobs, concurrency, backlog))
    total = default_job_metrics().get_metrics().get(DROPPED, {}).get("total")
    dropped = None if total is None else int(total)
    print(json.dumps({"seconds": seconds, "dropped": dropped}), flush=True)


# --- the driver ---

def measure(setting: str, jobs: int, concurrency: int, backlog: int, logs: str
            ) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from plugin.otlp_http import OtlpHttpReceiver  # noqa: PLC0415

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({
        "OTEL_SERVICE_NAME": "delivery-benchmark", "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": logs,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": str(logs != "none").lower(),
        "PYTHONWARNINGS": "ignore::DeprecationWarning", **SETTINGS[setting],
    })
    with OtlpHttpReceiver() as receiver:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
        wall = time.perf_counter()
        proc = subprocess.run([str(INSTRUMENT), sys.executable, str(Path(__file__).resolve()),
                               "--child", "--jobs", str(jobs), "--concurrency", str(concurrency),
                               "--backlog", str(backlog)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - wall
    if proc.returncode != 0:
        raise SystemExit(f"{setting}: the app failed\n{proc.stdout}\n{proc.stderr[-4000:]}")
    app = json.loads(proc.stdout.strip().splitlines()[-1])
    received = sum(len(scope.spans) for request in receiver.requests["/v1/traces"]
                   for resource in request.resource_spans for scope in resource.scope_spans)
    logs = sum(len(scope.log_records) for request in receiver.requests["/v1/logs"]
               for resource in request.resource_logs for scope in resource.scope_logs)
    latest = {a["error_type"]: p.as_int for a, p in receiver.metric_points(DROPPED)}
    dropped = sum(latest.values()) if latest else None  # the last export of each series
    expected = 2 * jobs
    return {"setting": setting, "rate": jobs / app["seconds"], "wall": wall,
            "expected": expected, "received": received, "percent": 100 * received / expected,
            "dropped": dropped, "dropped_in_app": app["dropped"],
            "unaccounted": expected - received - (dropped or 0), "logs": logs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=1000,
                        help="most jobs waiting or running at once (0: enqueue all first)")
    parser.add_argument("--logs", choices=("otlp", "none"), default="otlp",
                        help="export the lifecycle log records too (as the README does)")
    parser.add_argument("--settings", default="defaults,readme")
    parser.add_argument("--shapes", default="steady,burst")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.jobs, options.concurrency, options.backlog)
        return
    print(f"{options.jobs} no-op jobs, AsyncWorker(concurrency={options.concurrency}), steady "
          f"backlog {options.backlog}, OTLP/HTTP traces + metrics, logs {options.logs}")
    print(f"{'shape':<6} {'setting':<9} {'jobs/s':>7} {'wall s':>7} {'expected':>9} "
          f"{'received':>9} {'delivery':>9} {'dropped':>8} {'(in app)':>8} {'lost':>5} "
          f"{'logs':>8}")
    runs = [(shape, setting) for shape in options.shapes.split(",")
            for setting in options.settings.split(",")]
    for shape, setting in runs:
        backlog = options.backlog if shape == "steady" else 0
        r = measure(setting, options.jobs, options.concurrency, backlog, options.logs)
        print(f"{shape:<6} {r['setting']:<9} {r['rate']:7.0f} {r['wall']:7.1f} {r['expected']:9d} "
              f"{r['received']:9d} {r['percent']:8.2f}% {r['dropped']!s:>8} "
              f"{r['dropped_in_app']!s:>8} {r['unaccounted']:5d} {r['logs']:8d}", flush=True)
    for name, env in SETTINGS.items():
        print(f"  {name}: {' '.join(f'{k}={v}' for k, v in env.items()) or 'SDK defaults'}")


if __name__ == "__main__":
    main()
