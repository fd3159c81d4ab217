"""Bad input in job metadata never fails a job: hostile or malformed
``traceparent``/``tracestate``/``baggage`` values (strings, lists, numbers,
None, huge strings — property-based), metadata that is not a dict, and
oversize metadata. A job whose metadata carries no valid trace context starts a
fresh trace; one with a valid ``traceparent`` continues it whatever else the
metadata holds; and the instrumentation never reports an error about it."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor, utils
from opentelemetry.test.test_base import TestBase
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from plugin.support import PluginCase
from uno.jobs import InMemoryJobStorage, Job, JobManager, JobStatus
from uno.jobs.job import utcnow

from .support import captured_logs

MEGABYTE = "x" * (1 << 20)

valid_traceparent = st.builds(
    lambda trace_id, span_id, flags: f"00-{trace_id:032x}-{span_id:016x}-{flags:02x}",
    st.integers(1, 2**128 - 1), st.integers(1, 2**64 - 1), st.sampled_from([0, 1]))
hostile_strings = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="0123456789abcdefABCDEF- \t=,;%", max_size=120),
    st.from_regex(r"[0-9a-fA-F]{2}-[0-9a-fA-F]{32}-[0-9a-fA-F]{16}-[0-9a-fA-F]{2}",
                  fullmatch=True),  # right shape: version ff, zero ids, upper case...
    valid_traceparent.map(lambda v: v + "-extra"),
    valid_traceparent.map(lambda v: f" {v}\t"),
    valid_traceparent.map(str.upper),
    valid_traceparent.map(lambda v: v[:-1]),
    st.sampled_from(["", "00", "00-" + "0" * 32 + "-" + "0" * 16 + "-01", "k=v" * 3000,
                     "a=b," * 100, ",,,=,=", "key=%ZZ", "\x00", "🙂=🙂", MEGABYTE]),
)
non_strings = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.lists(st.one_of(st.text(max_size=60), st.integers(), st.none()), max_size=4),
    st.lists(valid_traceparent, min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
    st.binary(max_size=16),
)
metadata_value = st.one_of(hostile_strings, non_strings)
trace_keys = st.fixed_dictionaries({}, optional={
    "traceparent": metadata_value, "tracestate": metadata_value, "baggage": metadata_value})
hostile_metadata = st.tuples(
    trace_keys, st.dictionaries(st.text(max_size=12), metadata_value, max_size=3),
).map(lambda parts: {**parts[1], **parts[0]})

HYPOTHESIS = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def expected_parent(value: Any) -> trace.SpanContext | None:
    """What the W3C propagator makes of ``value`` as a bare header; None if invalid."""
    if isinstance(value, str):
        header = [value]
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        header = value
    else:
        return None
    context = TraceContextTextMapPropagator().extract({"traceparent": header})
    span_context = trace.get_current_span(context).get_span_context()
    return span_context if span_context.is_valid else None


class HostileMetadataTests(TestBase):
    """Drives the lifecycle on one event loop across examples (hypothesis and
    ``IsolatedAsyncioTestCase`` do not mix): store or enqueue a job, claim it,
    run it as a worker does."""

    def setUp(self) -> None:
        super().setUp()
        utils._reported.clear()
        self.instrumentor = UnoJobsInstrumentor()
        self.instrumentor.instrument(tracer_provider=self.tracer_provider,
                                     meter_provider=self.meter_provider)
        self.loop = asyncio.new_event_loop()
        self.manager = JobManager(storage=InMemoryJobStorage(), workers=[])

        @self.manager.task(max_retries=0)
        async def echo() -> str:
            return "ok"

    def tearDown(self) -> None:
        self.loop.close()
        self.instrumentor.uninstrument()
        super().tearDown()

    def process(self, metadata: Any, enqueue: bool) -> tuple[Job, Any]:
        """The finished job and the consumer span of one job with ``metadata``
        (None when the metadata carries a valid but unsampled parent)."""
        self.memory_exporter.clear()

        async def run() -> Job:
            if enqueue:
                result = await self.manager.enqueue("echo", metadata=metadata)
                self.assertTrue(result.is_success, result.error)
            else:  # as another producer (or a tampered row) left it in storage
                await self.manager.storage.add(Job(task_name="echo", metadata=metadata))
            claimed = await self.manager.storage.claim_next(["default"], "w1", utcnow())
            return await self.manager.run_claimed_job(claimed, "w1")

        with captured_logs() as records:
            job = self.loop.run_until_complete(run())
        self.assertEqual([r.getMessage() for r in records
                          if r.name.startswith("opentelemetry.instrumentation.uno_jobs")], [])
        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, "ok"))
        consumers = [s for s in self.memory_exporter.get_finished_spans()
                     if s.kind is SpanKind.CONSUMER]
        self.assertLessEqual(len(consumers), 1)
        self.assertTrue(all(s.status.status_code is StatusCode.UNSET for s in consumers))
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)
        return job, consumers[0] if consumers else None

    def assert_parent(self, consumer: Any, expected: trace.SpanContext | None) -> None:
        """A fresh trace without a valid parent; else its child (sampled as it says)."""
        if expected is None:
            self.assertIsNotNone(consumer)
            self.assertIsNone(consumer.parent, "a fresh trace")
        elif not expected.trace_flags.sampled:
            self.assertIsNone(consumer, "the parent said: not sampled")
        else:
            self.assertEqual((consumer.parent.trace_id, consumer.parent.span_id),
                             (expected.trace_id, expected.span_id))

    @HYPOTHESIS
    @given(hostile_metadata)
    def test_stored_hostile_trace_context_never_fails_a_job(self, metadata: dict) -> None:
        _job, consumer = self.process(metadata, enqueue=False)
        self.assert_parent(consumer, expected_parent(metadata.get("traceparent")))

    @HYPOTHESIS
    @given(valid_traceparent, metadata_value, metadata_value)
    def test_a_valid_traceparent_is_continued_whatever_else_the_metadata_holds(
            self, traceparent: str, tracestate: Any, baggage: Any) -> None:
        metadata = {"traceparent": traceparent, "tracestate": tracestate, "baggage": baggage}
        _job, consumer = self.process(metadata, enqueue=False)
        _version, trace_id, span_id, flags = (int(part, 16) for part in traceparent.split("-"))
        self.assert_parent(consumer, trace.SpanContext(trace_id, span_id, True,
                                                       trace.TraceFlags(flags)))

    @HYPOTHESIS
    @given(hostile_metadata)
    def test_enqueued_hostile_metadata_is_kept_and_the_job_joins_the_producer_trace(
            self, metadata: dict) -> None:
        job, consumer = self.process(metadata, enqueue=True)
        [producer] = [s for s in self.memory_exporter.get_finished_spans()
                      if s.kind is SpanKind.PRODUCER]
        self.assertEqual(consumer.parent.span_id, producer.context.span_id)
        for name, value in metadata.items():
            if name in ("traceparent", "tracestate", "baggage"):
                continue
            if isinstance(value, float) and math.isnan(value):  # NaN != NaN
                self.assertTrue(math.isnan(job.metadata[name]), "user metadata is kept")
            else:
                self.assertEqual(job.metadata[name], value, "user metadata is kept")

    @HYPOTHESIS
    @given(st.one_of(st.text(max_size=20), st.integers(), st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.integers(), st.text(max_size=4), min_size=1,
                                     max_size=2)))
    def test_metadata_that_is_not_a_dict_of_strings_is_a_clear_enqueue_failure(
            self, metadata: Any) -> None:
        self.memory_exporter.clear()
        result = self.loop.run_until_complete(self.manager.enqueue("echo", metadata=metadata))
        self.assertTrue(result.is_failure)
        self.assertRegex(result.error, "metadata (must be a dict|keys must be strings)")
        [producer] = self.memory_exporter.get_finished_spans()
        self.assertIs(producer.status.status_code, StatusCode.ERROR)


class OversizeMetadataTests(PluginCase):
    async def check_oversize(self, storage: str) -> None:
        manager = self.manager(self.storage(storage))
        manager.register_task("ok", lambda: "done", max_retries=0)
        metadata = {"blob": MEGABYTE, **{f"key{n}": n for n in range(10_000)}}
        job = await self.run_job(manager, "ok", metadata=metadata)

        self.assertEqual((job.status, job.result), (JobStatus.COMPLETED, "done"))
        self.assertEqual(job.metadata["blob"], MEGABYTE)
        [consumer] = self.consumers("ok")
        self.assertEqual(consumer.parent.span_id, self.producer("ok").context.span_id)
        for span in self.spans():
            self.assertLess(sum(len(str(v)) for v in span.attributes.values()), 1024,
                            "metadata is never copied onto spans")

    async def test_a_megabyte_of_metadata_in_memory_runs_like_any_job(self) -> None:
        await self.check_oversize("memory")

    async def test_a_megabyte_of_metadata_in_sqlite_runs_like_any_job(self) -> None:
        await self.check_oversize("sqlite")

    async def test_metadata_sqlite_cannot_store_is_a_clear_enqueue_failure(self) -> None:
        manager = self.manager(self.storage("sqlite"), workers=[])
        manager.register_task("ok", lambda: "done")
        result = await manager.enqueue("ok", metadata={"raw": b"\x00\x01", "tenant": "acme"})
        self.assertTrue(result.is_failure)
        self.assertIn("metadata is not JSON-serialisable", result.error)
        self.assertIs(self.producer("ok").status.status_code, StatusCode.ERROR)
        self.assertEqual(len(self.instrumentor.recorder.in_flight), 0)

