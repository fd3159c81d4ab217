"""The PRODUCER span of ``JobManager.enqueue_many``: one span for the batch
(``enqueue_many {task}``, ``messaging.batch.message_count``), whose context goes
into the metadata every job of the batch carries, so each job's CONSUMER span
continues the enqueuing trace. ``job_enqueued`` counts every stored job.

    call = start_batch(recorder.producer, manager, args, kwargs)   # the span, current
    result = await manager.enqueue_many(*call.args, **call.kwargs)
    end_batch(recorder.producer, call, result)   # one job_enqueued per stored job
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sized
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.uno_jobs.attributes import span_name
from opentelemetry.instrumentation.uno_jobs.producer import EnqueueCall, EnqueueRecorder
from opentelemetry.instrumentation.uno_jobs.propagation import inject
from opentelemetry.instrumentation.uno_jobs.utils import priority_name
from opentelemetry.trace import SpanKind

from uno.jobs.job import Priority
from uno.jobs.monitoring import semconv as sc

OPERATION = "enqueue_many"


def start_batch(producer: EnqueueRecorder, manager: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> EnqueueCall:
    task = str(args[0] if args else kwargs.get("task_name"))
    args_list = args[1] if len(args) > 1 else kwargs.get("args_list")
    queue = kwargs.get("queue_name")
    if queue is None:
        definition = manager.get_task(task)
        queue = definition.queue if definition is not None else ""
    priority = priority_name(kwargs.get("priority", Priority.NORMAL))
    attributes = producer._attributes.producer(str(queue), task, priority)
    if sc.SPAN_OPERATION_NAME in attributes:
        attributes[sc.SPAN_OPERATION_NAME] = OPERATION
    attributes[sc.SPAN_BATCH_MESSAGE_COUNT] = len(args_list) if isinstance(args_list, Sized) else 0
    span = producer.tracer.start_span(span_name(OPERATION, task), kind=SpanKind.PRODUCER,
                                      attributes=attributes)
    current = trace.set_span_in_context(span)
    metadata = kwargs.get("metadata")
    try:
        if metadata is None or isinstance(metadata, Mapping):  # else enqueue_many rejects it
            kwargs = {**kwargs, "metadata": inject(metadata, current)}
    except BaseException:
        span.end()  # the wrapper then runs enqueue_many without telemetry
        raise
    token = otel_context.attach(current)
    return EnqueueCall(args, kwargs, span, token, str(queue), task, priority, time.perf_counter())


def end_batch(producer: EnqueueRecorder, call: EnqueueCall, result: Any) -> None:
    if not getattr(result, "is_success", False):
        producer.end(call, result)  # the rejected batch: ERROR status, one failed send
        return
    try:
        seconds = time.perf_counter() - call.started
        for _ in result.value:
            producer.metrics.enqueued(call.queue, call.task, call.priority, seconds, None)
    finally:
        call.span.end()
        otel_context.detach(call.token)


__all__ = ["end_batch", "start_batch"]
