"""``DroppedSpans``: counts the spans the SDK's ``BatchSpanProcessor`` drops, for
the ``uno_jobs.telemetry.dropped_spans`` observable counter.

    dropped = DroppedSpans(tracer_provider)   # None: the global provider
    dropped.read()     # [(12, {"error_type": "queue_full"}), ...]; finds new processors
    dropped.close()    # un-hooks them

The SDK drops a span when the processor's queue is full (or the span ends after
shutdown) and only logs it; it keeps no count unless its own opt-in metrics
(``OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED``) are on. Every drop goes through
the processor's ``drop_items`` hook (``BatchProcessor._metrics``), so each
batch span processor found under the SDK ``TracerProvider`` gets that hook
wrapped by a counter that forwards to the original: the count is exactly the
SDK's own, and nothing runs per span that is not dropped. These are private
SDK names (1.45): every step is guarded, and a provider or processor of another
shape is skipped (no series). Processors added after ``instrument()`` are found
at the next read (every metric collection reads).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace

from uno.jobs.monitoring import semconv as sc

_log = logging.getLogger(__name__)
QUEUE_FULL = "queue_full"  # the SDK's error types for a dropped span
_MAX_DEPTH = 4


class _DropCounter:
    """Stands in for a batch processor's metrics hook: counts drops, forwards all."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.dropped: Counter[str] = Counter()
        self._lock = threading.Lock()

    def drop_items(self, count: int, error_type: str = QUEUE_FULL) -> None:
        with self._lock:
            self.dropped[str(error_type)] += count
        self.inner.drop_items(count, error_type)

    def finish_items(self, count: int) -> None:
        self.inner.finish_items(count)

    def register_queue_size(self, get_queue_size: Any) -> None:
        self.inner.register_queue_size(get_queue_size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.dropped)


class DroppedSpans:
    def __init__(self, tracer_provider: Any = None) -> None:
        self._provider = tracer_provider
        self._hooked: list[tuple[Any, _DropCounter]] = []  # (batch processor, its counter)
        self._lock = threading.Lock()
        self._closed = False
        self.discover()

    def discover(self) -> int:
        """Hook the batch span processors not hooked yet; how many are hooked."""
        provider = self._provider if self._provider is not None else trace.get_tracer_provider()
        try:
            found = list(_batch_processors(getattr(provider, "_active_span_processor", None)))
        except Exception as exc:  # an SDK of another shape: no metric, never an error
            _log.debug("uno_jobs instrumentation: cannot inspect the span processors: %s", exc)
            return len(self._hooked)
        with self._lock:
            if self._closed:
                return 0
            for processor in found:
                metrics = getattr(processor, "_metrics", None)
                if isinstance(metrics, _DropCounter) or not callable(
                        getattr(metrics, "drop_items", None)):
                    continue
                counter = _DropCounter(metrics)
                processor._metrics = counter
                self._hooked.append((processor, counter))
            return len(self._hooked)

    def read(self) -> list[tuple[int, dict[str, str]]]:
        """(dropped spans, {error_type}) per reason; ``queue_full`` always once a
        batch processor is hooked, so the series exists before the first drop."""
        if self.discover() == 0:
            return []
        totals: Counter[str] = Counter({QUEUE_FULL: 0})
        with self._lock:
            counters = [counter for _processor, counter in self._hooked]
        for counter in counters:
            totals.update(counter.counts())
        return [(value, {sc.ATTR_ERROR_TYPE: reason}) for reason, value in totals.items()]

    def total(self) -> int:
        return sum(value for value, _attributes in self.read())

    def close(self) -> None:
        """Put the original hooks back (those nobody replaced since)."""
        with self._lock:
            self._closed = True
            hooked, self._hooked = self._hooked, []
        for processor, counter in hooked:
            if getattr(processor, "_metrics", None) is counter:
                processor._metrics = counter.inner


def _batch_processors(processor: Any, depth: int = 0) -> Iterator[Any]:
    """The SDK ``BatchProcessor``s under a span processor (multi-processors walked)."""
    if processor is None or depth > _MAX_DEPTH:
        return
    batch = getattr(processor, "_batch_processor", None)
    if batch is not None and hasattr(batch, "emit"):
        yield batch
    for child in getattr(processor, "_span_processors", None) or ():
        yield from _batch_processors(child, depth + 1)
