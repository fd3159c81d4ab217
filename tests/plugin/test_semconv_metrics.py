"""Semantic-convention metrics on request: ``OTEL_SEMCONV_STABILITY_OPT_IN=messaging``
records the messaging metrics instead of the uno ones they replace, ``messaging/dup``
both, no opt-in the uno ones only — in process, through ``JobMetrics``' own views,
and zero code over OTLP."""

from __future__ import annotations

import os
import unittest
from typing import Any
from unittest import mock

from opentelemetry.instrumentation.uno_jobs.config import messaging_opt_in

from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs import JobStatus
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import default_job_metrics

from .otlp_http import OtlpHttpReceiver
from .support import Key, PluginCase, fast_worker, key
from .test_e2e_zero_code import run_app

MESSAGING = {spec.full_name() for spec in sc.MESSAGING_METRICS}
REPLACED = {spec.full_name() for spec in sc.UNO_METRICS_REPLACED_BY_MESSAGING}
SENT, OPERATION, CONSUMED, PROCESS = (
    "messaging.client.sent.messages", "messaging.client.operation.duration",
    "messaging.client.consumed.messages", "messaging.process.duration")


def messaging_key(operation: str, queue: str = "default", error: str | None = None) -> Key:
    attributes = {"messaging.system": "uno_jobs", "messaging.operation.name": operation,
                  "messaging.operation.type": "send" if operation == "enqueue" else "process",
                  "messaging.destination.name": queue}
    if error is not None:
        attributes["error.type"] = error
    return key(**attributes)


class OptInParsingTests(unittest.TestCase):
    def test_the_variable_is_parsed_as_contrib_parses_it(self) -> None:
        cases = {None: "default", "": "default", "http": "default", "Messaging": "default",
                 "messaging": "messaging", " http , messaging ": "messaging",
                 "messaging/dup": "messaging/dup", "messaging,messaging/dup": "messaging/dup",
                 "database/dup, messaging/dup": "messaging/dup"}
        for raw, expected in cases.items():
            self.assertEqual(messaging_opt_in(raw), expected, raw)


class _OptInCase(PluginCase):
    opt_in: str | None = None

    def setUp(self) -> None:
        environ = {} if self.opt_in is None else {"OTEL_SEMCONV_STABILITY_OPT_IN": self.opt_in}
        with mock.patch.dict(os.environ, environ):
            if self.opt_in is None:
                os.environ.pop("OTEL_SEMCONV_STABILITY_OPT_IN", None)
            super().setUp()

    async def run_ok_and_broken(self) -> None:
        manager = self.manager(workers=[fast_worker(name="w1", queues=["emails"])])
        manager.register_task("ok", lambda: 1, queue="emails")

        @manager.task(queue="emails", max_retries=1, retry_delay=0)
        async def broken() -> None:
            raise ConnectionError("smtp down")

        await self.run_job(manager, "ok")
        self.assertIs((await self.run_job(manager, "broken")).status, JobStatus.FAILED)
        await manager.enqueue("no_such_task")  # a rejected enqueue

    def metrics(self) -> dict[str, Any]:
        data = self.memory_metrics_reader.get_metrics_data()
        return {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics
                for m in sm.metrics}


class DefaultModeTests(_OptInCase):
    async def test_without_opt_in_only_the_uno_metrics_are_recorded(self) -> None:
        await self.run_ok_and_broken()
        names = set(self.metrics())
        self.assertEqual(names & MESSAGING, set())
        self.assertLessEqual(REPLACED, names)


class MessagingModeTests(_OptInCase):
    opt_in = "http,messaging"

    async def test_messaging_metrics_replace_the_uno_ones_they_cover(self) -> None:
        await self.run_ok_and_broken()
        metrics = self.metrics()
        self.assertLessEqual(MESSAGING, set(metrics))
        self.assertEqual(set(metrics) & REPLACED, set())
        for kept in ("uno_jobs.wait_time", "uno_jobs.job_retry",
                     "uno_jobs.job_retries_exhausted"):
            self.assertIn(kept, metrics)

    async def test_required_attributes_units_and_bucket_advice(self) -> None:
        await self.run_ok_and_broken()
        metrics, points = self.metrics(), self.points()
        for name, unit in ((SENT, "{message}"), (CONSUMED, "{message}"),
                           (OPERATION, "s"), (PROCESS, "s")):
            self.assertEqual(metrics[name].unit, unit, name)
        self.assertEqual(points[SENT][messaging_key("enqueue", "emails")].value, 2)
        self.assertEqual(points[SENT][key(**{
            "messaging.system": "uno_jobs", "messaging.operation.name": "enqueue",
            "messaging.operation.type": "send", "error.type": "enqueue_rejected"})].value, 1)
        self.assertEqual(points[OPERATION][messaging_key("enqueue", "emails")].count, 2)
        self.assertEqual(points[CONSUMED][messaging_key("process", "emails")].value, 3)
        ok = points[PROCESS][messaging_key("process", "emails")]
        failed = points[PROCESS][messaging_key("process", "emails", "ConnectionError")]
        self.assertEqual((ok.count, failed.count), (1, 2))
        self.assertEqual(tuple(ok.explicit_bounds), sc.MESSAGING_DURATION_BUCKETS)
        self.assertEqual(tuple(points[OPERATION][messaging_key("enqueue", "emails")]
                               .explicit_bounds), sc.MESSAGING_DURATION_BUCKETS)

    async def test_job_metrics_and_prometheus_show_what_is_emitted(self) -> None:
        await self.run_ok_and_broken()
        local = default_job_metrics().get_metrics()
        self.assertEqual(local[PROCESS]["total"], 3)
        self.assertEqual(local[SENT]["total"], 3)
        self.assertEqual(local["uno_jobs.job_completed"]["total"], 0)
        text = PrometheusMetricsExporter(default_job_metrics().metrics_manager).export_metrics()
        self.assertIn('messaging_process_duration_seconds_count{error_type="ConnectionError"',
                      text)
        self.assertIn("messaging_client_sent_messages_total{", text)


class DupModeTests(_OptInCase):
    opt_in = "messaging/dup"

    async def test_dup_records_both_sets_and_both_span_attribute_names(self) -> None:
        await self.run_ok_and_broken()
        names = set(self.metrics())
        self.assertLessEqual(MESSAGING | REPLACED, names)
        self.assertSpanHasAttributes(self.consumers("ok")[0], {
            "messaging.operation": "process", "messaging.operation.type": "process"})

    async def test_an_explicit_span_mode_still_wins(self) -> None:
        self.instrumentor.uninstrument()
        with mock.patch.dict(os.environ, {"OTEL_SEMCONV_STABILITY_OPT_IN": "messaging/dup"}):
            self.instrument(semconv_mode="stable")
        await self.run_ok_and_broken()
        self.assertNotIn("messaging.operation", self.consumers("ok")[0].attributes)
        self.assertIn(PROCESS, self.metrics())


class ZeroCodeMessagingTests(unittest.TestCase):
    def test_opentelemetry_instrument_exports_the_messaging_metrics(self) -> None:
        with OtlpHttpReceiver() as receiver:
            proc = run_app(receiver, OTEL_SEMCONV_STABILITY_OPT_IN="messaging")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for spec in sc.UNO_METRICS_REPLACED_BY_MESSAGING:
            self.assertEqual(receiver.metric_points(spec.full_name()), [], spec.name)
        self.assertTrue(receiver.metric_points("uno_jobs.wait_time"))
        process = {attributes.get("error.type"): point
                   for attributes, point in receiver.metric_points(PROCESS)}
        self.assertLessEqual({None, "ConnectionError", "TimeoutError"}, set(process))
        self.assertEqual(tuple(process[None].explicit_bounds), sc.MESSAGING_DURATION_BUCKETS)
        sent = [attributes for attributes, _point in receiver.metric_points(SENT)]
        self.assertIn({"messaging.system": "uno_jobs", "messaging.operation.name": "enqueue",
                       "messaging.operation.type": "send",
                       "messaging.destination.name": "payments"}, sent)
        consumed = {a["messaging.destination.name"]
                    for a, _point in receiver.metric_points(CONSUMED)}
        self.assertEqual(consumed, {"payments", "inventory"})
