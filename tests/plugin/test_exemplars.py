"""Exemplars: a histogram point recorded inside a job's span carries that span
(the SDK's default ``trace_based`` exemplar filter), so a slow bucket leads to
its trace — zero code over OTLP/HTTP, and in process on the failure path.
Counters are observed at collection time and carry none."""

from __future__ import annotations

import os
import unittest
from collections import defaultdict
from typing import Any
from unittest import mock

from uno.jobs import JobStatus

from .otlp_http import OtlpHttpReceiver, Span
from .support import PluginCase, fast_worker, key, register_flaky
from .test_e2e_zero_code import CONSUMER, TASKS, run_app


def exemplar_ids(point: Any) -> set[tuple[str, str]]:
    """(trace id, span id) of a decoded OTLP point's exemplars, hex."""
    return {(e.trace_id.hex(), e.span_id.hex()) for e in point.exemplars}


class ZeroCodeExemplarTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        with OtlpHttpReceiver() as receiver:
            cls.proc = run_app(receiver)
        cls.receiver = receiver
        cls.spans: dict[tuple[str, int], list[Span]] = defaultdict(list)
        for span in receiver.spans():
            task = span.name.split(" ", 1)[-1]
            cls.spans[task, span.kind].append(span)

    def setUp(self) -> None:
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def exemplars(self, metric: str) -> dict[str, set[tuple[str, str]]]:
        """task -> (trace id, span id) of every exemplar on the metric's points."""
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for attributes, point in self.receiver.metric_points(metric):
            found[attributes["task"]] |= exemplar_ids(point)
        return found

    def ids(self, task: str, kind: int) -> set[tuple[str, str]]:
        return {(s.trace_id, s.span_id) for s in self.spans[task, kind]}

    def test_execution_time_exemplars_are_the_jobs_consumer_spans(self) -> None:
        exemplars = self.exemplars("uno_jobs.execution_time")
        for task in TASKS:
            self.assertTrue(exemplars[task], f"no exemplar for {task}")
            self.assertLessEqual(exemplars[task], self.ids(task, CONSUMER), task)
        [charge] = self.spans["charge_card", CONSUMER]
        self.assertEqual(exemplars["charge_card"], {(charge.trace_id, charge.span_id)})

    def test_wait_time_exemplars_are_the_consumer_spans(self) -> None:
        exemplars = self.exemplars("uno_jobs.wait_time")
        for task in TASKS:
            self.assertTrue(exemplars[task], task)
            self.assertLessEqual(exemplars[task], self.ids(task, CONSUMER), task)

    def test_counters_are_observed_so_they_carry_no_exemplars(self) -> None:
        # counters are read at collection time (no per-job SDK call): the
        # histograms, recorded inside the spans, are what lead to traces
        points = self.receiver.metric_points("uno_jobs.job_enqueued")
        self.assertEqual({attributes["task"] for attributes, _point in points}, set(TASKS))
        self.assertEqual({task: ids for task, ids in self.exemplars("uno_jobs.job_enqueued").items()
                          if ids}, {})


class InProcessExemplarTests(PluginCase):
    def exemplar_span_ids(self, metric: str, attributes: Any) -> set[int]:
        return {e.span_id for e in self.points()[metric][attributes].exemplars}

    async def test_a_failed_attempt_is_the_exemplar_of_its_execution_time(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1")])

        @manager.task(max_retries=0)
        async def broken() -> None:
            raise ValueError("bad")

        self.assertIs((await self.run_job(manager, "broken")).status, JobStatus.FAILED)
        [consumer] = self.consumers("broken")
        self.assertEqual(self.exemplar_span_ids(
            "uno_jobs.execution_time", key(queue="default", task="broken")),
            {consumer.context.span_id})

    async def test_each_retry_is_the_exemplar_of_its_own_attempt(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1")])
        register_flaky(manager, ValueError("first"))

        await self.run_job(manager, "flaky")
        first, second = self.consumers("flaky")
        self.assertEqual(self.exemplar_span_ids(
            "uno_jobs.execution_time", key(queue="default", task="flaky")),
            {second.context.span_id}, "the newest point in the bucket")
        self.assertNotEqual(first.context.span_id, second.context.span_id)

    async def test_the_enqueue_duration_histogram_carries_the_producer_span(self) -> None:
        self.instrumentor.uninstrument()
        with mock.patch.dict(os.environ, {"OTEL_SEMCONV_STABILITY_OPT_IN": "messaging"}):
            self.instrument()
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        producer = self.producer("ok")
        [point] = self.points()["messaging.client.operation.duration"].values()
        self.assertEqual({e.span_id for e in point.exemplars}, {producer.context.span_id})

    async def test_messaging_process_duration_carries_the_span_too(self) -> None:
        self.instrumentor.uninstrument()
        with mock.patch.dict(os.environ, {"OTEL_SEMCONV_STABILITY_OPT_IN": "messaging"}):
            self.instrument()
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        [consumer] = self.consumers("ok")
        [point] = self.points()["messaging.process.duration"].values()
        self.assertEqual({e.span_id for e in point.exemplars}, {consumer.context.span_id})
        self.assertEqual({e.trace_id for e in point.exemplars}, {consumer.context.trace_id})
