"""Counters kept as plain numbers, reported through observable counters when a
metric reader collects.

    totals = CounterTotals()                            # one per MetricsManager and counter
    shared = shared_counter(meter_provider, scope, "uno_jobs.job_started")
    shared.attach(totals)                               # its callback now reports them
    totals.add((("queue", "q"), ("task", "t")))         # a dict update under a lock
    shared.observe()                                    # [(1, {"queue": "q", "task": "t"})]

A synchronous SDK counter costs several µs per ``add`` (attribute hashing,
exemplar offers); a dict update under a lock costs a fraction of one. Every
``CounterTotals`` recording one metric on one meter provider is summed by one
``SharedCounter``, whose ``observe`` is the observable counter's callback: an
SDK meter keeps the callback of an instrument's first registration, so the
callback must not belong to one ``MetricsManager`` (a second one on the same
provider, e.g. after uninstrument/instrument, would be invisible). When a
``CounterTotals`` is garbage-collected its totals are folded into the shared
counter, so the reported running total never goes down.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Observation

Key = tuple[tuple[str, str], ...]  # sorted (attribute, value) pairs


class CounterTotals:
    """Running totals by attribute key, for one counter of one ``MetricsManager``."""

    __slots__ = ("values", "lock", "__weakref__")

    def __init__(self) -> None:
        self.values: dict[Key, float] = {}
        self.lock = threading.Lock()

    def add(self, key: Key, value: float = 1) -> None:
        with self.lock:
            self.values[key] = self.values.get(key, 0) + value

    def snapshot(self) -> dict[Key, float]:
        with self.lock:
            return dict(self.values)


class SharedCounter:
    """The sum of every attached ``CounterTotals`` (and of those already gone)."""

    def __init__(self) -> None:
        self._live: weakref.WeakSet[CounterTotals] = weakref.WeakSet()
        self._retired: dict[Key, float] = {}
        self._gone: list[dict[Key, float]] = []  # appended by finalizers (any time, any thread)
        self._lock = threading.Lock()

    def attach(self, totals: CounterTotals) -> None:
        with self._lock:
            self._live.add(totals)
        weakref.finalize(totals, self._gone.append, totals.values)

    def read(self) -> dict[Key, float]:
        with self._lock:
            while self._gone:
                for key, value in self._gone.pop().items():
                    self._retired[key] = self._retired.get(key, 0) + value
            result = dict(self._retired)
            live = list(self._live)
        for totals in live:
            for key, value in totals.snapshot().items():
                result[key] = result.get(key, 0) + value
        return result

    def observe(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        """The observable counter's callback."""
        return [Observation(value, dict(key)) for key, value in self.read().items()]


_lock = threading.Lock()
_by_provider: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], SharedCounter]] = \
    weakref.WeakKeyDictionary()


def shared_counter(meter_provider: Any, scope: str, name: str) -> SharedCounter:
    """The one ``SharedCounter`` of metric ``name`` on ``meter_provider``'s meter ``scope``."""
    with _lock:
        counters = _by_provider.setdefault(meter_provider, {})
        shared = counters.get((scope, name))
        if shared is None:
            shared = counters[scope, name] = SharedCounter()
        return shared
