"""``StorageHealthCheck``: can the job store be read, and how fast?

    check = StorageHealthCheck(manager.storage, timeout=5.0)
    result = await check.check_health()
    result.status, result.details["latency_ms"], result.details["store"]

One ``storage.ping()`` per evaluation. HEALTHY when it answers within
``timeout`` seconds (its latency in ``details``); UNHEALTHY when it raises
(a store that cannot be opened or reached: the message names the store and the
cause) or does not answer in time. ``JobSystemHealthChecker`` adds it, named
``storage``, for its manager's store.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from uno.core.monitoring.health import HealthCheck, HealthCheckResult, HealthStatus

if TYPE_CHECKING:
    from uno.jobs.storage.base import JobStorage

DEFAULT_TIMEOUT = 5.0


class StorageHealthCheck(HealthCheck):
    name = "storage"

    def __init__(self, storage: JobStorage, timeout: float = DEFAULT_TIMEOUT) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.storage = storage
        self.timeout = timeout

    async def check_health(self) -> HealthCheckResult:
        store = self.storage.describe()
        details: dict[str, object] = {"store": store, "timeout_s": self.timeout}
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.storage.ping(), self.timeout)
        except TimeoutError:
            return HealthCheckResult(
                HealthStatus.UNHEALTHY, f"{store} did not answer within {self.timeout:g} s",
                {**details, "error_type": "TimeoutError"})
        except Exception as exc:
            message = str(exc) if store in str(exc) else f"{store}: {exc}"
            return HealthCheckResult(HealthStatus.UNHEALTHY, message,
                                     {**details, "error_type": type(exc).__name__})
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return HealthCheckResult(HealthStatus.HEALTHY, f"{store} answered in {latency_ms} ms",
                                 {**details, "latency_ms": latency_ms})


__all__ = ["DEFAULT_TIMEOUT", "StorageHealthCheck"]
