"""The soak workload shared by ``test_soak.py`` and ``benchmarks/soak.py``: jobs
through the instrumented runtime (in-memory storage, SDK providers whose
exporters drop everything), in batches, with memory sampled after each.

    soak = Soak()                                    # instruments on dropping providers
    samples = asyncio.run(soak.run(jobs=20_000, on_batch=print))
    soak.close()

Every tenth job fails once and is retried; finished jobs are deleted after each
batch (as the manager's cleanup would), so what the runtime keeps does not
grow and any growth is telemetry state. Each ``Sample`` holds the jobs done, the
seconds since the start, the traced Python heap (with ``trace_memory``), the
process RSS and the plugin's in-flight attempts.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, JobStatus
from uno.jobs.job import utcnow


class DropSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DropLogs(LogRecordExporter):
    def export(self, batch: Sequence[Any]) -> Any:
        return None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


@dataclass(frozen=True)
class Sample:
    jobs: int
    seconds: float
    traced_bytes: int  # tracemalloc's current size (0 when not tracing)
    blocks: int  # sys.getallocatedblocks(): the objects alive, near enough
    rss_bytes: int
    in_flight: int


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


class Soak:
    def __init__(self, batch: int = 500, concurrency: int = 50) -> None:
        self.batch = batch
        self.concurrency = concurrency
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(DropSpans()))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(DropLogs()))
        self.instrumentor = UnoJobsInstrumentor()
        self.instrumentor.instrument(tracer_provider=self.tracer_provider,
                                     meter_provider=self.meter_provider,
                                     logger_provider=self.logger_provider)
        self.attempts: dict[int, int] = {}
        # the lifecycle records reach the (dropping) logs pipeline; with no handler
        # on the root logger, its "retrying" warnings would go to stderr
        self._quiet = logging.NullHandler()
        logging.getLogger().addHandler(self._quiet)

    @property
    def in_flight(self) -> int:
        return len(self.instrumentor.recorder.in_flight)

    def close(self) -> None:
        logging.getLogger().removeHandler(self._quiet)
        self.instrumentor.uninstrument()
        for provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            provider.shutdown()

    def manager(self) -> JobManager:
        manager = JobManager(storage=InMemoryJobStorage(),
                             workers=[AsyncWorker(concurrency=self.concurrency,
                                                  poll_interval=0.01)],
                             health_check_interval=timedelta(seconds=1))
        attempts = self.attempts

        @manager.task(max_retries=1, retry_delay=0)
        async def work(n: int) -> int:
            if n % 10 == 0 and attempts.pop(n, None) is None:
                attempts[n] = 1  # fail the first attempt, pass the retry
                raise ConnectionError(f"upstream refused job {n}")
            return n

        return manager

    async def run(self, jobs: int, trace_memory: bool = False, keep: bool = True,
                  on_batch: Callable[[Sample], None] | None = None) -> list[Sample]:
        """Run ``jobs`` jobs; a sample after each batch (only the last unless
        ``keep``: a list of samples grows too), passed to ``on_batch`` as taken."""
        asyncio.get_running_loop().set_debug(False)
        manager = self.manager()
        samples = []
        if trace_memory:
            tracemalloc.start()
        try:
            async with manager:
                started = time.perf_counter()
                for done in range(self.batch, jobs + 1, self.batch):
                    await self._batch(manager, done - self.batch)
                    sample = self._sample(done, time.perf_counter() - started)
                    if keep or done == jobs:
                        samples.append(sample)
                    if on_batch is not None:
                        on_batch(sample)
        finally:
            if trace_memory:
                tracemalloc.stop()
        return samples

    async def _batch(self, manager: JobManager, first: int) -> None:
        ids = [(await manager.enqueue("work", args=[n])).value
               for n in range(first, first + self.batch)]
        for n, job_id in zip(range(first, first + self.batch), ids, strict=True):
            job = await manager.wait_for_job(job_id, timeout=60)
            if job.status is not JobStatus.COMPLETED or job.result != n:
                raise AssertionError(f"job {n}: {job.status.value} {job.error}")
        await manager.storage.delete_finished_before(utcnow() + timedelta(seconds=1))
        self.reader.get_metrics_data()  # a collection, as an exporter's would

    def _sample(self, done: int, seconds: float) -> Sample:
        gc.collect()
        traced = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
        return Sample(done, seconds, traced, sys.getallocatedblocks(), rss_bytes(),
                      self.in_flight)
