"""Retries as a chain: each attempt's consumer span links to the previous
attempt's span (its context travels in ``job.metadata``, so across processes
too), and ``uno_jobs.job_retries_exhausted`` counts the jobs that failed for
good after using all their retries."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from datetime import timedelta
from typing import Any

from opentelemetry.instrumentation.uno_jobs.retry_chain import METADATA_KEY
from opentelemetry.sdk.trace import ReadableSpan

from deploy.support import ROOT, instrumented, otlp_env, stop, subprocess_env
from uno.jobs import JobStatus

from .otlp_http import OtlpHttpReceiver
from .support import PluginCase, fast_worker, key

CONSUMER = 5  # opentelemetry.proto.trace.v1.Span.SpanKind


def traceparent(span: ReadableSpan) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def failing_times(failures: int) -> Any:
    calls: list[int] = []

    async def handler() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionError(f"attempt {len(calls)}")
        return "ok"

    return handler


class RetryLinkTests(PluginCase):
    async def test_each_retry_links_to_the_previous_attempt(self) -> None:
        manager = self.manager()
        manager.register_task("flaky", failing_times(2), max_retries=2, retry_delay=0)
        job = await self.run_job(manager, "flaky")
        self.assertIs(job.status, JobStatus.COMPLETED)

        first, second, third = self.consumers("flaky")
        self.assertEqual(first.links, ())
        for previous, attempt in ((first, second), (second, third)):
            [link] = attempt.links
            self.assertEqual(link.context.span_id, previous.context.span_id)
            self.assertEqual(link.context.trace_id, previous.context.trace_id)
            self.assertEqual(dict(link.attributes), {"uno_jobs.link.kind": "previous_attempt"})
        producer = self.producer("flaky")
        self.assertEqual({s.parent.span_id for s in (first, second, third)},
                         {producer.context.span_id}, "still children of the producer span")

    async def test_the_last_failed_attempt_is_stored_in_the_job_metadata(self) -> None:
        manager = self.manager()
        manager.register_task("flaky", failing_times(1), max_retries=1, retry_delay=0)
        job = await self.run_job(manager, "flaky")
        first, _second = self.consumers("flaky")
        self.assertEqual(job.metadata[METADATA_KEY], traceparent(first))
        self.assertIn("traceparent", job.metadata, "the producer's context is untouched")

    async def test_with_span_links_the_retry_links_to_producer_and_previous_attempt(self) -> None:
        self.instrumentor.uninstrument()
        self.instrument(use_span_links=True)
        manager = self.manager()
        manager.register_task("flaky", failing_times(1), max_retries=1, retry_delay=0)
        await self.run_job(manager, "flaky")
        first, second = self.consumers("flaky")
        self.assertEqual([link.context.span_id for link in second.links],
                         [self.producer("flaky").context.span_id, first.context.span_id])

    async def test_a_malformed_previous_attempt_gives_no_link_and_no_error(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        bad_values = ["garbage", 42, {"nested": True}, "00-" + "0" * 32 + "-" + "0" * 16 + "-01",
                      "00-" + "A" * 32 + "-" + "b" * 16 + "-01", "01-" + "a" * 32 + "-b" * 16]
        with self.assertNoLogs("opentelemetry.instrumentation.uno_jobs", logging.WARNING):
            for value in bad_values:
                job = await self.run_job(manager, "ok", metadata={METADATA_KEY: value})
                self.assertIs(job.status, JobStatus.COMPLETED, value)
        self.assertEqual([s.links for s in self.consumers("ok")], [()] * len(bad_values))

    async def test_a_retry_of_a_job_run_by_another_process_links_across_processes(self) -> None:
        """Attempt 1 fails here; attempt 2 runs in a ``python -m uno.jobs worker``
        process under ``opentelemetry-instrument``: its span links to attempt 1's."""
        storage = self.storage("sqlite")
        manager = self.manager(storage=storage, workers=[fast_worker(queues=["images"])])
        manager.register_task("resize_image", failing_times(1), queue="images", max_retries=2)
        await manager.start()
        job_id = (await manager.enqueue("resize_image", args=["img-1"],
                                        retry_delay=timedelta(seconds=1))).value
        await self.eventually(lambda: len(self.consumers("resize_image")) == 1, what="attempt 1")
        await manager.stop()
        self.assertIs((await storage.get(job_id)).status, JobStatus.RETRYING)

        with OtlpHttpReceiver() as receiver:
            worker = subprocess.Popen(
                instrumented("-m", "uno.jobs", "worker", "--storage",
                             f"sqlite:///{self.tmp_path / 'jobs.db'}",
                             "--app", "examples.worker_app", "--queues", "images"),
                cwd=ROOT, env=subprocess_env(**otlp_env(receiver.endpoint)),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                for _ in range(200):
                    if (await storage.get(job_id)).status is JobStatus.COMPLETED:
                        break
                    await asyncio.sleep(0.05)
            finally:
                self.assertEqual(stop(worker, timeout=15), 0, worker.stderr.read())
        [attempt_one] = self.consumers("resize_image")
        [attempt_two] = [s for r in receiver.requests["/v1/traces"] for rs in r.resource_spans
                         for ss in rs.scope_spans for s in ss.spans if s.kind == CONSUMER]
        self.assertEqual(attempt_two.trace_id.hex(), f"{attempt_one.context.trace_id:032x}")
        [link] = attempt_two.links
        self.assertEqual(link.span_id.hex(), f"{attempt_one.context.span_id:016x}")
        self.assertEqual(link.trace_id.hex(), f"{attempt_one.context.trace_id:032x}")


class RetriesExhaustedTests(PluginCase):
    def exhausted(self) -> dict[Any, Any]:
        return {k: p.value for k, p in self.points().get(
            "uno_jobs.job_retries_exhausted", {}).items()}

    async def test_a_job_that_used_all_its_retries_is_counted_once(self) -> None:
        manager = self.manager()
        manager.register_task("doomed", failing_times(99), max_retries=2, retry_delay=0)
        job = await self.run_job(manager, "doomed")
        self.assertEqual((job.status, job.retry_count), (JobStatus.FAILED, 2))
        self.assertEqual(self.exhausted(), {
            key(queue="default", task="doomed", error_type="ConnectionError"): 1})
        self.assertEqual(self.points()["uno_jobs.job_failed"][key(
            queue="default", task="doomed", worker=manager.workers[0].name,
            error_type="ConnectionError")].value, 3)

    async def test_jobs_that_did_not_exhaust_retries_are_not_counted(self) -> None:
        manager = self.manager()
        manager.register_task("no_retries", failing_times(99), max_retries=0)
        manager.register_task("recovers", failing_times(1), max_retries=1, retry_delay=0)

        @manager.task(max_retries=2, timeout=timedelta(seconds=0.05))
        async def too_slow() -> None:
            await asyncio.sleep(1)

        for task, status in (("no_retries", JobStatus.FAILED), ("recovers", JobStatus.COMPLETED),
                             ("too_slow", JobStatus.TIMEOUT)):
            self.assertIs((await self.run_job(manager, task)).status, status, task)
        self.assertEqual(self.exhausted(), {})
