"""``enqueue_many`` traced as a batch (messaging conventions): one PRODUCER
span for the batch with ``messaging.batch.message_count``, and each job's
CONSUMER span continuing the trace of the code that enqueued the batch."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from .support import PluginCase, fast_worker


class EnqueueManySpanTests(PluginCase):
    async def test_each_job_continues_the_enqueuing_trace(self) -> None:
        manager = self.manager(workers=[fast_worker(queues=["maths"])])

        @manager.task(queue="maths")
        async def add(a: int, b: int) -> int:
            return a + b

        await manager.start()
        tracer = self.tracer_provider.get_tracer("web")
        with tracer.start_as_current_span("POST /sums") as request:
            result = await manager.enqueue_many("add", [[1, 2], [3, 4], [5, 6]])
        self.assertTrue(result.is_success, result.error)
        for job_id in result.value:
            await manager.wait_for_job(job_id, timeout=5)
        await self.eventually(lambda: len(self.consumers("add")) == 3, what="three consumers")

        [batch] = self.spans(SpanKind.PRODUCER)
        self.assertEqual(batch.name, "enqueue_many add")
        self.assertEqual(batch.parent.span_id, request.get_span_context().span_id)
        self.assertEqual(batch.attributes["messaging.batch.message_count"], 3)
        self.assertEqual(batch.attributes["messaging.destination.name"], "maths")
        self.assertEqual(batch.attributes["messaging.operation.type"], "send")
        trace_id = request.get_span_context().trace_id
        for consumer in self.consumers("add"):
            self.assertEqual(consumer.context.trace_id, trace_id)
            self.assertEqual(consumer.parent.span_id, batch.context.span_id)
        self.assertFalse(trace.get_current_span().get_span_context().is_valid)

    async def test_rejected_batch_has_an_error_span_and_runs_nothing(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("add", lambda a, b: a + b)
        result = await manager.enqueue_many("add", [[1, 2], "bad"])
        self.assertTrue(result.is_failure)
        [batch] = self.spans(SpanKind.PRODUCER)
        self.assertEqual(batch.status.status_code, StatusCode.ERROR)
        self.assertEqual((await manager.get_queue_length("default")).value, 0)

    async def test_every_stored_job_is_counted_as_enqueued(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("add", lambda a, b: a + b)
        await manager.enqueue_many("add", [[1, 2]] * 4)
        counted = self.points()["uno_jobs.job_enqueued"]
        self.assertEqual(sum(point.value for point in counted.values()), 4)
