"""No silent span loss: when the SDK's ``BatchSpanProcessor`` drops spans (its
queue full, or ended after shutdown), ``uno_jobs.telemetry.dropped_spans``
counts exactly the spans that never reach the exporter — in process with a
blocked exporter, and zero code with a slow OTLP receiver."""

from __future__ import annotations

import os
import threading
import time
import unittest
from collections.abc import Sequence
from typing import Any
from unittest import mock

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs.monitoring.job_metrics import default_job_metrics

from .otlp_http import OtlpHttpReceiver
from .support import PluginCase, key
from .test_e2e_zero_code import run_app

DROPPED = "uno_jobs.telemetry.dropped_spans"
QUEUE_FULL = key(error_type="queue_full")


class GatedExporter(SpanExporter):
    """Blocks every export until ``gate`` is set; counts the spans it got."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.exporting = threading.Event()  # the processor's thread is blocked in export
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exporting.set()
        self.gate.wait(10)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.gate.set()


class CountEnded(SpanProcessor):
    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span: ReadableSpan) -> None:
        self.ended += 1


class DroppedSpansTests(PluginCase):
    def with_batch_processor(self, **bsp_env: str) -> tuple[BatchSpanProcessor, Any, CountEnded]:
        """Re-instrument on a provider whose batch processor (configured by the
        ``OTEL_BSP_*`` variables, as users do) exports to a gated exporter."""
        self.instrumentor.uninstrument()
        exporter, ended = GatedExporter(), CountEnded()
        with mock.patch.dict(os.environ, bsp_env):
            processor = BatchSpanProcessor(exporter)
        provider = TracerProvider()
        provider.add_span_processor(ended)
        provider.add_span_processor(processor)
        self.addCleanup(provider.shutdown)
        self.instrumentor.instrument(tracer_provider=provider, meter_provider=self.meter_provider)
        return processor, exporter, ended

    async def run_jobs(self, count: int) -> None:
        manager = self.manager()
        manager.register_task("noop", lambda: None)
        await manager.start()
        ids = [(await manager.enqueue("noop")).value for _ in range(count)]
        for job_id in ids:
            await manager.wait_for_job(job_id, timeout=5)

    async def test_a_full_queue_counts_exactly_the_spans_never_exported(self) -> None:
        processor, exporter, ended = self.with_batch_processor(
            OTEL_BSP_MAX_QUEUE_SIZE="8", OTEL_BSP_MAX_EXPORT_BATCH_SIZE="4")
        # the SDK checks "queue full" and appends without a lock: a batch taken by its
        # thread in between makes it count one drop too many. Fill the queue only
        # once that thread is blocked in the (gated) export.
        await self.run_jobs(2)
        self.assertTrue(exporter.exporting.wait(10))
        await self.run_jobs(28)
        dropped = self.points()[DROPPED][QUEUE_FULL].value
        exporter.gate.set()
        processor.force_flush()
        self.assertEqual(ended.ended, 60)
        self.assertGreater(dropped, 0)
        self.assertEqual(dropped, ended.ended - exporter.exported)

        local = default_job_metrics().get_metrics()[DROPPED]
        self.assertEqual(local["total"], dropped)
        text = PrometheusMetricsExporter(default_job_metrics().metrics_manager).export_metrics()
        self.assertIn(f'uno_jobs_telemetry_dropped_spans_total{{error_type="queue_full"}} '
                      f'{float(dropped)}', text)

    async def test_no_drop_reads_zero(self) -> None:
        processor, exporter, _ended = self.with_batch_processor()
        exporter.gate.set()
        await self.run_jobs(3)
        series = {attributes: point.value for attributes, point in self.points()[DROPPED].items()}
        self.assertEqual(series, {QUEUE_FULL: 0}, "the series exists before the first drop")

    async def test_spans_ended_after_shutdown_are_counted_too(self) -> None:
        processor, _exporter, _ended = self.with_batch_processor()
        processor.shutdown()
        await self.run_jobs(2)
        self.assertEqual(self.points()[DROPPED][key(error_type="already_shutdown")].value, 4)

    async def test_without_a_batch_processor_there_is_no_series(self) -> None:
        await self.run_jobs(1)  # TestBase's provider: a SimpleSpanProcessor
        self.assertNotIn(DROPPED, self.points())

    async def test_uninstrument_puts_the_processors_hook_back(self) -> None:
        processor, _exporter, _ended = self.with_batch_processor()
        batch = processor._batch_processor
        hook = batch._metrics
        self.assertTrue(callable(hook.drop_items))
        self.instrumentor.uninstrument()
        self.assertIs(batch._metrics, hook.inner)

    async def test_a_processor_added_after_instrument_is_found_at_the_next_read(self) -> None:
        exporter = GatedExporter()
        exporter.gate.set()
        self.tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        self.assertEqual(self.points()[DROPPED][QUEUE_FULL].value, 0)


class SlowTraces(list):
    """The receiver's list of trace requests: each append (one per export) takes 0.4 s."""

    def append(self, item: Any) -> None:
        time.sleep(0.4)
        super().append(item)


class ZeroCodeSpanLossTests(unittest.TestCase):
    def test_a_tiny_queue_and_a_slow_receiver_lose_spans_and_say_how_many(self) -> None:
        with OtlpHttpReceiver() as receiver:
            receiver.requests["/v1/traces"] = SlowTraces()
            proc = run_app(receiver, OTEL_BSP_MAX_QUEUE_SIZE="2",
                           OTEL_BSP_MAX_EXPORT_BATCH_SIZE="1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        received = len(receiver.spans())
        [(attributes, point)] = receiver.metric_points(DROPPED)[-1:]
        self.assertEqual(attributes, {"error_type": "queue_full"})
        self.assertGreater(point.as_int, 0)
        # the app makes 4 producer and 4 consumer spans (see test_e2e_zero_code)
        self.assertEqual(received + point.as_int, 8, f"{received} received")
