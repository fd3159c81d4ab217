"""What runs beside each started ``JobManager`` while it is instrumented: the
monitoring (``ManagerMonitoring``: the queue/worker gauges' collector and the
health checker) and the sweep that ends abandoned attempts' spans.

    managers = RunningManagers(recorder, metrics, config)
    await managers.started(manager)    # after JobManager.start
    await managers.stopping(manager)   # before JobManager.stop
    managers.close()                   # uninstrument: stop everything still running

State is kept per manager in a ``WeakKeyDictionary``. Background tasks start
in an empty context, so they never run inside whatever span was current when
the manager started.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig
from opentelemetry.instrumentation.uno_jobs.recorder import JobRecorder
from opentelemetry.instrumentation.uno_jobs.utils import report_error

from uno.core.background import cancel_and_wait
from uno.jobs.monitoring.job_metrics import JobMetrics
from uno.jobs.monitoring.manager_monitoring import ManagerMonitoring

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager

_background: set[asyncio.Task[Any]] = set()  # strong references to fire-and-forget tasks
MAX_SWEEP_INTERVAL = 30.0


@dataclass
class _Running:
    loop: asyncio.AbstractEventLoop
    sweeper: asyncio.Task[None] | None = None
    monitoring: ManagerMonitoring | None = None
    closed: bool = False


class RunningManagers:
    def __init__(self, recorder: JobRecorder, metrics: JobMetrics, config: UnoJobsConfig) -> None:
        self._recorder = recorder
        self._metrics = metrics
        self._config = config
        self._running: weakref.WeakKeyDictionary[Any, _Running] = weakref.WeakKeyDictionary()
        self._live: set[int] = set()  # id() of the managers whose background work runs

    def is_tracking(self, manager: JobManager) -> bool:
        """True from ``started`` (or ``adopt``) until ``stopping`` (a set lookup:
        the ``start_job`` wrapper asks for every job)."""
        return id(manager) in self._live

    def monitoring_of(self, manager: JobManager) -> Any:
        state = self._running.get(manager)
        return state.monitoring if state is not None else None

    async def started(self, manager: JobManager) -> None:
        if self.is_tracking(manager) or not manager.running:
            return
        await self._start(manager, self._register(manager))

    def adopt(self, manager: JobManager) -> None:
        """A manager started before ``instrument()``: start its background work now."""
        if manager in self._running or not manager.running:
            return  # tracked (maybe stopping), or not running
        state = self._register(manager)
        _spawn(state.loop, functools.partial(self._start, manager, state))

    async def stopping(self, manager: JobManager) -> None:
        """Before ``JobManager.stop``: stop the background work. The manager stays
        registered (so a job starting meanwhile does not restart it) until ``stopped``."""
        state = self._running.get(manager)
        self._live.discard(id(manager))
        if state is not None and not state.closed:
            state.closed = True
            await _stop(state)

    def stopped(self, manager: JobManager) -> None:
        """After ``JobManager.stop``."""
        state = self._running.get(manager)
        if state is not None and state.closed:
            del self._running[manager]

    def _register(self, manager: JobManager) -> _Running:
        state = self._running[manager] = _Running(asyncio.get_running_loop())
        self._live.add(id(manager))
        weakref.finalize(manager, self._live.discard, id(manager))
        return state

    def close(self) -> None:
        """Stop every manager's background work (from any thread)."""
        states = list(self._running.values())
        self._running.clear()
        self._live.clear()
        for state in states:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                state.loop.call_soon_threadsafe(_spawn, state.loop, functools.partial(_stop, state))

    async def _start(self, manager: JobManager, state: _Running) -> None:
        token = otel_context.attach(Context())
        try:
            state.sweeper = asyncio.create_task(self._sweep_loop(weakref.ref(manager)),
                                                name="uno-jobs-otel-sweep")
            if self._config.monitoring:
                state.monitoring = await self._start_monitoring(manager)
        finally:
            otel_context.detach(token)

    async def _start_monitoring(self, manager: JobManager) -> ManagerMonitoring:
        health = self._config.health_check_interval
        if health is None:
            health = manager.health_check_interval.total_seconds()
        monitoring = ManagerMonitoring(manager, self._metrics,
                                       collection_interval=self._config.collection_interval,
                                       health_interval=health)
        await monitoring.start()
        return monitoring

    async def _sweep_loop(self, manager_ref: weakref.ref[Any]) -> None:
        while (manager := manager_ref()) is not None:
            interval = max(0.05, min(self._recorder.stall_timeout(manager) / 4,
                                     MAX_SWEEP_INTERVAL))
            del manager
            await asyncio.sleep(interval)
            try:
                self._recorder.in_flight.sweep()
            except Exception as exc:
                report_error("the in-flight sweep", exc)


async def _stop(state: _Running) -> None:
    sweeper, state.sweeper = state.sweeper, None
    await cancel_and_wait(sweeper)
    monitoring, state.monitoring = state.monitoring, None
    if monitoring is not None:
        await monitoring.stop()


def _spawn(loop: asyncio.AbstractEventLoop, make: Callable[[], Awaitable[None]]) -> None:
    task = loop.create_task(_logged(make()))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _logged(coroutine: Awaitable[None]) -> None:
    try:
        await coroutine
    except Exception as exc:
        report_error("the manager's background work", exc)
