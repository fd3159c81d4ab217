"""What each kind of SDK call costs under the zero-code providers, in a tight loop.

    python benchmarks/sdk_calls.py [--calls 2000] [--repeats 15]

The evidence for what the telemetry of one job can cost at best: µs per call
(CPU time, the best of ``--repeats`` loops of ``--calls`` calls, interleaved:
load only adds to a loop's time) of each SDK call kind the plugin makes per job, and of the
alternatives the SDK offers (attributes given at start or set after, one
propagator or the default two, exemplars on or off, a log record through the
logs API or through ``logging`` and the SDK handler). Then the sums: the
calls one uno_jobs job needs (``sdk_floor``'s: 2 spans, inject and extract,
2 histogram points, 1 log record) against those ``CeleryInstrumentor`` makes
per task (2 spans, inject and extract, 1 histogram point), and their ratio:
what the whole telemetry would cost against Celery's with no plugin logic at
all on either side.
"""

from __future__ import annotations

import argparse
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import _logs, metrics, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sdk_floor import BY_TASK, CONSUME, PRODUCE, RECORD_EXTRA, SITE
from zero_code_providers import ZeroCodeProviders

CONSUMER_ATTRIBUTES = {**CONSUME, "messaging.message.id": "0" * 32}
RECORD_ATTRIBUTES = {**RECORD_EXTRA, **SITE}  # as many as the plugin's outcome record


class Calls:
    """The calls, on the global (zero-code) providers."""

    def __init__(self) -> None:
        self.tracer = trace.get_tracer("sdk_calls")
        meter = metrics.get_meter("sdk_calls")
        self.histogram = meter.create_histogram("sdk_calls.histogram")
        self.counter = meter.create_counter("sdk_calls.counter")
        no_exemplars = MeterProvider(metric_readers=[InMemoryMetricReader()],
                                     exemplar_filter=AlwaysOffExemplarFilter())
        self.histogram_off = no_exemplars.get_meter("sdk_calls").create_histogram("h")
        self.log = _logs.get_logger("uno.jobs")
        self.logging = logging.getLogger("sdk_calls.info")
        self.logging.setLevel(logging.INFO)  # to the root's SDK LoggingHandler
        self.span = self.tracer.start_span("current")
        self.current = trace.set_span_in_context(self.span)
        self.carrier: dict[str, str] = {}
        propagate.inject(self.carrier, context=self.current)
        self.trace_context = TraceContextTextMapPropagator()

    def producer_span(self) -> None:
        self.tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER, attributes=PRODUCE).end()

    def producer_span_set_after(self) -> None:
        span = self.tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER)
        span.set_attributes(PRODUCE)
        span.end()

    def producer_span_one_by_one(self) -> None:
        span = self.tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER)
        for key, value in PRODUCE.items():
            span.set_attribute(key, value)
        span.end()

    def bare_span(self) -> None:
        self.tracer.start_span("enqueue noop", kind=SpanKind.PRODUCER).end()

    def consumer_span(self) -> None:
        parent = propagate.extract(self.carrier, context=Context())
        self.tracer.start_span("process noop", context=parent, kind=SpanKind.CONSUMER,
                               attributes=CONSUMER_ATTRIBUTES).end()

    def extract(self) -> None:
        propagate.extract(self.carrier, context=Context())

    def extract_trace_context(self) -> None:
        self.trace_context.extract(self.carrier, context=Context())

    def inject(self) -> None:
        propagate.inject({}, context=self.current)

    def inject_trace_context(self) -> None:
        self.trace_context.inject({}, context=self.current)

    def set_attribute(self) -> None:
        self.span.set_attribute("messaging.message.id", "0" * 32)

    def attach_detach(self) -> None:
        otel_context.detach(otel_context.attach(trace.set_span_in_context(self.span)))

    def histogram_record(self) -> None:
        self.histogram.record(0.001, BY_TASK)

    def histogram_record_no_exemplars(self) -> None:
        self.histogram_off.record(0.001, BY_TASK)

    def counter_add(self) -> None:
        self.counter.add(1, BY_TASK)

    def log_record(self, attributes: dict[str, Any] | None = RECORD_ATTRIBUTES) -> None:
        now = time.time_ns()
        self.log.emit(timestamp=now, observed_timestamp=now, context=otel_context.get_current(),
                      severity_number=SeverityNumber.INFO, severity_text="INFO",
                      body="job 0 completed (noop, queue default)", attributes=attributes)

    def log_record_bare(self) -> None:
        self.log_record(None)

    def logging_record(self) -> None:
        self.logging.info("job %s completed (%s, queue %s)", "0" * 32, "noop", "default",
                          extra=RECORD_EXTRA)


def best_of(calls: dict[str, Callable[[], None]], count: int, repeats: int) -> dict[str, float]:
    """µs per call of each: the best of ``repeats`` loops of ``count`` calls,
    the calls interleaved round by round (a slower spell of the machine hits all)."""
    fastest = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for name, call in calls.items():
            gc.collect()
            started = time.process_time()
            for _ in range(count):
                call()
            fastest[name] = min(fastest[name], time.process_time() - started)
    return {name: seconds / count * 1e6 for name, seconds in fastest.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=15)
    options = parser.parse_args()
    ZeroCodeProviders.install(3600.0)
    c = Calls()
    token = otel_context.attach(c.current)  # metrics and records inside a span, as per job
    table = [
        ("PRODUCER span, 7 attributes at start, ended", c.producer_span),
        ("  the same, attributes by set_attributes after start", c.producer_span_set_after),
        ("  the same, attributes by set_attribute one by one", c.producer_span_one_by_one),
        ("  a span with no attributes", c.bare_span),
        ("CONSUMER span, 11 attributes, parent extracted, ended", c.consumer_span),
        ("  extract (tracecontext + baggage: the default)", c.extract),
        ("  extract, tracecontext only", c.extract_trace_context),
        ("inject (tracecontext + baggage)", c.inject),
        ("  inject, tracecontext only", c.inject_trace_context),
        ("set_attribute on a live span", c.set_attribute),
        ("set_span_in_context + attach + detach", c.attach_detach),
        ("histogram record, exemplar offered (trace_based)", c.histogram_record),
        ("  the same, exemplar filter always_off", c.histogram_record_no_exemplars),
        ("synchronous counter add (not made: counters are observable)", c.counter_add),
        ("log record through the logs API, 11 attributes", c.log_record),
        ("  the same, no attributes", c.log_record_bare),
        ("  a logging record translated by the SDK LoggingHandler", c.logging_record),
    ]
    cost = best_of({call.__name__: call for _, call in table}, options.calls, options.repeats)
    otel_context.detach(token)
    print(f"µs per call, best of {options.repeats} interleaved loops of {options.calls} calls:")
    for label, call in table:
        print(f"  {cost[call.__name__]:7.2f}  {label}")
    spans = (cost["producer_span"] + cost["consumer_span"] + cost["inject"]
             + 2 * cost["attach_detach"])
    celery = spans + cost["histogram_record"]
    ours = spans + cost["set_attribute"] + 2 * cost["histogram_record"] + cost["log_record"]
    print(f"  the SDK calls of one Celery task (2 spans, propagation, 1 histogram): {celery:.1f}")
    print(f"  the SDK calls of one uno_jobs job (2 spans, propagation, 2 histograms, "
          f"1 log record): {ours:.1f}")
    print(f"  ratio with no plugin logic on either side: {ours / celery:.2f}")


if __name__ == "__main__":
    main()
