"""The SDK calls one job's telemetry needs, made bare: the floor the plugin's own logic sits on.

    shape = Shape(counter_adds=0, histogram_records=2, log_records=1)
    floor = FloorTelemetry(shape)            # on the global providers
    seconds = floor.run(5000)                # a tight loop: 5000 jobs' worth of SDK calls
    names = floor.install_in_situ()          # the same calls from the plugin's wrappers
    ...; floor.uninstall_in_situ(names)

Per job: a PRODUCER span and a CONSUMER span, started with the plugin's
attributes, each made current (attach/detach) while its work runs; an inject
into a metadata dict and an extract from it; ``counter_adds`` counter adds
and ``histogram_records`` histogram records while the span is current (so
they carry exemplars as the plugin's do); ``log_records`` INFO records emitted
through the OpenTelemetry logs API while the consumer span is current (as the
plugin emits an outcome record that only the pipeline receives, with as many
attributes). ``Shape`` comes from the census of the instrumented run, so the
floor makes as many SDK calls as the plugin does.

In situ, the recorder of the plugin's wrappers is replaced by one that makes
only these calls (the runtime's outcome record is taken by a record sink that
emits it through the logs API, bare): what the telemetry costs inside the
runtime with none of the plugin's logic.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from opentelemetry import _logs, metrics, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.instrumentation.uno_jobs import wrappers
from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig
from opentelemetry.instrumentation.uno_jobs.inflight import InFlight
from opentelemetry.instrumentation.uno_jobs.producer import EnqueueCall
from opentelemetry.instrumentation.uno_jobs.running_managers import RunningManagers
from opentelemetry.trace import SpanKind

from uno.jobs import job_event_log

BASE = {"messaging.system": "uno_jobs", "messaging.destination.name": "default",
        "uno_jobs.task.name": "noop", "uno_jobs.job.priority": "NORMAL"}
PRODUCE = {**BASE, "messaging.operation.type": "send", "messaging.operation.name": "enqueue"}
CONSUME = {**BASE, "messaging.operation.type": "process", "messaging.operation.name": "process",
           "uno_jobs.worker.name": "worker-1", "uno_jobs.job.retry_count": 0,
           "uno_jobs.job.attempt": 1}
BY_WORKER = {"queue": "default", "task": "noop", "worker": "worker-1"}
BY_TASK = {"queue": "default", "task": "noop", "priority": "NORMAL"}
RECORD_EXTRA = {"job_id": "0" * 32, "task_name": "noop", "queue_name": "default",
                "job_status": "completed", "retry_count": 0, "job_event": "completed",
                "wait_time": 0.0, "run_time": 0.0}
SITE = {"code.file.path": "job_event_log.py", "code.function.name": "job_event",
        "code.line.number": 1}  # as many attributes as the plugin's record


@dataclass(frozen=True)
class Shape:
    counter_adds: int = 0
    histogram_records: int = 2
    log_records: int = 1


class FloorTelemetry:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.tracer = trace.get_tracer("floor")
        meter = metrics.get_meter("floor")
        self.counters = [meter.create_counter(f"floor.counter{i}")
                         for i in range(shape.counter_adds)]
        self.histograms = [meter.create_histogram(f"floor.histogram{i}")
                           for i in range(shape.histogram_records)]
        self.log = _logs.get_logger("uno.jobs")
        self._pending: dict[str, tuple[Any, Any]] = {}

    # --- the calls, split as the wrappers split them ---

    def produce(self) -> tuple[Any, Any, dict[str, str]]:
        span = self.tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER, attributes=PRODUCE)
        current = trace.set_span_in_context(span)
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=current)
        return span, otel_context.attach(current), carrier

    def produced(self, span: Any, token: Any, job_id: str) -> None:
        span.set_attribute("messaging.message.id", job_id)
        for counter in self.counters[:1]:
            counter.add(1, BY_TASK)
        span.end()
        otel_context.detach(token)

    def consume(self, carrier: dict[str, str], job_id: str) -> tuple[Any, Any]:
        parent = propagate.extract(carrier, context=Context())
        span = self.tracer.start_span("process noop", context=parent, kind=SpanKind.CONSUMER,
                                      attributes={**CONSUME, "messaging.message.id": job_id})
        return span, otel_context.attach(trace.set_span_in_context(span, parent))

    def consumed(self, span: Any, token: Any, log: bool) -> None:
        for counter in self.counters[1:]:
            counter.add(1, BY_WORKER)
        for histogram in self.histograms:
            histogram.record(0.001, BY_TASK)
        if log:
            for _ in range(self.shape.log_records):
                self.emit_record("job 0 completed (noop, queue default)", RECORD_EXTRA)
        span.end()
        otel_context.detach(token)

    def emit_record(self, body: str, extra: dict[str, Any]) -> None:
        now = time.time_ns()
        self.log.emit(timestamp=now, observed_timestamp=now, context=otel_context.get_current(),
                      severity_number=SeverityNumber.INFO, severity_text="INFO", body=body,
                      attributes={**extra, **SITE})

    def sink(self, _logger: Any, _level: int, body: str, extra: dict[str, Any]) -> bool:
        self.emit_record(body, extra)
        return True

    def run(self, jobs: int) -> float:
        """CPU seconds for ``jobs`` jobs' worth of calls in a tight loop."""
        started = time.process_time()
        for _ in range(jobs):
            span, token, carrier = self.produce()
            self.produced(span, token, "0" * 32)
            span, token = self.consume(carrier, "0" * 32)
            self.consumed(span, token, log=True)
        return time.process_time() - started

    # --- in situ: the wrappers' recorder interface ---

    def install_in_situ(self) -> list[str]:
        if self.shape.log_records:  # the runtime's outcome record, through the logs API
            logging.getLogger("uno.jobs").setLevel(logging.INFO)
            job_event_log.set_record_sink(self.sink)
        if self.shape.log_records < 3:  # outcomes only: enqueued/started records not made
            job_event_log.set_progress_gate(lambda _logger: False)
        recorder = _InSitu(self)
        return wrappers.install(recorder, RunningManagers(recorder, None,
                                                           UnoJobsConfig(monitoring=False)))

    @staticmethod
    def uninstall_in_situ(names: list[str]) -> None:
        wrappers.uninstall(names)
        logging.getLogger("uno.jobs").setLevel(logging.NOTSET)
        job_event_log.set_progress_gate(None)
        job_event_log.set_record_sink(None)


class _InSitu:
    """Stands in for ``JobRecorder`` (happy path of no-op jobs only)."""

    def __init__(self, floor: FloorTelemetry) -> None:
        self.floor = floor
        self.producer = self
        self.in_flight = InFlight(self.stall_timeout)
        self.attempts: dict[str, tuple[Any, Any]] = {}

    @staticmethod
    def stall_timeout(manager: Any) -> float:
        return 1800.0

    def start(self, manager: Any, args: tuple, kwargs: dict) -> EnqueueCall:
        span, token, carrier = self.floor.produce()
        return EnqueueCall(args, {**kwargs, "metadata": carrier}, span, token, "", "", "")

    def end(self, call: EnqueueCall, result: Any) -> None:
        self.floor.produced(call.span, call.token, result.value)

    def start_attempt(self, manager: Any, job: Any, worker: Any) -> Any:
        self.attempts[job.id] = self.floor.consume(job.metadata, job.id)
        return job.id

    def attempt_started(self, attempt: Any, job: Any) -> None:
        pass

    def begin_finish(self, job: Any) -> str:
        return job.id

    def completed(self, job_id: str, job: Any, result: Any) -> None:
        span, token = self.attempts.pop(job_id)
        self.floor.consumed(span, token, log=False)  # the runtime logged, inside the span
