"""``AlertManager``: named conditions evaluated on an interval; an alert fires
once when its condition holds (for ``for_duration``, if given) and resolves
when it stops holding.

    alerts = AlertManager()
    alerts.add_alert(
        name="job_system_unhealthy",
        condition=lambda: health_checker.get_system_health().status != "healthy",
        message="Job system is not healthy",
        severity="critical",
        for_duration=timedelta(minutes=2),        # optional
        on_fire=page_someone,                     # optional, sync or async
    )
    await alerts.start_monitoring(interval=timedelta(seconds=30))
    alerts.active_alerts                          # {"job_system_unhealthy": Alert(...)}
    await alerts.stop_monitoring()

Conditions return a bool or an awaitable of one. Firing and resolving become
log records on ``uno.jobs.alerts`` (the severity's level; INFO on resolve,
with ``alert_*`` attributes), the gauge ``uno_jobs.alerts {alert, severity}``
(1 while firing) and callbacks. A condition that raises is logged and never
fires an alert (an alert already firing keeps firing until its condition
answers False); a callback that raises is logged.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from uno.core.background import cancel_and_wait
from uno.core.monitoring.default_metrics import DefaultMetrics, default_metrics
from uno.core.timeutil import to_seconds

Condition = Callable[[], "bool | Awaitable[bool]"]
AlertCallback = Callable[["Alert"], "Any"]
SEVERITY_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR,
                   "critical": logging.CRITICAL}


@dataclass(eq=False)
class Alert:
    """An alert's definition and its current state."""

    name: str
    condition: Condition
    message: str
    severity: str = "warning"
    for_duration: timedelta | None = None
    on_fire: list[AlertCallback] = field(default_factory=list)
    on_resolve: list[AlertCallback] = field(default_factory=list)
    firing: bool = False
    pending_since: float | None = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    last_error: str | None = None
    _evaluating: bool = field(default=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "message": self.message, "severity": self.severity,
                "firing": self.firing,
                "fired_at": self.fired_at.isoformat() if self.fired_at else None,
                "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
                "last_error": self.last_error}


def _callbacks(value: AlertCallback | list[AlertCallback] | None) -> list[AlertCallback]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class AlertManager:
    def __init__(self, metrics: DefaultMetrics | None = None, logger: logging.Logger | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._metrics = metrics
        self.logger = logger or logging.getLogger("uno.jobs.alerts")
        self._clock = clock
        self._alerts: dict[str, Alert] = {}
        self._callbacks: list[AlertCallback] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def metrics(self) -> DefaultMetrics:
        if self._metrics is None:
            self._metrics = default_metrics()
        return self._metrics

    @property
    def alerts(self) -> dict[str, Alert]:
        return dict(self._alerts)

    @property
    def active_alerts(self) -> dict[str, Alert]:
        """The alerts firing now, by name."""
        return {name: alert for name, alert in self._alerts.items() if alert.firing}

    def add_alert(self, name: str, condition: Condition, message: str, severity: str = "warning",
                  for_duration: timedelta | None = None,
                  on_fire: AlertCallback | list[AlertCallback] | None = None,
                  on_resolve: AlertCallback | list[AlertCallback] | None = None) -> Alert:
        if severity not in SEVERITY_LEVELS:
            raise ValueError(f"severity must be one of {sorted(SEVERITY_LEVELS)}, got {severity!r}")
        if not callable(condition):
            raise TypeError(f"condition must be callable, got {condition!r}")
        if name in self._alerts:
            raise ValueError(f"an alert named {name!r} exists; remove_alert() it first")
        alert = Alert(name, condition, message, severity, for_duration,
                      _callbacks(on_fire), _callbacks(on_resolve))
        self._alerts[name] = alert
        self.metrics.set_alert(name, severity, False)
        return alert

    def remove_alert(self, name: str) -> bool:
        alert = self._alerts.pop(name, None)
        if alert is not None:
            self.metrics.set_alert(name, alert.severity, False)
        return alert is not None

    def add_callback(self, callback: AlertCallback) -> None:
        """Call ``callback(alert)`` whenever any alert fires or resolves (``alert.firing``)."""
        self._callbacks.append(callback)

    async def evaluate(self) -> dict[str, Alert]:
        """Evaluate every alert once; answer the alerts firing now."""
        for alert in list(self._alerts.values()):
            if not alert._evaluating:
                alert._evaluating = True
                try:
                    await self._evaluate(alert)
                finally:
                    alert._evaluating = False
        return self.active_alerts

    async def start_monitoring(self, interval: timedelta | float = timedelta(seconds=30)) -> None:
        """Evaluate at once, then every ``interval`` in a background task."""
        if self._task is not None and not self._task.done():
            return
        seconds = to_seconds(interval, "interval", positive=True)
        await self.evaluate()
        self._task = asyncio.create_task(self._loop(seconds), name="uno-jobs-alerts")

    async def stop_monitoring(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def _loop(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.evaluate()
            except Exception:  # evaluate() guards each alert; this is a last resort
                self.logger.exception("alert evaluation failed")

    async def _evaluate(self, alert: Alert) -> None:
        try:
            holds = alert.condition()
            if inspect.isawaitable(holds):
                holds = await holds
            holds, alert.last_error = bool(holds), None
        except Exception as exc:
            alert.last_error = f"{type(exc).__name__}: {exc}"
            alert.pending_since = None
            self.logger.warning("alert %s: condition raised %s", alert.name, alert.last_error,
                                exc_info=True, extra=self._attributes(alert, "error"))
            return
        if not holds:
            alert.pending_since = None
            if alert.firing:
                await self._resolve(alert)
            return
        if alert.firing:
            return
        now = self._clock()
        if alert.pending_since is None:
            alert.pending_since = now
        held = now - alert.pending_since
        if alert.for_duration is None or held >= to_seconds(alert.for_duration, "for_duration"):
            await self._fire(alert)

    async def _fire(self, alert: Alert) -> None:
        alert.firing, alert.fired_at, alert.resolved_at = True, datetime.now(UTC), None
        self.metrics.set_alert(alert.name, alert.severity, True)
        self.logger.log(SEVERITY_LEVELS[alert.severity], "alert %s firing: %s", alert.name,
                        alert.message, extra=self._attributes(alert, "firing"))
        await self._notify(alert, alert.on_fire + self._callbacks)

    async def _resolve(self, alert: Alert) -> None:
        alert.firing, alert.resolved_at = False, datetime.now(UTC)
        self.metrics.set_alert(alert.name, alert.severity, False)
        self.logger.info("alert %s resolved: %s", alert.name, alert.message,
                         extra=self._attributes(alert, "resolved"))
        await self._notify(alert, alert.on_resolve + self._callbacks)

    async def _notify(self, alert: Alert, callbacks: list[AlertCallback]) -> None:
        for callback in callbacks:
            try:
                outcome = callback(alert)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                self.logger.exception("alert %s: callback %r raised", alert.name, callback,
                                      extra=self._attributes(alert, "callback_error"))

    @staticmethod
    def _attributes(alert: Alert, state: str) -> dict[str, Any]:
        return {"alert_name": alert.name, "alert_severity": alert.severity,
                "alert_state": state, "alert_message": alert.message}


__all__ = ["SEVERITY_LEVELS", "Alert", "AlertCallback", "AlertManager", "Condition"]
