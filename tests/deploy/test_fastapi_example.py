"""examples/fastapi_app.py in-process, driven by TestClient with the plugin and
the FastAPI instrumentation on in-memory exporters: POST /signup enqueues a
job whose producer span is a child of the request's server span; the admin
router answers health and Prometheus metrics."""

from __future__ import annotations

import importlib.util
import os
import time
import unittest
from types import ModuleType
from unittest import mock

from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from .support import EXAMPLES


def load_example() -> ModuleType:
    """A fresh copy of the example module (its manager is bound to one event loop)."""
    spec = importlib.util.spec_from_file_location("fastapi_app_example",
                                                  EXAMPLES / "fastapi_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FastAPIExampleTests(unittest.TestCase):
    def setUp(self) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        UnoJobsInstrumentor().instrument(tracer_provider=tracer_provider,
                                         meter_provider=meter_provider)
        self.addCleanup(UnoJobsInstrumentor().uninstrument)
        self.example = load_example()
        FastAPIInstrumentor.instrument_app(self.example.app, tracer_provider=tracer_provider,
                                           meter_provider=meter_provider)
        self.addCleanup(FastAPIInstrumentor.uninstrument_app, self.example.app)

    def wait_completed(self, client: TestClient, job_id: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while (status := client.get(f"/jobs/{job_id}").json()["status"]) != "completed":
            self.assertNotIn(status, ("failed", "timeout", "cancelled"))
            self.assertLess(time.monotonic(), deadline, f"job {job_id} still {status}")
            time.sleep(0.02)

    def test_signup_job_is_traced_under_the_request_and_the_router_reports_it(self) -> None:
        with TestClient(self.example.app) as client:
            response = client.post("/signup", json={"email": "ada@example.com"})
            self.assertEqual(response.status_code, 202, response.text)
            job_id = response.json()["job_id"]
            self.wait_completed(client, job_id)
            health = client.get("/jobs/health")
            self.assertEqual(health.status_code, 200, health.text)
            self.assertIn(health.json()["status"], ("healthy", "degraded"))
            metrics = client.get("/jobs/metrics")
            self.assertEqual(metrics.status_code, 200)
            self.assertIn("uno_jobs_job_enqueued_total", metrics.text)
            self.assertIn('task="send_welcome_email"', metrics.text)

        spans = self.spans.get_finished_spans()
        server = [s for s in spans if s.kind is SpanKind.SERVER and "/signup" in s.name]
        producer = [s for s in spans if s.kind is SpanKind.PRODUCER
                    and s.name == "enqueue send_welcome_email"]
        consumer = [s for s in spans if s.kind is SpanKind.CONSUMER
                    and s.name == "process send_welcome_email"]
        self.assertEqual((len(server), len(producer), len(consumer)), (1, 1, 1),
                         [(s.name, s.kind) for s in spans])
        self.assertEqual(producer[0].parent.span_id, server[0].context.span_id)
        self.assertEqual(producer[0].context.trace_id, server[0].context.trace_id)
        self.assertEqual(consumer[0].context.trace_id, server[0].context.trace_id)
        self.assertEqual(consumer[0].parent.span_id, producer[0].context.span_id)
        self.assertEqual(producer[0].attributes["messaging.message.id"], job_id)


class FastAPIExampleConsoleTests(unittest.TestCase):
    def test_console_links_the_job_to_its_trace_and_actions_answer(self) -> None:
        tracer_provider = TracerProvider()
        UnoJobsInstrumentor().instrument(
            tracer_provider=tracer_provider,
            meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
        self.addCleanup(UnoJobsInstrumentor().uninstrument)
        example = load_example()
        with TestClient(example.app) as client:
            job_id = client.post("/signup", json={"email": "ada@example.com"}).json()["job_id"]
            deadline = time.monotonic() + 10
            while client.get(f"/jobs/jobs/{job_id}").json()["status"] != "completed":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
            trace_id = client.get(f"/jobs/jobs/{job_id}").json()["trace_id"]
            page = client.get("/jobs/ui")
            self.assertEqual(page.status_code, 200)
            self.assertIn(f"http://localhost:16686/trace/{trace_id}", page.text)
            answer = client.post(f"/jobs/jobs/{job_id}/cancel")
            self.assertEqual(answer.status_code, 409, answer.text)  # completed: says why
            self.assertIn("cannot be cancelled", answer.json()["detail"])

    def test_console_password_guards_the_jobs_routes(self) -> None:
        with mock.patch.dict(os.environ, {"CONSOLE_PASSWORD": "pw"}):
            example = load_example()
        with TestClient(example.app) as client:
            self.assertEqual(client.get("/jobs/ui").status_code, 401)
            self.assertEqual(client.get("/jobs/info").status_code, 401)
            self.assertEqual(client.get("/jobs/ui", auth=("operator", "pw")).status_code, 200)
            self.assertEqual(client.get("/jobs/ui", auth=("operator", "no")).status_code, 401)
