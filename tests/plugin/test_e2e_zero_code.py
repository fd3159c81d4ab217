"""End to end, zero code: ``opentelemetry-instrument python examples/zero_code_app.py``
exporting OTLP/HTTP to an in-test receiver. For a job that succeeds, one that
fails and one that retries: producer and consumer spans in one trace, every
uno metric with its attributes, the gauges, and lifecycle and handler logs
carrying the right span ids."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest
from collections import defaultdict
from pathlib import Path

from uno.jobs.monitoring import semconv as sc

from .otlp_http import OtlpHttpReceiver, Span

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "zero_code_app.py"
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
PRODUCER, CONSUMER, ERROR = 4, 5, 2
TASKS = ("charge_card", "send_receipt", "sync_inventory")


def run_app(receiver: OtlpHttpReceiver, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update({
        "OTEL_SERVICE_NAME": "zero-code-e2e",
        "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "true",
        "OTEL_METRIC_EXPORT_INTERVAL": "500", "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100", "PYTHONWARNINGS": "ignore::DeprecationWarning",
        **extra_env,
    })
    return subprocess.run([str(INSTRUMENT), sys.executable, str(APP)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


class ZeroCodeEndToEndTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        with OtlpHttpReceiver() as receiver:
            cls.proc = run_app(receiver)
        cls.receiver = receiver
        cls.spans = receiver.spans()
        by_job: dict[str, dict[int, list[Span]]] = defaultdict(lambda: defaultdict(list))
        for span in cls.spans:
            if "messaging.message.id" in span.attributes:
                by_job[span.attributes["messaging.message.id"]][span.kind].append(span)
        cls.jobs = {task: spans for spans in by_job.values() for task in TASKS
                    if spans[CONSUMER] and spans[CONSUMER][0].name == f"process {task}"}

    def setUp(self) -> None:
        self.assertEqual(self.proc.returncode, 0, f"{self.proc.stdout}\n{self.proc.stderr}")

    def consumers(self, task: str) -> list[Span]:
        return sorted(self.jobs[task][CONSUMER], key=lambda s: s.attributes["uno_jobs.job.attempt"])

    def test_each_job_is_one_trace_from_its_producer_span(self) -> None:
        self.assertEqual(set(self.jobs), set(TASKS), [s.name for s in self.spans])
        for task in TASKS:
            [producer] = self.jobs[task][PRODUCER]
            self.assertEqual(producer.name, f"enqueue {task}")
            for consumer in self.consumers(task):
                self.assertEqual(consumer.trace_id, producer.trace_id, task)
                self.assertEqual(consumer.parent_span_id, producer.span_id, task)
        self.assertEqual(len({self.jobs[t][PRODUCER][0].trace_id for t in TASKS}), 3)

    def test_failure_and_retry_show_on_the_consumer_spans(self) -> None:
        [failed] = self.consumers("send_receipt")
        self.assertEqual(failed.status_code, ERROR)
        self.assertEqual(failed.attributes["error.type"], "ConnectionError")
        self.assertIn("exception", failed.events)
        first, second = self.consumers("sync_inventory")
        self.assertEqual((first.status_code, first.attributes["error.type"]),
                         (ERROR, "TimeoutError"))
        self.assertEqual((second.status_code, second.attributes["uno_jobs.job.attempt"]), (0, 2))
        [ok] = self.consumers("charge_card")
        self.assertEqual(ok.status_code, 0)

    def test_every_uno_metric_arrives_with_its_attributes(self) -> None:
        def series(spec: sc.MetricSpec) -> list[dict]:
            points = self.receiver.metric_points(spec.full_name())
            self.assertTrue(points, f"{spec.full_name()} was not exported")
            for attributes, _point in points:
                self.assertEqual(set(attributes), set(spec.attributes), spec.name)
            return [attributes for attributes, _point in points]

        self.assertIn({"queue": "payments", "task": "charge_card", "priority": "NORMAL"},
                      series(sc.JOB_ENQUEUED))
        self.assertIn("worker-1", {a["worker"] for a in series(sc.JOB_STARTED)})
        self.assertIn("sync_inventory", {a["task"] for a in series(sc.JOB_COMPLETED)})
        self.assertEqual({a["error_type"] for a in series(sc.JOB_FAILED)},
                         {"ConnectionError", "TimeoutError"})
        self.assertIn({"queue": "inventory", "task": "sync_inventory"}, series(sc.JOB_RETRY))
        self.assertIn({"queue": "payments", "task": "charge_card"}, series(sc.JOB_CANCELLED))
        for spec in (sc.EXECUTION_TIME, sc.WAIT_TIME):
            series(spec)
            _attributes, point = self.receiver.metric_points(spec.full_name())[-1]
            self.assertEqual(tuple(point.explicit_bounds), spec.buckets)
        self.assertIn({"queue": "payments", "status": "completed"}, series(sc.QUEUE_LENGTH))
        self.assertEqual({a["worker_type"] for a in series(sc.WORKER_BUSY)}, {"AsyncWorker"})
        self.assertEqual({a["worker_type"] for a in series(sc.WORKER_IDLE)}, {"AsyncWorker"})
        self.assertIn({"check": "queue:payments", "status": "healthy"}, series(sc.HEALTH))

    def test_lifecycle_and_handler_logs_carry_their_span_ids(self) -> None:
        logs = self.receiver.logs()
        for task in TASKS:
            [producer] = self.jobs[task][PRODUCER]
            job_id = producer.attributes["messaging.message.id"]
            records = [r for r in logs if r.attributes.get("job_id") == job_id]
            consumers = self.consumers(task)
            # by default one record per attempt outcome, in that attempt's span
            self.assertEqual([r.span_id for r in records], [c.span_id for c in consumers])
            self.assertIn(records[-1].attributes["job_event"], ("completed", "failed"))
            self.assertTrue(all(r.attributes["job_event"] not in ("enqueued", "started")
                                for r in records))
            self.assertEqual({r.trace_id for r in records}, {producer.trace_id})
        handler_logs = {r.body: r for r in logs if r.attributes.get("code.function.name")
                        in TASKS}
        self.assertEqual(handler_logs["charging order A-1: 1999 cents"].span_id,
                         self.consumers("charge_card")[0].span_id)
        self.assertEqual(handler_logs["syncing SKU-7, attempt 1"].span_id,
                         self.consumers("sync_inventory")[0].span_id)
        self.assertEqual(handler_logs["syncing SKU-7, attempt 2"].span_id,
                         self.consumers("sync_inventory")[1].span_id)


class DisabledZeroCodeTests(unittest.TestCase):
    def test_disabled_instrumentations_leaves_the_app_uninstrumented(self) -> None:
        with OtlpHttpReceiver() as receiver:
            proc = run_app(receiver, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="uno_jobs")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([s for s in receiver.spans() if s.name.startswith("enqueue ")], [])
        self.assertEqual(receiver.metric_points("uno_jobs.job_enqueued"), [])
