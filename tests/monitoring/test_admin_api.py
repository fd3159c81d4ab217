"""The admin router through FastAPI's TestClient: health (200/503), metrics
(text and JSON), queues, a job's status without its args, dependency overrides
and an app's own auth at include_router."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import unittest
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

from uno.core.monitoring.health import HealthStatus
from uno.jobs import InMemoryJobStorage, JobManager
from uno.jobs.admin.api import get_health_checker, get_job_manager, router
from uno.jobs.monitoring.health import JobSystemHealthChecker
from uno.jobs.monitoring.job_metrics import set_default_job_metrics

from .support import SettableCheck, fast_worker, metrics_with_reader

SECRET = "hunter2-secret"


def make_app(manager: JobManager | None, metrics: Any = None, **include: Any) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if manager is None:
            yield
            return
        async with manager:
            yield

    app = FastAPI(lifespan=lifespan)
    if manager is not None:
        app.state.job_manager = manager
    if metrics is not None:
        app.state.job_metrics = metrics
    app.include_router(router, **include)
    return app


class AdminApiCase(unittest.TestCase):
    """An app whose lifespan runs the manager on the TestClient's event loop."""

    def setUp(self) -> None:
        self.metrics, self.reader = metrics_with_reader()
        set_default_job_metrics(self.metrics)
        self.addCleanup(set_default_job_metrics, None)
        self.worker = fast_worker(name="w1", queues=["emails"])
        self.manager = JobManager(InMemoryJobStorage(), workers=[self.worker])

        @self.manager.task(name="send", queue="emails")
        async def send(to: str, token: str) -> dict[str, str]:
            return {"sent": to, "token": token}

        self.app = make_app(self.manager, self.metrics)
        self.client = self.enter(TestClient(self.app))

    def enter(self, client: TestClient) -> TestClient:
        client.__enter__()
        self.addCleanup(client.__exit__, None, None, None)
        return client

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``function`` (sync or async) on the app's event loop."""
        return self.client.portal.call(functools.partial(function, *args, **kwargs))

    def run_job(self) -> str:
        job_id = self.call(self.manager.enqueue, "send", args=["ada@example.com", SECRET]).value
        self.call(self.manager.wait_for_job, job_id, 5)
        return job_id


class HealthRouteTests(AdminApiCase):
    def test_healthy_system_answers_200_with_its_checks(self) -> None:
        response = self.client.get("/jobs/health")
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["status"], "healthy")
        self.assertEqual(set(body["checks"]), {"storage", "queue:emails", "worker:w1"})
        self.assertEqual(body["checks"]["worker:w1"]["status"], "healthy")

    def test_unhealthy_system_answers_503(self) -> None:
        self.call(self.worker.stop)
        response = self.client.get("/jobs/health")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"]["worker:w1"]["status"], "unhealthy")

    def test_degraded_is_still_200(self) -> None:
        checker = JobSystemHealthChecker(self.manager, metrics=self.metrics)
        checker.add_health_check(SettableCheck("slow", HealthStatus.DEGRADED))
        self.app.state.health_checker = checker
        response = self.client.get("/jobs/health")
        self.assertEqual((response.status_code, response.json()["status"]), (200, "degraded"))

    def test_the_checker_is_made_once_per_app(self) -> None:
        self.client.get("/jobs/health")
        checker = self.app.state.uno_jobs_health_checker
        self.client.get("/jobs/health")
        self.assertIs(self.app.state.uno_jobs_health_checker, checker)

    def test_a_started_checker_for_the_manager_is_used(self) -> None:
        checker = JobSystemHealthChecker(self.manager, metrics=self.metrics)
        checker.add_health_check(SettableCheck("from-plugin"))
        self.call(checker.start)
        self.addCleanup(self.call, checker.stop)
        self.assertIn("from-plugin", self.client.get("/jobs/health").json()["checks"])
        self.assertFalse(hasattr(self.app.state, "uno_jobs_health_checker"))

    def test_health_publishes_the_gauge_on_the_apps_metrics(self) -> None:
        self.client.get("/jobs/health")
        text = self.client.get("/jobs/metrics").text
        self.assertIn('uno_jobs_health{check="worker:w1",status="healthy"} 1.0', text)

    def test_without_a_job_manager_it_answers_503_saying_why(self) -> None:
        client = self.enter(TestClient(make_app(None)))
        response = client.get("/jobs/health")
        self.assertEqual(response.status_code, 503)
        self.assertIn("app.state.job_manager", response.json()["detail"])


class MetricsRouteTests(AdminApiCase):
    def test_prometheus_text(self) -> None:
        self.metrics.record_job_enqueued(queue="emails", task="send", priority="NORMAL")
        response = self.client.get("/jobs/metrics")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["content-type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        self.assertIn('uno_jobs_job_enqueued_total{priority="NORMAL",queue="emails",task="send"}'
                      " 1.0", response.text.splitlines())

    def test_json_on_request(self) -> None:
        self.metrics.record_execution_time(queue="emails", task="send", seconds=0.3)
        for response in (self.client.get("/jobs/metrics", params={"format": "json"}),
                         self.client.get("/jobs/metrics", headers={"Accept": "application/json"})):
            self.assertEqual(response.headers["content-type"], "application/json")
            body = json.loads(response.text)  # strict JSON: no Infinity
            series = body["uno_jobs.execution_time"]["series"][0]
            self.assertEqual(series["count"], 1)
            self.assertEqual(series["buckets"]["+Inf"], 0)
            self.assertEqual(series["buckets"]["0.5"], 1)

    def test_a_scraper_accept_header_gets_text(self) -> None:
        accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4"
        response = self.client.get("/jobs/metrics", headers={"Accept": accept})
        self.assertTrue(response.headers["content-type"].startswith("text/plain"))

    def test_an_unknown_format_is_rejected(self) -> None:
        self.assertEqual(self.client.get("/jobs/metrics?format=xml").status_code, 422)

    def test_without_app_metrics_the_default_ones_are_shown(self) -> None:
        del self.app.state.job_metrics
        self.metrics.record_job_retry(queue="emails", task="send")
        self.assertIn("uno_jobs_job_retry_total", self.client.get("/jobs/metrics").text)


class QueueAndJobRouteTests(AdminApiCase):
    def test_queue_lengths(self) -> None:
        self.call(self.worker.stop)
        for _ in range(2):
            self.call(self.manager.enqueue, "send", args=["a", SECRET])
        self.call(self.manager.pause_queue, "emails")
        body = self.client.get("/jobs/queues").json()
        emails = body["queues"]["emails"]
        self.assertEqual((emails["waiting"], emails["paused"]), (2, True))
        self.assertEqual(emails["by_status"]["pending"], 2)
        self.assertEqual(emails["by_status"]["completed"], 0)

    def test_a_jobs_status_without_args_kwargs_or_result(self) -> None:
        job_id = self.run_job()
        response = self.client.get(f"/jobs/{job_id}")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual((body["id"], body["task_name"], body["queue_name"], body["status"]),
                         (job_id, "send", "emails", "completed"))
        self.assertEqual(body["priority"], "NORMAL")
        self.assertIsNotNone(body["completed_at"])
        self.assertEqual(body["retry_count"], 0)
        self.assertTrue({"args", "kwargs", "result", "metadata"}.isdisjoint(body))
        self.assertNotIn(SECRET, response.text)

    def test_an_unknown_job_is_404(self) -> None:
        response = self.client.get("/jobs/no-such-job")
        self.assertEqual(response.status_code, 404)
        self.assertIn("no-such-job", response.json()["detail"])


class DependencyTests(AdminApiCase):
    def test_dependency_overrides(self) -> None:
        other = JobManager(InMemoryJobStorage())
        other.register_task("t", lambda: None, queue="elsewhere")
        self.app.dependency_overrides[get_job_manager] = lambda: other
        self.assertEqual(set(self.client.get("/jobs/queues").json()["queues"]), {"elsewhere"})

        checker = JobSystemHealthChecker(other, metrics=self.metrics)
        checker.add_health_check(SettableCheck("db", HealthStatus.UNHEALTHY))
        self.app.dependency_overrides[get_health_checker] = lambda: checker
        response = self.client.get("/jobs/health")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["checks"]["db"]["status"], "unhealthy")

    def test_apps_protect_the_router_with_their_own_dependencies(self) -> None:
        def require_token(x_token: str = Header(default="")) -> None:
            if x_token != "letmein":
                raise HTTPException(status_code=401, detail="who are you?")

        app = make_app(self.manager, self.metrics, dependencies=[Depends(require_token)])
        client = TestClient(app)
        for path in ("/jobs/health", "/jobs/metrics", "/jobs/queues", "/jobs/x"):
            self.assertEqual(client.get(path).status_code, 401, path)
        self.assertEqual(client.get("/jobs/metrics", headers={"X-Token": "letmein"}).status_code,
                         200)

    def test_importing_the_api_without_fastapi_names_the_extra(self) -> None:
        code = ("import sys\nsys.modules['fastapi'] = None\n"
                "try:\n    import uno.jobs.admin.api\n"
                "except ImportError as exc:\n    print(exc)\n")
        output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=60, check=True).stdout
        self.assertIn("uno-jobs-otel[admin]", output)
