"""Health-check building blocks: statuses, results, the check interface and
the aggregate a system reports.

    class DiskCheck(HealthCheck):
        name = "disk"

        async def check_health(self) -> HealthCheckResult:
            free = shutil.disk_usage("/").free
            if free < 1e9:
                return HealthCheckResult(HealthStatus.DEGRADED, "low disk", {"free": free})
            return HealthCheckResult(HealthStatus.HEALTHY, "ok", {"free": free})

    worst(HealthStatus.HEALTHY, HealthStatus.DEGRADED)   # HealthStatus.DEGRADED
    HealthStatus.DEGRADED == "degraded"                  # True: a str enum

``SystemHealth.aggregate(results)`` combines named results: the worst status wins.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HealthStatus(StrEnum):
    """A component's health; compares by severity (``HEALTHY < DEGRADED < UNHEALTHY``)
    and equals its string value."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    def _other_severity(self, other: object) -> int | None:
        if isinstance(other, str) and other in _SEVERITY_BY_VALUE:
            return _SEVERITY_BY_VALUE[other]
        return None

    def __lt__(self, other: object) -> bool:
        rank = self._other_severity(other)
        return NotImplemented if rank is None else self.severity < rank

    def __le__(self, other: object) -> bool:
        rank = self._other_severity(other)
        return NotImplemented if rank is None else self.severity <= rank

    def __gt__(self, other: object) -> bool:
        rank = self._other_severity(other)
        return NotImplemented if rank is None else self.severity > rank

    def __ge__(self, other: object) -> bool:
        rank = self._other_severity(other)
        return NotImplemented if rank is None else self.severity >= rank


_SEVERITY = {HealthStatus.HEALTHY: 0, HealthStatus.DEGRADED: 1, HealthStatus.UNHEALTHY: 2}
_SEVERITY_BY_VALUE = {status.value: rank for status, rank in _SEVERITY.items()}


def worst(*statuses: HealthStatus | str) -> HealthStatus:
    """The most severe of ``statuses``; ``HEALTHY`` when there are none."""
    return max((HealthStatus(s) for s in statuses), key=lambda s: s.severity,
               default=HealthStatus.HEALTHY)


@dataclass
class HealthCheckResult:
    """One check's outcome. ``details`` should be JSON-serialisable."""

    status: HealthStatus
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    timestamp: datetime = field(default_factory=_utcnow)

    def __post_init__(self) -> None:
        self.status = HealthStatus(self.status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "message": self.message,
            "details": self.details,
            "timestamp": self.timestamp.isoformat(),
        }


class HealthCheck(abc.ABC):
    """A named check. Subclasses set ``name`` and implement ``check_health``."""

    name: str

    @abc.abstractmethod
    async def check_health(self) -> HealthCheckResult:
        """Evaluate now. Raising is allowed: an aggregator reports it as unhealthy."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'name', '?')!r}>"


@dataclass
class SystemHealth:
    """The aggregate of several checks: the worst status wins."""

    status: HealthStatus
    message: str
    checks: dict[str, HealthCheckResult]
    timestamp: datetime = field(default_factory=_utcnow)

    @classmethod
    def aggregate(cls, checks: Mapping[str, HealthCheckResult]) -> SystemHealth:
        status = worst(*(result.status for result in checks.values()))
        failing = sorted(name for name, r in checks.items() if r.status is not HealthStatus.HEALTHY)
        if not checks:
            message = "no health checks registered"
        elif not failing:
            message = f"all {len(checks)} checks healthy"
        else:
            message = f"{status.value}: " + ", ".join(
                f"{name} ({checks[name].status.value})" for name in failing)
        return cls(status, message, dict(checks))

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
            "checks": {name: result.to_dict() for name, result in self.checks.items()},
        }


class HealthQuery:
    """What ``get_system_health()`` returns: ``await`` it for a fresh evaluation;
    read its attributes (``status``, ``message``, ``checks``, ``timestamp``,
    ``to_dict()``) for the latest completed one, without awaiting — so a plain
    lambda such as an alert condition can use it. Reading before any evaluation
    raises ``LookupError``."""

    __slots__ = ("_evaluate", "_latest")

    def __init__(self, evaluate: Callable[[], Awaitable[SystemHealth]],
                 latest: Callable[[], SystemHealth | None]) -> None:
        self._evaluate, self._latest = evaluate, latest

    def __await__(self) -> Generator[Any, None, SystemHealth]:
        return self._evaluate().__await__()

    @property
    def latest(self) -> SystemHealth:
        health = self._latest()
        if health is None:
            raise LookupError("no health evaluation has completed yet: await "
                              "get_system_health() or start() the checker first")
        return health

    @property
    def status(self) -> HealthStatus:
        return self.latest.status

    @property
    def message(self) -> str:
        return self.latest.message

    @property
    def checks(self) -> dict[str, HealthCheckResult]:
        return self.latest.checks

    @property
    def timestamp(self) -> datetime:
        return self.latest.timestamp

    def to_dict(self) -> dict[str, Any]:
        return self.latest.to_dict()


__all__ = ["HealthCheck", "HealthCheckResult", "HealthQuery", "HealthStatus", "SystemHealth",
           "worst"]
