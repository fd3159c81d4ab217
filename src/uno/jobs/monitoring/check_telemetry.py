"""``HealthTelemetry``: health-check results become the gauge
``uno_jobs.health {check, status}`` and a log record on each status change.

    telemetry = HealthTelemetry()                    # default JobMetrics, "uno.jobs.health"
    telemetry.record("queue:emails", result)         # gauge: 1 for result.status, 0 for others

A change of status logs on ``uno.jobs.health``: WARNING when a check turns
degraded, ERROR when it turns unhealthy, INFO when it recovers. The record's
attributes are ``health_check``, ``health_status``, ``previous_status``
(``"unknown"`` on a first result), ``health_message`` and the check's details,
flattened to scalars as ``health.detail.<key>`` (at most ``MAX_DETAIL_ATTRIBUTES``).
A first result that is healthy logs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from uno.core.monitoring.health import HealthCheckResult, HealthStatus
from uno.jobs.monitoring.job_metrics import JobMetrics, default_job_metrics

DETAIL_PREFIX = "health.detail."
MAX_DETAIL_ATTRIBUTES = 64
_LEVELS = {HealthStatus.HEALTHY: logging.INFO, HealthStatus.DEGRADED: logging.WARNING,
           HealthStatus.UNHEALTHY: logging.ERROR}


def detail_attributes(details: Mapping[str, Any], prefix: str = DETAIL_PREFIX,
                      limit: int = MAX_DETAIL_ATTRIBUTES) -> dict[str, Any]:
    """Flatten nested ``details`` to log-attribute scalars: nested keys join with
    dots, lists of scalars stay lists (as strings when mixed), None is dropped."""
    flat: dict[str, Any] = {}

    def visit(value: Any, key: str) -> None:
        if len(flat) >= limit or value is None:
            return
        if isinstance(value, Mapping):
            for sub_key, sub_value in value.items():
                visit(sub_value, f"{key}.{sub_key}")
        elif isinstance(value, bool | int | float | str):
            flat[key] = value
        elif isinstance(value, list | tuple | set | frozenset):
            items = [v for v in value if v is not None]
            kinds = {type(v) for v in items}
            scalar = len(kinds) == 1 and kinds <= {bool, int, float, str}
            flat[key] = items if scalar else [str(v) for v in items]
        else:
            flat[key] = str(value)

    for name, value in details.items():
        visit(value, f"{prefix}{name}")
    return flat


class HealthTelemetry:
    """Remembers each check's last status; publishes gauges and transitions."""

    def __init__(self, metrics: JobMetrics | None = None,
                 logger: logging.Logger | None = None) -> None:
        self._metrics = metrics
        self.logger = logger or logging.getLogger("uno.jobs.health")
        self._last: dict[str, HealthStatus] = {}

    @property
    def metrics(self) -> JobMetrics:
        if self._metrics is None:
            self._metrics = default_job_metrics()
        return self._metrics

    def last_status(self, check: str) -> HealthStatus | None:
        return self._last.get(check)

    def record(self, check: str, result: HealthCheckResult) -> None:
        status = HealthStatus(result.status)
        previous = self._last.get(check)
        self._last[check] = status
        self.metrics.set_health(check, status.value)
        if status is previous or (previous is None and status is HealthStatus.HEALTHY):
            return
        self._log_transition(check, result, status, previous)

    def forget(self, check: str) -> None:
        """Drop a check's state and its gauge series (the check was removed)."""
        if self._last.pop(check, None) is not None:
            self.metrics.clear_health(check)

    def forget_all(self) -> None:
        for check in list(self._last):
            self.forget(check)

    def _log_transition(self, check: str, result: HealthCheckResult, status: HealthStatus,
                        previous: HealthStatus | None) -> None:
        level = _LEVELS[status]
        if not self.logger.isEnabledFor(level):
            return
        extra = {
            "health_check": check,
            "health_status": status.value,
            "previous_status": previous.value if previous is not None else "unknown",
            "health_message": result.message,
            **detail_attributes(result.details),
        }
        if status is HealthStatus.HEALTHY:
            self.logger.info("health check %s recovered (was %s): %s", check,
                             extra["previous_status"], result.message, extra=extra)
        else:
            self.logger.log(level, "health check %s is %s: %s", check, status.value,
                            result.message, extra=extra)


__all__ = ["DETAIL_PREFIX", "MAX_DETAIL_ATTRIBUTES", "HealthTelemetry", "detail_attributes"]
