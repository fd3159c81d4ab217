"""The store is part of the system health: ``StorageHealthCheck`` pings it
within a bound (latency in details), the checker registers it by default, and
while the store cannot be read the system is UNHEALTHY — in ``/jobs/health``
(503), in the ``uno_jobs.health`` gauge and in the health log records. Every
admin route answers a store failure the same way: a JSON ``detail``."""

from __future__ import annotations

import logging
import sqlite3
import unittest
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from uno.core.monitoring.health import HealthStatus
from uno.jobs import InMemoryJobStorage, JobManager, SQLiteJobStorage
from uno.jobs.admin.api import make_router, router
from uno.jobs.monitoring.health import JobSystemHealthChecker, StorageHealthCheck

from .support import MonitoringCase, gauge_points, key

H, U = HealthStatus.HEALTHY, HealthStatus.UNHEALTHY


class StorageCheckTests(MonitoringCase):
    storage_kind = "sqlite"

    def dead_store(self) -> SQLiteJobStorage:
        storage = SQLiteJobStorage(Path(self.db_path).parent / "gone" / "jobs.db")
        self.later(storage.close)
        return storage

    async def test_a_readable_store_is_healthy_with_its_latency(self) -> None:
        check = StorageHealthCheck(self.storage)
        self.assertEqual(check.name, "storage")
        result = await check.check_health()
        self.assertIs(result.status, H, result.message)
        self.assertEqual(result.details["store"], f"sqlite:///{self.db_path}")
        self.assertGreaterEqual(result.details["latency_ms"], 0)
        self.assertIs((await StorageHealthCheck(InMemoryJobStorage()).check_health()).status, H)

    async def test_a_store_that_cannot_be_opened_is_unhealthy_naming_it(self) -> None:
        storage = self.dead_store()
        result = await StorageHealthCheck(storage).check_health()
        self.assertIs(result.status, U)
        self.assertIn(storage.describe(), result.message)
        self.assertIn("does not exist", result.message)
        self.assertEqual(result.details["error_type"], "StorageUnavailableError")

    async def test_a_store_that_does_not_answer_in_time_is_unhealthy(self) -> None:
        await self.storage.open()
        await self.storage.close()  # an exclusive lock needs every other connection gone
        holder = sqlite3.connect(self.db_path, isolation_level=None)
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")  # every other connection now waits
        locked = SQLiteJobStorage(self.db_path, busy_timeout=2.0)
        self.later(locked.close)
        try:
            result = await StorageHealthCheck(locked, timeout=0.2).check_health()
        finally:
            holder.close()
        self.assertIs(result.status, U)
        self.assertIn("did not answer within 0.2 s", result.message)
        self.assertEqual(result.details["timeout_s"], 0.2)

    async def test_the_checker_registers_it_and_reports_the_dead_store(self) -> None:
        manager = JobManager(self.dead_store())
        manager.register_task("send", lambda: None, queue="emails")
        checker = JobSystemHealthChecker(manager, metrics=self.metrics)
        with self.assertLogs("uno.jobs.health", logging.ERROR) as logs:
            health = await checker.get_system_health()
        self.assertIs(health.status, U)
        self.assertIs(health.checks["storage"].status, U)
        self.assertTrue(any("health check storage is unhealthy" in line for line in logs.output))
        points = gauge_points(self.reader, "uno_jobs.health")
        self.assertEqual(points[key(check="storage", status="unhealthy")], 1)
        self.assertEqual(points[key(check="storage", status="healthy")], 0)

    async def test_a_healthy_store_keeps_the_system_healthy(self) -> None:
        checker = JobSystemHealthChecker(self.manager(), metrics=self.metrics)
        health = await checker.get_system_health()
        self.assertEqual((health.status, set(health.checks)), (H, {"storage"}))


class DeadStoreAdminTests(unittest.TestCase):
    """A producer app (its manager never started) whose SQLite file cannot be opened."""

    def setUp(self) -> None:
        self.path = Path("/nonexistent-uno-jobs-dir/jobs.db")
        self.manager = JobManager(SQLiteJobStorage(self.path))
        self.manager.register_task("send", lambda: None, queue="emails")
        app = FastAPI()
        app.state.job_manager = self.manager
        app.include_router(router)
        self.client = TestClient(app)

    def test_health_answers_503_unhealthy_naming_the_store(self) -> None:
        response = self.client.get("/jobs/health")
        self.assertEqual(response.status_code, 503, response.text)
        body = response.json()
        self.assertEqual(body["status"], "unhealthy")
        self.assertIn(f"sqlite:///{self.path}", body["checks"]["storage"]["message"])

    def test_queues_answers_a_json_detail_like_a_job_lookup(self) -> None:
        queues = self.client.get("/jobs/queues")
        job = self.client.get("/jobs/some-id")
        self.assertEqual(queues.status_code, job.status_code)
        self.assertEqual(queues.status_code, 503, queues.text)
        for response in (queues, job):
            self.assertEqual(response.headers["content-type"], "application/json")
            self.assertIn(f"sqlite:///{self.path}", response.json()["detail"])

    def test_every_read_route_answers_503_with_a_json_detail(self) -> None:
        admin = FastAPI()
        admin.state.job_manager = self.manager
        admin.include_router(make_router(actions=True))
        client = TestClient(admin)
        for path in ("/jobs/info", "/jobs/queues", "/jobs/queues/emails", "/jobs/jobs",
                     "/jobs/jobs/some-id", "/jobs/workers", "/jobs/some-id"):
            with self.subTest(path=path):
                response = client.get(path)
                self.assertEqual(response.status_code, 503, response.text)
                self.assertIn(f"sqlite:///{self.path}", response.json()["detail"])
        retry = client.post("/jobs/jobs/some-id/retry")
        self.assertEqual(retry.status_code, 503, retry.text)
