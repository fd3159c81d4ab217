"""Span names and attributes of the producer and consumer spans (messaging
semantic conventions, ``messaging.system = "uno_jobs"``); every key comes from
``uno.jobs.monitoring.semconv``.

    attrs = SpanAttributes("stable")
    attrs.producer(queue="emails", task="send", priority="HIGH")   # a fresh dict
    attrs.consumer(queue="emails", task="send", priority="HIGH", worker="w1")
    attrs.shared_producer("emails", "send", "HIGH")   # the cached dict: read-only

The per-(queue, task, priority[, worker]) part is built once and cached (a
bounded cache: these values are bounded by the registered tasks and workers);
each call copies it, so callers may add the per-job keys. ``set_error`` and
``capture`` put a failure and a captured value on a span.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig
from opentelemetry.instrumentation.uno_jobs.utils import built_once, capture_value
from opentelemetry.trace import Span, StatusCode

from uno.jobs.monitoring import semconv as sc

ENQUEUE_SPAN = "enqueue"
PROCESS_SPAN = "process"
# values of messaging.operation.type / .name and of the legacy messaging.operation
_SEND, _PROCESS, _PUBLISH = "send", "process", "publish"


class SpanAttributes:
    def __init__(self, semconv_mode: str = "stable") -> None:
        self._stable = semconv_mode in ("stable", "dup")
        self._legacy = semconv_mode in ("legacy", "dup")
        self._producer: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._consumer: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def producer(self, queue: str, task: str, priority: str) -> dict[str, Any]:
        return dict(self.shared_producer(queue, task, priority))

    def consumer(self, queue: str, task: str, priority: str, worker: str) -> dict[str, Any]:
        return dict(self.shared_consumer(queue, task, priority, worker))

    def shared_producer(self, queue: str, task: str, priority: str) -> dict[str, Any]:
        """The cached dict itself (never to change: copy it to add keys)."""
        return built_once(self._producer, (queue, task, priority), self._new_producer)

    def shared_consumer(self, queue: str, task: str, priority: str, worker: str
                        ) -> dict[str, Any]:
        """``shared_producer`` for the consumer side."""
        return built_once(self._consumer, (queue, task, priority, worker), self._new_consumer)

    def _new_producer(self, queue: str, task: str, priority: str) -> dict[str, Any]:
        return self._base(queue, task, priority, _SEND, ENQUEUE_SPAN, _PUBLISH)

    def _new_consumer(self, queue: str, task: str, priority: str, worker: str) -> dict[str, Any]:
        base = self._base(queue, task, priority, _PROCESS, PROCESS_SPAN, _PROCESS)
        base[sc.SPAN_WORKER] = worker
        return base

    def _base(self, queue: str, task: str, priority: str, operation_type: str,
              operation_name: str, legacy_operation: str) -> dict[str, Any]:
        attributes: dict[str, Any] = {sc.SPAN_MESSAGING_SYSTEM: sc.MESSAGING_SYSTEM}
        if self._stable:
            attributes[sc.SPAN_OPERATION_TYPE] = operation_type
            attributes[sc.SPAN_OPERATION_NAME] = operation_name
        if self._legacy:
            attributes[sc.SPAN_OPERATION_LEGACY] = legacy_operation
        attributes[sc.SPAN_DESTINATION] = queue
        attributes[sc.SPAN_TASK] = task
        attributes[sc.SPAN_PRIORITY] = priority
        return attributes


def span_name(operation: str, task: str) -> str:
    return f"{operation} {task}"


def capture(span: Span, key: str, name: str, value: Any, config: UnoJobsConfig) -> None:
    """Record ``value`` (redacted, truncated JSON) on ``span`` under ``key``."""
    text = capture_value(name, value, config.capture_max_length, config.redact)
    if text is not None:
        span.set_attribute(key, text)


def set_error(span: Span, exc: BaseException, status: str | None = None) -> None:
    """ERROR status, the exception event and ``error.type`` (and the job status)."""
    if span.is_recording():
        span.record_exception(exc)
        attributes = {sc.SPAN_ERROR_TYPE: type(exc).__qualname__}
        if status is not None:
            attributes[sc.SPAN_STATUS] = status
        span.set_attributes(attributes)
        message = str(exc)
        span.set_status(StatusCode.ERROR,
                        f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
