"""make_router's options: the app's own auth on every route (page included),
trace links from UNO_JOBS_TRACE_URL, args/kwargs/results only when the app
opts in (through the shared redaction hook), and the trace id the plugin
really writes into a job's metadata."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from typing import Any
from unittest import mock

from fastapi import Depends, Header, HTTPException
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from uno.jobs.admin.api import make_router
from uno.jobs.admin.payloads import HIDDEN, ShowPayloads
from uno.jobs.admin.settings import TRACE_URL_ENV

from .support import TRACE_ID, console_app, make_manager, seed

TOKEN = "operator-token"


def require_operator(x_token: str = Header(default="")) -> None:
    if x_token != TOKEN:
        raise HTTPException(status_code=401, detail="operator token required")


class ConsoleOptionsCase(unittest.TestCase):
    def serve(self, payloads: Any = None, **options: Any) -> tuple[TestClient, Any]:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        manager = make_manager("memory", Path(directory.name))
        client = TestClient(console_app(manager, payloads=payloads, **options))
        client.__enter__()
        self.addCleanup(client.__exit__, None, None, None)
        return client, client.portal.call(seed, manager)


class AuthTest(ConsoleOptionsCase):
    def test_the_apps_dependency_guards_every_route_and_the_page(self) -> None:
        client, seeded = self.serve(actions=True, dependencies=[Depends(require_operator)])
        urls = ["/jobs/ui", "/jobs/info", "/jobs/jobs", f"/jobs/jobs/{seeded.failed_id}",
                "/jobs/workers", "/jobs/schedules", "/jobs/queues", "/jobs/health",
                f"/jobs/{seeded.failed_id}", f"/jobs/ui/jobs/{seeded.failed_id}"]
        for url in urls:
            self.assertEqual(client.get(url).status_code, 401, url)
        retry = f"/jobs/jobs/{seeded.failed_id}/retry"
        self.assertEqual(client.post(retry).status_code, 401)
        headers = {"X-Token": TOKEN}
        for url in urls:
            self.assertIn(client.get(url, headers=headers).status_code, (200, 503), url)
        self.assertEqual(client.post(retry, headers=headers).status_code, 200)


class TraceUrlTest(ConsoleOptionsCase):
    def test_the_environment_variable_is_the_default_template(self) -> None:
        with mock.patch.dict(os.environ, {TRACE_URL_ENV: "https://tempo.test/t/{trace_id}"}):
            client, seeded = self.serve()
        job = client.get(f"/jobs/jobs/{seeded.failed_id}").json()
        self.assertEqual(job["trace_url"], f"https://tempo.test/t/{TRACE_ID}")
        self.assertIn(f'href="https://tempo.test/t/{TRACE_ID}"', client.get("/jobs/ui").text)

    def test_without_a_template_the_page_shows_the_id_to_copy(self) -> None:
        with mock.patch.dict(os.environ, {TRACE_URL_ENV: ""}):
            client, seeded = self.serve()
        self.assertIsNone(client.get(f"/jobs/jobs/{seeded.failed_id}").json()["trace_url"])
        page = client.get("/jobs/ui").text
        self.assertIn(f'<code class="trace-id">{TRACE_ID}</code>', page)
        self.assertIn(f'data-copy="{TRACE_ID}"', page)

    def test_a_template_without_the_placeholder_is_refused(self) -> None:
        with self.assertRaisesRegex(ValueError, "trace_id"):
            make_router(trace_url="http://jaeger/trace/")
        with mock.patch.dict(os.environ, {TRACE_URL_ENV: "http://jaeger/"}), \
                self.assertLogs("uno.jobs.admin", "WARNING"):
            make_router()


class PayloadsTest(ConsoleOptionsCase):
    def test_opted_in_payloads_go_through_the_redaction_hook(self) -> None:
        def redact(name: str, value: Any) -> Any:
            if name == "kwargs":
                return {k: "***" if k == "token" else v for k, v in value.items()}
            return value

        client, seeded = self.serve(payloads=ShowPayloads(redact=redact))
        job = client.get(f"/jobs/jobs/{seeded.failed_id}").json()
        self.assertTrue(job["payloads_shown"])
        self.assertEqual(job["kwargs"], {"to": "ada@example.com", "token": "***"})
        done = client.get(f"/jobs/jobs/{seeded.completed_id}").json()
        self.assertEqual((done["args"], done["result"]), (["bob@example.com"], "sent"))
        page = client.get(f"/jobs/ui/jobs/{seeded.failed_id}").text
        self.assertIn("ada@example.com", page)
        self.assertNotIn("s3cret", page)

    def test_a_hook_that_raises_hides_the_value(self) -> None:
        def broken(name: str, value: Any) -> Any:
            raise RuntimeError("redactor down")

        client, seeded = self.serve(payloads=ShowPayloads(redact=broken))
        job = client.get(f"/jobs/jobs/{seeded.failed_id}").json()
        self.assertEqual((job["args"], job["kwargs"], job["result"]), (HIDDEN, HIDDEN, HIDDEN))


class PluginTraceTest(ConsoleOptionsCase):
    def test_trace_id_is_the_one_the_plugin_propagated(self) -> None:
        spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        UnoJobsInstrumentor().instrument(
            tracer_provider=tracer_provider,
            meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
        self.addCleanup(UnoJobsInstrumentor().uninstrument)
        client, _seeded = self.serve(trace_url="http://jaeger.test/trace/{trace_id}")
        manager = client.app.state.job_manager

        async def enqueue() -> str:
            return (await manager.enqueue("build_report", args=["traced"])).value

        job_id = client.portal.call(enqueue)
        producer = [s for s in spans.get_finished_spans() if s.kind is SpanKind.PRODUCER
                    and s.attributes.get("messaging.message.id") == job_id]
        self.assertEqual(len(producer), 1)
        trace_id = format(producer[0].context.trace_id, "032x")
        job = client.get(f"/jobs/jobs/{job_id}").json()
        self.assertEqual(job["trace_id"], trace_id)
        self.assertEqual(job["trace_url"], f"http://jaeger.test/trace/{trace_id}")


if __name__ == "__main__":
    unittest.main()
