"""Per-job cost the uno_jobs plugin adds, against the raw SDK floor for the same telemetry.

    python benchmarks/overhead.py [--jobs 5000] [--rounds 5] [--concurrency 50] [--profile]

Three figures, timed in one process with the same SDK providers (a
``TracerProvider`` whose ``SimpleSpanProcessor`` hands spans to an exporter that
drops them, and a ``MeterProvider`` with an ``InMemoryMetricReader``):

- uninstrumented: N no-op jobs enqueued on an in-memory ``JobManager`` and run
  by one ``AsyncWorker``, from the first enqueue to the last job finished;
- instrumented: the same run with ``UnoJobsInstrumentor`` loaded;
- floor: the SDK calls that telemetry needs per job, in a tight loop: two
  spans started and ended, an inject and an extract, three counter adds and two
  histogram records — with the plugin's span and metric attributes, metrics
  recorded while the span is current (the SDK then attaches exemplars, as it
  does to the plugin's); "bare floor": 2 and 4 span attributes and no current
  span, the least any instrumentation could do;
- floor in situ: the floor's calls made from the plugin's wrappers around a
  real run (the recorder swapped for one that only makes those calls): what
  the SDK work costs inside the runtime, with none of the plugin's own logic.

added = instrumented - uninstrumented; the goal is added <= 1.5 x floor. Rounds
alternate the modes; each figure is the median over rounds, in µs per job.
``--profile`` prints a cProfile of one instrumented round instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor, wrappers
from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig
from opentelemetry.instrumentation.uno_jobs.inflight import InFlight
from opentelemetry.instrumentation.uno_jobs.producer import EnqueueCall
from opentelemetry.instrumentation.uno_jobs.running_managers import RunningManagers
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager


class DropSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def providers() -> tuple[TracerProvider, MeterProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(DropSpans()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


async def run_jobs(jobs: int, concurrency: int) -> float:
    """Seconds from the first enqueue to the last job finished."""
    manager = JobManager(storage=InMemoryJobStorage(),
                         workers=[AsyncWorker(concurrency=concurrency, poll_interval=0.01)])

    @manager.task(max_retries=0)
    async def noop() -> None:
        return None

    async with manager:
        started = time.perf_counter()
        ids = [(await manager.enqueue("noop")).value for _ in range(jobs)]
        for job_id in ids:
            await manager.wait_for_job(job_id, timeout=60)
        return time.perf_counter() - started


BASE = {"messaging.system": "uno_jobs", "messaging.destination.name": "default",
        "uno_jobs.task.name": "noop", "uno_jobs.job.priority": "NORMAL"}
PRODUCE = {**BASE, "messaging.operation.type": "send", "messaging.operation.name": "enqueue",
           "messaging.message.id": "0" * 32}
CONSUME = {**BASE, "messaging.operation.type": "process", "messaging.operation.name": "process",
           "messaging.message.id": "0" * 32, "uno_jobs.worker.name": "worker-1",
           "uno_jobs.job.retry_count": 0, "uno_jobs.job.attempt": 1}
BARE_PRODUCE = {"messaging.system": "uno_jobs", "messaging.destination.name": "default"}
BARE_CONSUME = {**BARE_PRODUCE, "messaging.message.id": "0" * 32, "uno_jobs.job.attempt": 1}
BY_PRIORITY = {"queue": "default", "task": "noop", "priority": "NORMAL"}
BY_WORKER = {"queue": "default", "task": "noop", "worker": "worker-1"}
BY_TASK = {"queue": "default", "task": "noop"}


class FloorTelemetry:
    """The SDK calls one job's telemetry needs: two spans, an inject and an
    extract, three counter adds and two histogram records."""

    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        self.tracer = tracer_provider.get_tracer("floor")
        meter = meter_provider.get_meter("floor")
        self.n_enqueued, self.n_started, self.n_completed = (
            meter.create_counter(f"floor.{n}") for n in ("enqueued", "started", "completed"))
        self.execution_time, self.wait_time = (meter.create_histogram(f"floor.{n}")
                                               for n in ("execution", "wait"))

    def run(self, jobs: int, same_telemetry: bool = True) -> float:
        """Seconds for ``jobs`` rounds in a tight loop. ``same_telemetry``: the
        plugin's span and metric attributes, metrics recorded while the span is
        current (so, with the SDK's default trace-based exemplar filter, they
        carry exemplars as the plugin's do); else 2 and 4 span attributes and
        no current span: the least any instrumentation could do."""
        produce, consume = (PRODUCE, CONSUME) if same_telemetry else (BARE_PRODUCE, BARE_CONSUME)
        tracer, none = self.tracer, Context()
        started_at = time.perf_counter()
        for _ in range(jobs):
            producer = tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER,
                                         attributes=produce)
            current = trace.set_span_in_context(producer)
            carrier: dict[str, str] = {}
            propagate.inject(carrier, context=current)
            self.n_enqueued.add(1, BY_PRIORITY, context=current if same_telemetry else none)
            producer.end()
            parent = propagate.extract(carrier, context=Context())
            consumer = tracer.start_span("process noop", context=parent, kind=SpanKind.CONSUMER,
                                         attributes=consume)
            current = trace.set_span_in_context(consumer) if same_telemetry else none
            self.n_started.add(1, BY_WORKER, context=current)
            self.wait_time.record(0.001, BY_PRIORITY, context=current)
            self.n_completed.add(1, BY_WORKER, context=current)
            self.execution_time.record(0.001, BY_TASK, context=current)
            consumer.end()
        return time.perf_counter() - started_at


class FloorRecorder(FloorTelemetry):
    """The same calls made from the plugin's wrappers instead of its recorder
    ("floor in situ"): what emitting this telemetry costs inside the runtime,
    without the plugin's own logic. Happy path only (no-op jobs)."""

    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        super().__init__(tracer_provider, meter_provider)
        self.in_flight = InFlight(self.stall_timeout)
        self.producer = self  # start / end: the enqueue side
        self.attempts: dict[str, tuple[Any, Any]] = {}

    def stall_timeout(self, manager: Any) -> float:
        return 1800.0

    def start(self, manager: Any, args: tuple, kwargs: dict) -> EnqueueCall:
        span = self.tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER, attributes=PRODUCE)
        current = trace.set_span_in_context(span)
        metadata: dict[str, str] = {}
        propagate.inject(metadata, context=current)
        return EnqueueCall(args, {**kwargs, "metadata": metadata}, span,
                           otel_context.attach(current), "", "", "")

    def end(self, call: EnqueueCall, result: Any) -> None:
        self.n_enqueued.add(1, BY_PRIORITY)
        call.span.end()
        otel_context.detach(call.token)

    def start_attempt(self, manager: Any, job: Any, worker: Any) -> Any:
        parent = propagate.extract(job.metadata, context=Context())
        span = self.tracer.start_span("process noop", context=parent, kind=SpanKind.CONSUMER,
                                      attributes=CONSUME)
        self.attempts[job.id] = span, otel_context.attach(trace.set_span_in_context(span))
        return span

    def attempt_started(self, attempt: Any, job: Any) -> None:
        self.n_started.add(1, BY_WORKER)
        self.wait_time.record(0.001, BY_PRIORITY)

    def begin_finish(self, job: Any) -> str:
        return job.id

    def completed(self, job_id: str, job: Any, result: Any) -> None:
        self.n_completed.add(1, BY_WORKER)
        self.execution_time.record(0.001, BY_TASK)
        span, token = self.attempts.pop(job_id)
        span.end()
        otel_context.detach(token)


def timed(jobs: int, measure: Callable[[], float]) -> float:
    gc.collect()
    return measure() / jobs * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    tracer_provider, meter_provider = providers()
    instrumentor = UnoJobsInstrumentor()
    floor = FloorTelemetry(tracer_provider, meter_provider)

    def plain() -> float:
        return asyncio.run(run_jobs(options.jobs, options.concurrency))

    def instrumented() -> float:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            return plain()
        finally:
            instrumentor.uninstrument()

    def in_situ() -> float:
        recorder = FloorRecorder(tracer_provider, meter_provider)
        config = UnoJobsConfig(monitoring=False)
        names = wrappers.install(recorder, RunningManagers(recorder, None, config))
        try:
            return plain()
        finally:
            wrappers.uninstall(names)

    if options.profile:
        profiler = cProfile.Profile()
        profiler.runcall(instrumented)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return

    modes: dict[str, Callable[[], float]] = {
        "uninstrumented": plain, "instrumented": instrumented,
        "floor": lambda: floor.run(options.jobs),
        "bare floor": lambda: floor.run(options.jobs, same_telemetry=False),
        "floor in situ": in_situ,
    }
    for measure in modes.values():  # warm up imports and caches
        measure()
    results: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(options.rounds):
        for mode, measure in modes.items():
            results[mode].append(timed(options.jobs, measure))

    median = {mode: statistics.median(values) for mode, values in results.items()}
    plain_cost = median["uninstrumented"]
    added = median["instrumented"] - plain_cost
    print(f"{options.jobs} no-op jobs x {options.rounds} rounds, "
          f"AsyncWorker(concurrency={options.concurrency}); median µs per job:")
    for mode, value in median.items():
        spread = ", ".join(f"{v:.1f}" for v in results[mode])
        print(f"  {mode:<15} {value:8.1f}   ({spread})")
    print(f"  {'added':<15} {added:8.1f}   (instrumented - uninstrumented)")
    print(f"  added / floor   {added / median['floor']:8.2f}   (goal <= 1.50)")
    print(f"  added / bare    {added / median['bare floor']:8.2f}")
    in_situ_added = median["floor in situ"] - plain_cost
    print(f"  floor in situ - uninstrumented = {in_situ_added:.1f}: "
          f"{in_situ_added / median['floor']:.2f} x floor with no plugin logic at all")


if __name__ == "__main__":
    main()
