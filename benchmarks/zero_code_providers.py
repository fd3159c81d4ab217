"""The providers ``opentelemetry-instrument`` sets up, with exporters that count and discard.

    telemetry = ZeroCodeProviders.install()     # global tracer, meter and logger providers
    telemetry.counts()                          # {"spans": 2000, "log records": 1000, ...}
    with telemetry.census() as census: ...      # also counts synchronous metric measurements

As ``opentelemetry-instrument --traces_exporter otlp --metrics_exporter otlp
--logs_exporter otlp`` with ``OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED=true``:
a ``TracerProvider`` with a ``BatchSpanProcessor``, a ``MeterProvider`` with a
``PeriodicExportingMetricReader``, a ``LoggerProvider`` with a
``BatchLogRecordProcessor`` and an SDK ``LoggingHandler`` (level NOTSET) on the
root logger, all set as the global providers. The ``OTEL_BSP_*``, ``OTEL_BLRP_*``
and ``OTEL_METRICS_EXEMPLAR_FILTER`` variables apply as they do under zero code.
Exporters drop what they get (no network: the cost measured is the
instrumentation's and the SDK pipeline's), counting it; with ``encode=True``
they first serialize it as the OTLP exporters do (their CPU cost, and a batch
processor thread slow enough to show when its queue overflows).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import _logs, metrics, trace
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class _Tally:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.count += n


class DiscardSpans(SpanExporter):
    def __init__(self, encode: bool = False) -> None:
        self.tally = _Tally()
        self.encode = encode

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        if self.encode:  # what the OTLP exporter does before it sends (CPU, under the GIL)
            encode_spans(spans).SerializeToString()
        self.tally.add(len(spans))
        return SpanExportResult.SUCCESS


class DiscardLogs(LogRecordExporter):
    def __init__(self, encode: bool = False) -> None:
        self.tally = _Tally()
        self.encode = encode

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        if self.encode:
            encode_logs(batch).SerializeToString()
        self.tally.add(len(batch))
        return LogRecordExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True

    def shutdown(self) -> None:
        pass


class DiscardMetrics(MetricExporter):
    def __init__(self) -> None:
        super().__init__()
        self.tally = _Tally()

    def export(self, metrics_data: Any, timeout_millis: float = 10_000,
               **kwargs: Any) -> MetricExportResult:
        points = sum(len(metric.data.data_points) for resource in metrics_data.resource_metrics
                     for scope in resource.scope_metrics for metric in scope.metrics)
        self.tally.add(points)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


@dataclass
class Census:
    """Synchronous metric measurements counted while the census is open."""

    measurements: int = 0
    by_instrument: dict[str, int] = field(default_factory=dict)
    histograms: set[str] = field(default_factory=set)  # the names of histogram instruments


@dataclass
class ZeroCodeProviders:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    reader: PeriodicExportingMetricReader
    spans: DiscardSpans
    logs: DiscardLogs
    points: DiscardMetrics

    @classmethod
    def install(cls, metric_interval: float = 1.0, encode: bool = False) -> ZeroCodeProviders:
        """``encode``: the exporters serialize what they get as OTLP protobuf (the
        OTLP exporters' CPU cost, without the network) before discarding it."""
        resource = Resource.create({"service.name": "overhead-benchmark"})
        spans, logs, points = DiscardSpans(encode), DiscardLogs(encode), DiscardMetrics()
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(spans))
        reader = PeriodicExportingMetricReader(points,
                                               export_interval_millis=metric_interval * 1000)
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(logs))
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
        _logs.set_logger_provider(logger_provider)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            logging.getLogger().addHandler(LoggingHandler(logging.NOTSET, logger_provider))
        return cls(tracer_provider, meter_provider, logger_provider, reader, spans, logs, points)

    def flush(self) -> None:
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()

    def counts(self) -> dict[str, int]:
        """Spans and log records exported so far (after ``flush``)."""
        return {"spans": self.spans.tally.count, "log records": self.logs.tally.count}

    @contextlib.contextmanager
    def census(self) -> Iterator[Census]:
        """Count the synchronous measurements (counter adds, histogram records)
        made while open (an SDK-internal hook: for the census run only, not timed)."""
        consumer = self.meter_provider._measurement_consumer  # noqa: SLF001
        original = consumer.consume_measurement
        found = Census()

        def counting(measurement: Any) -> None:
            found.measurements += 1
            name = measurement.instrument.name
            found.by_instrument[name] = found.by_instrument.get(name, 0) + 1
            if "Histogram" in type(measurement.instrument).__name__:
                found.histograms.add(name)
            original(measurement)

        consumer.consume_measurement = counting
        try:
            yield found
        finally:
            del consumer.consume_measurement
