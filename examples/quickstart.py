"""Quickstart: run a few jobs with the plugin loaded and print the telemetry.

    python examples/quickstart.py

Embedded, no external service: spans and metrics go to in-memory exporters
(in production, `opentelemetry-instrument` sends them to your collector — see
examples/zero_code_app.py and collector-config/).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console
from rich.table import Table

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, Priority

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
metric_reader = InMemoryMetricReader()
meter_provider = MeterProvider(metric_readers=[metric_reader])
UnoJobsInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

manager = JobManager(storage=InMemoryJobStorage(),
                     workers=[AsyncWorker(queues=["emails", "reports"], concurrency=5)])
attempts: Counter[str] = Counter()


@manager.task(queue="emails", max_retries=0)
async def send_email(to: str) -> str:
    if "@" not in to:
        raise ValueError(f"not an address: {to}")
    await asyncio.sleep(0.01)
    return f"sent to {to}"


@manager.task(queue="reports", max_retries=2, retry_delay=0)
def build_report(name: str) -> int:
    """A plain function: runs in a thread, never blocking the event loop."""
    attempts[name] += 1
    if attempts[name] == 1:
        raise ConnectionError("database briefly unavailable")
    return len(name)


async def main() -> None:
    console = Console()
    async with manager:
        ids = [
            (await manager.enqueue("send_email", args=["ada@example.com"])).value,
            (await manager.enqueue("send_email", args=["nobody"], priority=Priority.HIGH)).value,
            (await manager.enqueue("build_report", kwargs={"name": "weekly"})).value,
        ]
        jobs = [await manager.wait_for_job(job_id, timeout=10) for job_id in ids]

    table = Table(title="Jobs")
    for column in ("job", "task", "queue", "status", "attempts", "result / error"):
        table.add_column(column)
    for job in jobs:
        table.add_row(job.id[:8], job.task_name, job.queue_name, job.status.value,
                      str(job.retry_count + 1), str(job.result if job.error is None else job.error))
    console.print(table)

    table = Table(title="Spans (one trace per job)")
    for column in ("trace", "span", "kind", "status", "parent"):
        table.add_column(column)
    finished = spans.get_finished_spans()
    for span in sorted(finished, key=lambda s: (s.context.trace_id, s.start_time)):
        table.add_row(f"{span.context.trace_id:032x}"[:8], span.name, span.kind.name,
                      span.status.status_code.name,
                      f"{span.parent.span_id:016x}"[:8] if span.parent else "-")
    console.print(table)

    table = Table(title="Metrics")
    for column in ("metric", "attributes", "value"):
        table.add_column(column)
    data = metric_reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    if value is None:
                        value = f"count={point.count} sum={point.sum:.3f}"
                    attrs = ", ".join(f"{k}={v}" for k, v in sorted(point.attributes.items()))
                    table.add_row(metric.name, attrs, str(value))
    console.print(table)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
