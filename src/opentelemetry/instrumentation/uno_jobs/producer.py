"""``EnqueueRecorder``: the PRODUCER span of ``JobManager.enqueue`` and its
metrics (``job_enqueued``, or the messaging ``sent.messages`` and operation
duration: ``JobEventMetrics``); the trace context goes into a copy of the metadata.

    call = producer.start(manager, args, kwargs)   # span current, metadata injected
    result = await enqueue(*call.args, **call.kwargs)
    producer.end(call, result)                     # or producer.raised(call, exc)

Jobs the scheduler creates (metadata ``{"schedule": name}``) get a root span:
each scheduled run is a trace of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.uno_jobs.attributes import (
    ENQUEUE_SPAN,
    SpanAttributes,
    capture,
    set_error,
    span_name,
)
from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig
from opentelemetry.instrumentation.uno_jobs.enqueue_call import EnqueueArguments, default
from opentelemetry.instrumentation.uno_jobs.job_event_metrics import JobEventMetrics
from opentelemetry.instrumentation.uno_jobs.propagation import inject
from opentelemetry.instrumentation.uno_jobs.utils import built_once, priority_name
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer

from uno.jobs.manager import JobManager
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_series import JobSeries

SCHEDULE_METADATA_KEY = "schedule"  # set by uno.jobs.scheduler on the jobs it creates
ENQUEUE_REJECTED = "enqueue_rejected"  # error.type of an enqueue answered with a failed Result
_NORMAL = default("priority")


@dataclass(slots=True)
class EnqueueCall:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    span: Span
    token: Any
    queue: str
    task: str
    priority: str
    started: float = 0.0  # time.perf_counter() before the wrapped enqueue (when timed)
    series: JobSeries | None = None  # the uno metrics of (queue, task, priority)


@dataclass(frozen=True, slots=True)
class _Kind:
    """The span name, span attributes (shared: copied per span) and metric
    series of one (queue, task, priority) of enqueue."""

    name: str
    attributes: dict[str, Any]
    queue: str
    priority: str
    series: JobSeries | None


class EnqueueRecorder:
    def __init__(self, tracer: Tracer, metrics: JobEventMetrics, config: UnoJobsConfig,
                 attributes: SpanAttributes) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.config = config
        self._attributes = attributes
        self._kinds: dict[tuple[str, str, Any], _Kind] = {}
        self._timed = metrics.messaging is not None  # the operation duration is recorded

    def start(self, manager: JobManager, args: tuple[Any, ...], kwargs: dict[str, Any]
              ) -> EnqueueCall:
        call = EnqueueArguments.bind(args, kwargs)  # None: enqueue raises; the span records it
        named = call.named if call is not None else {}
        task = str(named.get("task_name"))
        queue = named.get("queue_name")
        if queue is None:
            definition = manager.get_task(task)
            queue = definition.queue if definition is not None else ""
        kind = built_once(self._kinds, (str(queue), task, named.get("priority", _NORMAL)),
                          self._new_kind)
        metadata = named.get("metadata")
        mapping = metadata is None or _is_mapping(metadata)
        scheduled = metadata is not None and mapping and SCHEDULE_METADATA_KEY in metadata
        parent = Context() if scheduled else None  # each scheduled run: a trace of its own
        attributes = dict(kind.attributes)  # a copy: a sampler may change what it is given
        if scheduled:
            attributes[sc.SPAN_SCHEDULE] = str(metadata[SCHEDULE_METADATA_KEY])
        span = self.tracer.start_span(kind.name, context=parent, kind=SpanKind.PRODUCER,
                                      attributes=attributes)
        try:
            if self.config.capture_args and span.is_recording():
                capture(span, sc.SPAN_ARGS, "args", _arg(call, "args"), self.config)
                capture(span, sc.SPAN_KWARGS, "kwargs", _arg(call, "kwargs"), self.config)
            current = trace.set_span_in_context(span, parent)
            if call is not None and mapping:
                args, kwargs = call.with_metadata(inject(metadata, current))  # else rejected
        except BaseException:
            span.end()  # the wrapper then runs enqueue without telemetry
            raise
        token = otel_context.attach(current)
        return EnqueueCall(args, kwargs, span, token, kind.queue, task, kind.priority,
                           perf_counter() if self._timed else 0.0, kind.series)

    def _new_kind(self, queue: str, task: str, priority: Any) -> _Kind:
        """What every enqueue of (queue, task, priority) shares."""
        priority = priority_name(priority)
        return _Kind(span_name(ENQUEUE_SPAN, task),
                     self._attributes.shared_producer(queue, task, priority),
                     queue, priority, self.metrics.series(queue, task, priority))

    def end(self, call: EnqueueCall, result: Any) -> None:
        span = call.span
        try:
            stored = getattr(result, "is_success", False)
            if stored:
                if span.is_recording():
                    span.set_attribute(sc.SPAN_MESSAGE_ID, str(result.value))
            elif span.is_recording():
                span.set_attribute(sc.SPAN_ERROR_TYPE, ENQUEUE_REJECTED)
                span.set_status(StatusCode.ERROR, str(getattr(result, "error", "")))
            self._record(call, None if stored else ENQUEUE_REJECTED)  # a broken meter: span intact
        finally:
            span.end()
            otel_context.detach(call.token)

    def raised(self, call: EnqueueCall, exc: BaseException) -> None:
        try:
            set_error(call.span, exc)
            self._record(call, type(exc).__qualname__)
        finally:
            call.span.end()
            otel_context.detach(call.token)

    def _record(self, call: EnqueueCall, error_type: str | None) -> None:
        """The enqueue's metrics, while its span is current (exemplars point at it)."""
        self.metrics.enqueued(call.queue, call.task, call.priority,
                              perf_counter() - call.started, error_type, call.series)


def _arg(call: EnqueueArguments | None, name: str) -> Any:
    """The argument ``name`` of an ``enqueue`` call, or its default."""
    return call.get(name) if call is not None else default(name)


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)
