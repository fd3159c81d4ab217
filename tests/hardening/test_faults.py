"""Telemetry that fails must cost the job system nothing: exporters whose
``export`` raises, a meter whose instruments raise and a propagator whose
``inject``/``extract`` raise. Every job still completes with its result, and the
log gets one warning per fault — not one per job: the count after 400 jobs is
the count after 40."""

from __future__ import annotations

import unittest
from collections import Counter
from collections.abc import Sequence
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor, utils
from opentelemetry.metrics import NoOpMeter, NoOpMeterProvider
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager

from .support import all_completed, captured_logs, run_jobs

FEW, MANY = 40, 400
BATCH_LOGGER = "opentelemetry.sdk._shared_internal"
METRICS_FAILED = "opentelemetry.sdk.metrics._internal.export: Exception while exporting metrics"


class ExporterDown(RuntimeError):
    pass


class RaisingSpanExporter(SpanExporter):
    def export(self, spans: Sequence[Any]) -> Any:
        raise ExporterDown("span exporter down")


class RaisingMetricExporter(MetricExporter):
    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
        raise ExporterDown("metric exporter down")

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


class RaisingLogExporter(LogRecordExporter):
    def export(self, batch: Sequence[Any]) -> Any:
        raise ExporterDown("log exporter down")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


class MeterDown(RuntimeError):
    pass


class _BrokenInstrument:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def add(self, *args: Any, **kwargs: Any) -> None:
        raise MeterDown("instrument broken")

    record = set = add


class BrokenMeter(NoOpMeter):
    def create_counter(self, *args: Any, **kwargs: Any) -> Any:
        return _BrokenInstrument()

    create_histogram = create_up_down_counter = create_gauge = create_counter


class BrokenMeterProvider(NoOpMeterProvider):
    def get_meter(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return BrokenMeter(name)


class PropagatorDown(RuntimeError):
    pass


class RaisingPropagator(TextMapPropagator):
    def inject(self, carrier: Any, context: Any = None, setter: Any = None) -> None:
        raise PropagatorDown("inject broken")

    def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
        raise PropagatorDown("extract broken")

    @property
    def fields(self) -> set[str]:
        return {"traceparent"}


class FaultCase(unittest.IsolatedAsyncioTestCase):
    """The plugin instrumented on providers the test builds (``providers()``)."""

    enqueue_options: dict[str, Any] = {}

    def providers(self) -> dict[str, Any]:
        raise NotImplementedError

    def setUp(self) -> None:
        utils._reported.clear()
        self.provided = self.providers()
        self.instrumentor = UnoJobsInstrumentor()
        self.instrumentor.instrument(**self.provided)
        self.manager = JobManager(storage=InMemoryJobStorage(),
                                  workers=[AsyncWorker(concurrency=20, poll_interval=0.01)])
        self.manager.register_task("double", lambda n: 2 * n, max_retries=0)

    async def asyncTearDown(self) -> None:
        await self.manager.stop()

    def tearDown(self) -> None:
        self.instrumentor.uninstrument()
        for provider in self.provided.values():
            if hasattr(provider, "shutdown"):
                provider.shutdown()

    async def run_and_count(self) -> tuple[Counter[str], Counter[str]]:
        """Start the manager, run FEW then MANY jobs (all must complete with the
        right result); the warnings OpenTelemetry and the plugin logged (by logger
        and message) by the end of each run."""
        counts = []
        with captured_logs() as records:
            await self.manager.start()
            for count in (FEW, MANY):
                jobs = await run_jobs(self.manager, "double", count, **self.enqueue_options)
                self.assertTrue(all_completed(jobs, lambda n: 2 * n))
                self.flush()
                counts.append(Counter(f"{r.name}: {r.getMessage()}" for r in records
                                      if r.name.startswith("opentelemetry")))
        return counts[0], counts[1]

    def flush(self) -> None:
        for provider in self.provided.values():
            if hasattr(provider, "force_flush"):
                provider.force_flush()


class RaisingExporterTests(FaultCase):
    """The pipelines zero code configures (batch span and log processors, a
    periodic metric reader), each with an exporter that raises."""

    def providers(self) -> dict[str, Any]:
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(BatchSpanProcessor(
            RaisingSpanExporter(), schedule_delay_millis=20, max_export_batch_size=64))
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(
            RaisingLogExporter(), schedule_delay_millis=20, max_export_batch_size=64))
        reader = PeriodicExportingMetricReader(RaisingMetricExporter(),
                                               export_interval_millis=60_000)
        return {"tracer_provider": tracer_provider, "logger_provider": logger_provider,
                "meter_provider": MeterProvider(metric_readers=[reader])}

    async def test_jobs_complete_and_export_failures_are_logged_per_export_not_per_job(self):
        few, many = await self.run_and_count()
        self.assertEqual([m for m in many if "uno_jobs" in m], [], "not the plugin's concern")
        batch = sum(n for m, n in many.items() if m.startswith(BATCH_LOGGER))
        # the batch span and log processors share the SDK's DuplicateFilter: one
        # "Exception while exporting" per 20 s window (a run may straddle two)
        self.assertIn(batch, (1, 2), many)
        self.assertEqual(many[METRICS_FAILED], 2, "one per collection (two flushes)")
        self.assertLessEqual(sum(many.values()) - sum(few.values()), 2, (few, many))


class BrokenMeterTests(FaultCase):
    def providers(self) -> dict[str, Any]:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        return {"tracer_provider": tracer_provider, "meter_provider": BrokenMeterProvider()}

    async def test_jobs_complete_with_one_warning_per_failing_call_site(self) -> None:
        few, many = await self.run_and_count()
        self.assertEqual(few, many, "no new warning after the first jobs")
        self.assertTrue(many, "the broken meter is reported")
        self.assertEqual(set(many.values()), {1}, many)
        self.assertTrue(all("uno_jobs instrumentation" in m for m in many), many)

    async def test_spans_are_unaffected_by_a_broken_meter(self) -> None:
        await self.run_and_count()
        spans = self.spans.get_finished_spans()
        producers = [s for s in spans if s.kind is SpanKind.PRODUCER]
        consumers = [s for s in spans if s.kind is SpanKind.CONSUMER]
        self.assertEqual((len(producers), len(consumers)), (FEW + MANY, FEW + MANY))
        self.assertTrue(all("messaging.message.id" in s.attributes for s in spans))
        parents = {s.context.span_id for s in producers}
        self.assertTrue(all(s.parent.span_id in parents for s in consumers))


class RaisingPropagatorTests(FaultCase):
    enqueue_options = {"metadata": {"tenant": "acme"}}  # empty metadata is never extracted

    def providers(self) -> dict[str, Any]:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        return {"tracer_provider": tracer_provider,
                "meter_provider": MeterProvider()}

    def setUp(self) -> None:
        self.textmap = propagate.get_global_textmap()
        propagate.set_global_textmap(RaisingPropagator())
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        propagate.set_global_textmap(self.textmap)

    async def test_jobs_complete_and_inject_and_extract_warn_once_each(self) -> None:
        few, many = await self.run_and_count()
        self.assertEqual(few, many, "no new warning after the first jobs")
        self.assertEqual(set(many.values()), {1}, many)
        self.assertEqual(len(many), 2, many)
        self.assertEqual(sorted("inject" in m for m in many), [False, True], many)

    async def test_spans_are_recorded_each_consumer_in_a_fresh_trace(self) -> None:
        await self.run_and_count()
        spans = self.spans.get_finished_spans()
        producers = [s for s in spans if s.kind is SpanKind.PRODUCER]
        consumers = [s for s in spans if s.kind is SpanKind.CONSUMER]
        self.assertEqual((len(producers), len(consumers)), (FEW + MANY, FEW + MANY))
        self.assertTrue(all(s.parent is None for s in consumers))
        self.assertEqual(len({s.context.trace_id for s in consumers}), FEW + MANY)
        self.assertFalse(trace.get_current_span().get_span_context().is_valid, "no leaked context")

