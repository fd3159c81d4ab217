"""Shared pieces of the plugin tests: a ``TestBase`` case with the plugin
instrumented on its in-memory providers, managers stopped after each test,
and helpers to find spans and metric points.

    class MyTests(PluginCase):
        async def test_x(self):
            manager = self.manager()
            @manager.task(max_retries=0)
            async def ok(): return 1
            job = await self.run_job(manager, "ok")
            producer, consumer = self.producer("ok"), self.consumers("ok")[0]
"""

from __future__ import annotations

import asyncio
import tempfile
import unittest
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor, utils
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.test.test_base import TestBase
from opentelemetry.trace import SpanKind

from monitoring.support import all_points
from uno.jobs import AsyncWorker, InMemoryJobStorage, Job, JobManager, JobStorage, SQLiteJobStorage

Key = tuple[tuple[str, Any], ...]


def fast_worker(**options: Any) -> AsyncWorker:
    options.setdefault("poll_interval", 0.02)
    options.setdefault("shutdown_timeout", 2.0)
    return AsyncWorker(**options)


def key(**attributes: Any) -> Key:
    return tuple(sorted(attributes.items()))


def register_flaky(manager: JobManager, error: Exception) -> None:
    """Task ``flaky`` (one retry, no delay): its first attempt raises ``error``,
    the second succeeds."""
    calls: list[int] = []

    @manager.task(max_retries=1, retry_delay=0)
    async def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise error


class PluginCase(TestBase, unittest.IsolatedAsyncioTestCase):
    """The plugin instrumented with ``instrument_options`` on TestBase's providers."""

    instrument_options: dict[str, Any] = {}

    def setUp(self) -> None:
        super().setUp()
        utils._reported.clear()  # each test sees its first instrumentation error logged
        self.instrumentor = UnoJobsInstrumentor()
        self.instrument()
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp_path = Path(self._tmp.name)
        self._managers: list[JobManager] = []
        self._storages: list[JobStorage] = []

    def instrument(self, **options: Any) -> None:
        self.instrumentor.instrument(tracer_provider=self.tracer_provider,
                                     meter_provider=self.meter_provider,
                                     **{**self.instrument_options, **options})

    async def asyncTearDown(self) -> None:
        for manager in reversed(self._managers):
            await manager.stop()
        for storage in self._storages:
            await storage.close()

    def tearDown(self) -> None:
        if self.instrumentor.is_instrumented_by_opentelemetry:
            self.instrumentor.uninstrument()
        self._tmp.cleanup()
        super().tearDown()

    # --- runtime helpers ---

    def storage(self, kind: str = "memory") -> JobStorage:
        storage = (InMemoryJobStorage() if kind == "memory"
                   else SQLiteJobStorage(str(self.tmp_path / "jobs.db")))
        self._storages.append(storage)
        return storage

    def manager(self, storage: JobStorage | None = None, workers: list[Any] | None = None,
                **options: Any) -> JobManager:
        manager = JobManager(storage=storage or self.storage(),
                             workers=[fast_worker()] if workers is None else workers, **options)
        self._managers.append(manager)
        return manager

    async def run_job(self, manager: JobManager, task: str, timeout: float = 5,
                      **enqueue: Any) -> Job:
        """Enqueue ``task`` on a started ``manager`` and wait until it finishes."""
        if not manager.running:
            await manager.start()
        result = await manager.enqueue(task, **enqueue)
        self.assertTrue(result.is_success, result.error)
        return await manager.wait_for_job(result.value, timeout=timeout)

    async def eventually(self, condition: Any, timeout: float = 3.0, what: str = "") -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                self.fail(f"timed out waiting for {what or condition}")
            await asyncio.sleep(0.01)

    # --- span helpers ---

    def spans(self, kind: SpanKind | None = None, name: str | None = None) -> list[ReadableSpan]:
        return [s for s in self.memory_exporter.get_finished_spans()
                if (kind is None or s.kind is kind) and (name is None or s.name == name)]

    def producer(self, task: str) -> ReadableSpan:
        found = self.spans(SpanKind.PRODUCER, f"enqueue {task}")
        self.assertEqual(len(found), 1, [s.name for s in self.spans()])
        return found[0]

    def consumers(self, task: str) -> list[ReadableSpan]:
        return sorted(self.spans(SpanKind.CONSUMER, f"process {task}"),
                      key=lambda s: s.start_time or 0)

    # --- metric helpers ---

    def points(self) -> dict[str, dict[Key, Any]]:
        """Metric name -> frozen attributes -> data point (one collection)."""
        return all_points(self.memory_metrics_reader.get_metrics_data())
