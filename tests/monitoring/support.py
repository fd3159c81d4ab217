"""Shared pieces of the monitoring tests: JobMetrics on an in-memory SDK reader,
a test case owning storages and managers, and small helpers.

    metrics, reader = metrics_with_reader()
    metrics.record_job_enqueued("q", "t", "HIGH")
    gauge_points(reader, "uno_jobs.queue_length")   # {(("queue","q"),("status","pending")): 3}
"""

from __future__ import annotations

import tempfile
import unittest
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricsData

from postgres_support import drop_schema, new_schema, require_postgres
from runtime.support import eventually  # noqa: F401 - re-exported for these tests
from uno.core.monitoring.health import HealthCheck, HealthCheckResult, HealthStatus
from uno.jobs import (
    AsyncWorker,
    InMemoryJobStorage,
    JobManager,
    JobStorage,
    PostgresJobStorage,
    SQLiteJobStorage,
)
from uno.jobs.monitoring.job_metrics import JobMetrics, set_default_job_metrics

Key = tuple[tuple[str, str], ...]


def metrics_with_reader() -> tuple[JobMetrics, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return JobMetrics(meter_provider=MeterProvider(metric_readers=[reader])), reader


def all_points(data: MetricsData | None) -> dict[str, dict[Key, Any]]:
    """Metric name -> frozen attributes -> data point, from one collection."""
    found: dict[str, dict[Key, Any]] = {}
    for resource in (data.resource_metrics if data else ()):
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points = found.setdefault(metric.name, {})
                for point in metric.data.data_points:
                    points[tuple(sorted(point.attributes.items()))] = point
    return found


def gauge_points(reader: InMemoryMetricReader, name: str) -> dict[Key, float]:
    points = all_points(reader.get_metrics_data()).get(name, {})
    return {key: point.value for key, point in points.items()}


def key(**attributes: str) -> Key:
    return tuple(sorted(attributes.items()))


def fast_worker(**options: Any) -> AsyncWorker:
    options.setdefault("poll_interval", 0.02)
    options.setdefault("shutdown_timeout", 2.0)
    return AsyncWorker(**options)


class SettableCheck(HealthCheck):
    """A check whose outcome the test sets (or makes raise)."""

    def __init__(self, name: str, status: HealthStatus = HealthStatus.HEALTHY,
                 details: dict[str, Any] | None = None) -> None:
        self.name, self.status, self.details = name, status, details or {}
        self.error: BaseException | None = None
        self.calls = 0

    async def check_health(self) -> HealthCheckResult:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return HealthCheckResult(self.status, f"{self.name} is {self.status.value}",
                                 dict(self.details))


class MonitoringCase(unittest.IsolatedAsyncioTestCase):
    """Owns a storage (memory, or SQLite / PostgreSQL with ``storage_kind =
    "sqlite"`` / ``"postgres"``: a schema of its own, dropped after the test),
    the managers and a fresh default ``JobMetrics`` on an in-memory reader."""

    storage_kind = "memory"

    async def asyncSetUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.db_path = Path(self._tmp.name) / "jobs.db"
        self.pg_schema = new_schema() if self.storage_kind == "postgres" else None
        self.storage: JobStorage = (
            InMemoryJobStorage() if self.storage_kind == "memory"
            else PostgresJobStorage(require_postgres(), schema=self.pg_schema)
            if self.pg_schema is not None else SQLiteJobStorage(self.db_path))
        self._managers: list[JobManager] = []
        self._async_cleanups: list[Callable[[], Awaitable[Any]]] = []
        self.metrics, self.reader = metrics_with_reader()
        set_default_job_metrics(self.metrics)

    async def asyncTearDown(self) -> None:
        for cleanup in reversed(self._async_cleanups):
            await cleanup()
        for manager in reversed(self._managers):
            await manager.stop()
        await self.storage.close()
        if self.pg_schema is not None:
            await drop_schema(self.pg_schema)
        set_default_job_metrics(None)
        self._tmp.cleanup()

    def later(self, cleanup: Callable[[], Awaitable[Any]]) -> None:
        """Await ``cleanup()`` at teardown (before managers stop)."""
        self._async_cleanups.append(cleanup)

    def manager(self, workers: Sequence[AsyncWorker] | None = None, **options: Any) -> JobManager:
        manager = JobManager(self.storage, workers=workers, **options)
        self._managers.append(manager)
        return manager

    async def enqueue_ok(self, manager: JobManager, task_name: str, **options: Any) -> str:
        result = await manager.enqueue(task_name, **options)
        self.assertTrue(result.is_success, result.error)
        return result.value
