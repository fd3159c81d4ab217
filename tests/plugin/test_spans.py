"""Producer and consumer spans (contract §4): names, kinds, attributes, the
trace context in job metadata, parentage, the consumer span being current in
handlers, and every way an attempt can fail."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode

from uno.jobs import IntervalSchedule, Job, JobStatus, Priority, Scheduler
from uno.jobs.job import utcnow

from .support import PluginCase, fast_worker


class ProducerSpanTests(PluginCase):
    async def test_enqueue_creates_a_producer_span_with_messaging_attributes(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("send", lambda: None, queue="emails")
        result = await manager.enqueue("send", priority=Priority.HIGH)

        span = self.producer("send")
        self.assertIs(span.kind, SpanKind.PRODUCER)
        self.assertSpanHasAttributes(span, {
            "messaging.system": "uno_jobs",
            "messaging.operation.type": "send",
            "messaging.operation.name": "enqueue",
            "messaging.destination.name": "emails",
            "messaging.message.id": result.value,
            "uno_jobs.task.name": "send",
            "uno_jobs.job.priority": "HIGH",
        })
        self.assertIs(span.status.status_code, StatusCode.UNSET)
        self.assertEqual(span.instrumentation_scope.name,
                         "opentelemetry.instrumentation.uno_jobs")

    async def test_trace_context_is_written_to_a_copy_of_the_metadata(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("send", lambda: None)
        metadata = {"tenant": "acme"}
        result = await manager.enqueue("send", metadata=metadata)

        job = (await manager.get_job(result.value)).value
        span = self.producer("send")
        self.assertEqual(job.metadata["tenant"], "acme")
        self.assertEqual(job.metadata["traceparent"].split("-")[1:3],
                         [f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"])
        self.assertEqual(metadata, {"tenant": "acme"}, "the caller's dict is untouched")

    async def test_producer_span_is_a_child_of_the_current_span(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("send", lambda: None)
        tracer = self.tracer_provider.get_tracer("app")
        with tracer.start_as_current_span("request") as request:
            await manager.enqueue("send")
        span = self.producer("send")
        self.assertEqual(span.parent.span_id, request.get_span_context().span_id)

    async def test_keyword_and_positional_calls_are_traced_alike(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("send", lambda: None)
        calls = {
            "keywords": manager.enqueue(task_name="send", metadata={"k": "v"},
                                        priority=Priority.LOW, queue_name="mail"),
            "positional": manager.enqueue("send", None, None, "mail", Priority.LOW, None, None,
                                          None, None, None, {"k": "v"}),
        }
        for style, call in calls.items():
            with self.subTest(style):
                self.memory_exporter.clear()
                job = (await manager.get_job((await call).value)).value
                span = self.producer("send")
                self.assertEqual(job.metadata["k"], "v")
                self.assertEqual(job.metadata["traceparent"].split("-")[2],
                                 f"{span.context.span_id:016x}")
                self.assertSpanHasAttributes(span, {"messaging.destination.name": "mail",
                                                    "uno_jobs.job.priority": "LOW"})

    async def test_rejected_enqueue_ends_the_span_with_an_error(self) -> None:
        manager = self.manager(workers=[])
        result = await manager.enqueue("no_such_task")

        self.assertTrue(result.is_failure)
        span = self.producer("no_such_task")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "enqueue_rejected")
        self.assertNotIn("messaging.message.id", span.attributes)

    async def test_scheduled_runs_are_root_producer_spans_each_in_its_own_trace(self) -> None:
        storage = self.storage()
        scheduler = Scheduler(storage)
        manager = self.manager(storage, workers=[], scheduler=scheduler)
        manager.register_task("tick", lambda: None)
        await scheduler.add_schedule("every-second", "tick", IntervalSchedule(seconds=1))
        tracer = self.tracer_provider.get_tracer("app")
        with tracer.start_as_current_span("app-startup"):
            await scheduler.run_due(utcnow() + timedelta(seconds=1.5))
            await scheduler.run_due(utcnow() + timedelta(seconds=3.5))

        runs = self.spans(SpanKind.PRODUCER, "enqueue tick")
        self.assertEqual(len(runs), 2)
        for span in runs:
            self.assertIsNone(span.parent)
            self.assertEqual(span.attributes["uno_jobs.schedule.name"], "every-second")
        self.assertNotEqual(runs[0].context.trace_id, runs[1].context.trace_id)


class ConsumerSpanTests(PluginCase):
    async def test_consumer_span_is_a_child_of_the_producer_span(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1, queue="default", max_retries=0)
        job = await self.run_job(manager, "ok", priority=Priority.LOW)

        producer, [consumer] = self.producer("ok"), self.consumers("ok")
        self.assertEqual(consumer.context.trace_id, producer.context.trace_id)
        self.assertEqual(consumer.parent.span_id, producer.context.span_id)
        self.assertSpanHasAttributes(consumer, {
            "messaging.system": "uno_jobs",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": "default",
            "messaging.message.id": job.id,
            "uno_jobs.task.name": "ok",
            "uno_jobs.job.priority": "LOW",
            "uno_jobs.job.retry_count": 0,
            "uno_jobs.job.attempt": 1,
            "uno_jobs.worker.name": manager.workers[0].name,
        })
        self.assertNotIn("uno_jobs.job.status", consumer.attributes, "set on failures only")
        self.assertIs(consumer.status.status_code, StatusCode.UNSET)

    async def test_consumer_span_is_current_in_an_async_handler(self) -> None:
        manager = self.manager()
        seen: list[trace.SpanContext] = []

        @manager.task(max_retries=0)
        async def inside() -> None:
            seen.append(trace.get_current_span().get_span_context())
            with trace.get_tracer("app").start_as_current_span("child"):
                await asyncio.sleep(0)

        await self.run_job(manager, "inside")
        [consumer] = self.consumers("inside")
        self.assertEqual(seen[0].span_id, consumer.context.span_id)
        [child] = self.spans(name="child")
        self.assertEqual(child.parent.span_id, consumer.context.span_id)

    async def test_consumer_span_is_current_in_a_thread_handler(self) -> None:
        manager = self.manager()
        seen: list[tuple[int, str]] = []

        @manager.task(max_retries=0)
        def blocking() -> None:
            seen.append((trace.get_current_span().get_span_context().span_id,
                         threading.current_thread().name))

        await self.run_job(manager, "blocking")
        [consumer] = self.consumers("blocking")
        self.assertEqual(seen[0][0], consumer.context.span_id)
        self.assertNotEqual(seen[0][1], threading.main_thread().name)

    async def test_consumer_span_ignores_the_context_the_worker_started_in(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        tracer = self.tracer_provider.get_tracer("app")
        with tracer.start_as_current_span("app-startup") as startup:
            await manager.start()
        await self.run_job(manager, "ok")

        [consumer] = self.consumers("ok")
        self.assertNotEqual(consumer.context.trace_id, startup.get_span_context().trace_id)
        self.assertEqual(consumer.parent.span_id, self.producer("ok").context.span_id)

    async def test_the_worker_context_is_restored_after_each_job(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        before = trace.get_current_span()
        result = await manager.run_job_sync("ok")
        self.assertEqual(result.value, 1)
        self.assertIs(trace.get_current_span(), before)
        [consumer] = self.consumers("ok")
        self.assertEqual(consumer.parent.span_id, self.producer("ok").context.span_id)

    async def test_malformed_trace_context_in_metadata_starts_a_fresh_trace(self) -> None:
        storage = self.storage()
        manager = self.manager(storage)
        manager.register_task("ok", lambda: 1)
        bad = [{"traceparent": "00-not-a-trace-01"}, {"traceparent": 12345},
               {"traceparent": ["x", 1], "tracestate": {"a": 1}}, {"baggage": None}]
        for metadata in bad:
            await storage.add(Job(task_name="ok", metadata=metadata))
        await manager.start()
        await self.eventually(lambda: len(self.consumers("ok")) == len(bad), what="four jobs")

        for span in self.consumers("ok"):
            self.assertIsNone(span.parent)
            self.assertIs(span.status.status_code, StatusCode.UNSET)
        self.assertEqual(len({s.context.trace_id for s in self.consumers("ok")}), len(bad))


class SpanLinkTests(PluginCase):
    instrument_options = {"use_span_links": True}

    async def test_use_span_links_links_the_consumer_to_the_producer(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")

        producer, [consumer] = self.producer("ok"), self.consumers("ok")
        self.assertIsNone(consumer.parent)
        self.assertNotEqual(consumer.context.trace_id, producer.context.trace_id)
        self.assertEqual([link.context.span_id for link in consumer.links],
                         [producer.context.span_id])


class LegacySemconvTests(PluginCase):
    instrument_options = {"semconv_mode": "dup"}

    async def test_dup_mode_sets_old_and_new_operation_attributes(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        self.assertSpanHasAttributes(self.producer("ok"), {
            "messaging.operation": "publish", "messaging.operation.type": "send"})
        self.assertSpanHasAttributes(self.consumers("ok")[0], {
            "messaging.operation": "process", "messaging.operation.type": "process"})


class FailureSpanTests(PluginCase):
    async def test_failed_job_span_has_error_status_exception_event_and_error_type(self) -> None:
        manager = self.manager()

        @manager.task(max_retries=0)
        async def broken() -> None:
            raise ValueError("bad input")

        job = await self.run_job(manager, "broken")
        self.assertIs(job.status, JobStatus.FAILED)
        [span] = self.consumers("broken")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertIn("bad input", span.status.description)
        self.assertEqual(span.attributes["error.type"], "ValueError")
        self.assertEqual(span.attributes["uno_jobs.job.status"], "failed")
        [event] = span.events
        self.assertEqual(event.name, "exception")
        self.assertEqual(event.attributes["exception.type"], "ValueError")

    async def test_a_retried_job_has_one_consumer_span_per_attempt(self) -> None:
        manager = self.manager()
        calls = []

        @manager.task(max_retries=2, retry_delay=0)
        def flaky() -> str:
            calls.append(1)
            if len(calls) == 1:
                raise ConnectionError("briefly down")
            return "ok"

        job = await self.run_job(manager, "flaky")
        self.assertIs(job.status, JobStatus.COMPLETED)
        first, second = self.consumers("flaky")
        self.assertEqual((first.attributes["uno_jobs.job.attempt"],
                          second.attributes["uno_jobs.job.attempt"]), (1, 2))
        self.assertEqual(second.attributes["uno_jobs.job.retry_count"], 1)
        self.assertIs(first.status.status_code, StatusCode.ERROR)
        self.assertEqual(first.attributes["uno_jobs.job.status"], "retrying")
        self.assertIs(second.status.status_code, StatusCode.UNSET)
        producer = self.producer("flaky")
        self.assertEqual({first.parent.span_id, second.parent.span_id},
                         {producer.context.span_id})

    async def test_a_timed_out_job_span_records_the_timeout(self) -> None:
        manager = self.manager()

        @manager.task(max_retries=0, timeout=0.05)
        async def slow() -> None:
            await asyncio.sleep(5)

        job = await self.run_job(manager, "slow")
        self.assertIs(job.status, JobStatus.TIMEOUT)
        [span] = self.consumers("slow")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "JobTimeoutError")
        self.assertEqual(span.attributes["uno_jobs.job.status"], "timeout")

    async def test_an_unstorable_result_fails_the_one_attempt_span(self) -> None:
        manager = self.manager(self.storage("sqlite"))

        @manager.task(max_retries=3)
        async def opaque() -> object:
            return object()

        job = await self.run_job(manager, "opaque")
        self.assertIs(job.status, JobStatus.FAILED)
        [span] = self.consumers("opaque")
        self.assertIs(span.status.status_code, StatusCode.ERROR)
        self.assertEqual(span.attributes["error.type"], "ResultNotStorableError")
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)

    async def test_a_job_cancelled_by_worker_shutdown_ends_its_span(self) -> None:
        manager = self.manager(workers=[fast_worker(shutdown_timeout=0.05)])
        started = asyncio.Event()

        @manager.task(max_retries=0)
        async def forever() -> None:
            started.set()
            await asyncio.sleep(60)

        await manager.start()
        await manager.enqueue("forever")
        await asyncio.wait_for(started.wait(), 5)
        await manager.stop()

        [span] = self.consumers("forever")
        self.assertEqual(span.attributes["error.type"], "JobInterruptedError")
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)



class _DropTaskNameOnce(Sampler):
    """A sampler that removes ``uno_jobs.task.name`` from the first attributes it
    is given (in place), then samples everything as given."""

    def __init__(self) -> None:
        self.calls = 0

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                      links=None, trace_state=None) -> SamplingResult:
        self.calls += 1
        if self.calls == 1 and attributes is not None:
            attributes.pop("uno_jobs.task.name", None)  # type: ignore[attr-defined]
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "drop the task name once"


class AttributesBuiltOnceTests(PluginCase):
    async def test_a_sampler_changing_the_attributes_it_gets_changes_no_later_span(self) -> None:
        # span attributes are built once per (queue, task, priority[, worker]); each
        # span gets a copy, so what one span's sampler did stays with that span
        exporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=_DropTaskNameOnce())
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        self.instrumentor.uninstrument()
        self.instrumentor.instrument(tracer_provider=provider, meter_provider=self.meter_provider)
        manager = self.manager(workers=[])
        manager.register_task("send", lambda: None)
        await manager.enqueue("send")
        await manager.enqueue("send")

        first, second = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
        self.assertNotIn("uno_jobs.task.name", first.attributes)
        self.assertEqual(second.attributes["uno_jobs.task.name"], "send")
