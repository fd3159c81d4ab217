"""Zero code across processes: a producer process and two worker processes, each
under ``opentelemetry-instrument`` exporting OTLP/HTTP to an in-test receiver.
Each job's consumer span, in a worker process, continues the trace of its
producer span, in the producer process; the queue gauges summed over the
processes' latest exports equal the store's true counts (one process at a time
reports them)."""

from __future__ import annotations

import json
import signal
import sys
from typing import Any

from plugin.otlp_http import OtlpHttpReceiver, attributes_of  # tests/ is on sys.path
from uno.jobs import JobStatus

from .support import StoreCase, eventually

PRODUCER, CONSUMER = 4, 5
JOBS, HELD = 12, 5  # "held" is paused: its jobs stay pending


def otel_env(receiver: OtlpHttpReceiver, instance: str) -> dict[str, str]:
    return {
        "OTEL_SERVICE_NAME": "stores-e2e", "OTEL_RESOURCE_ATTRIBUTES":
            f"service.instance.id={instance}",
        "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": "300", "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_PYTHON_UNO_JOBS_COLLECTION_INTERVAL": "0.2",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }


def latest_queue_lengths(receiver: OtlpHttpReceiver) -> dict[str, dict[tuple[str, str], Any]]:
    """Per process (``service.instance.id``): the ``queue_length`` points of its
    latest metrics export, by (queue, status); empty when it reported none."""
    latest: dict[str, dict[tuple[str, str], Any]] = {}
    for request in list(receiver.requests["/v1/metrics"]):
        for resource in request.resource_metrics:
            points = {}
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == "uno_jobs.queue_length":
                        for point in metric.gauge.data_points:
                            attrs = attributes_of(point)
                            points[attrs["queue"], attrs["status"]] = getattr(
                                point, point.WhichOneof("value"))
            latest[attributes_of(resource.resource)["service.instance.id"]] = points
    return latest


class ZeroCodeAcrossProcessesTests(StoreCase):
    store_kind = "sqlite"

    async def test_traces_continue_and_gauges_sum_to_the_truth_across_processes(self) -> None:
        await self.storage.set_paused("held", True)
        with OtlpHttpReceiver() as receiver:
            workers = {}
            for _ in range(2):
                name = f"proc-{len(self.procs)}"
                workers[name] = self.spawn_worker(concurrency=4, queues="default,held",
                                                  instrumented=True, **otel_env(receiver, name))
            producer = self.spawn(
                [sys.executable, "-m", "tests.stores.apps.producer", self.namespace.url,
                 str(JOBS), str(HELD)], "producer", instrumented=True,
                **otel_env(receiver, "producer"))
            self.assert_exits_cleanly(producer, timeout=30)
            enqueued = json.loads(self.output(producer).strip().splitlines()[-1])
            await self.wait_completed(JOBS, timeout=30)

            async def gauges_sum_to_the_truth() -> bool:
                truth = await self.storage.count_by_queue_and_status()
                reports = [p for p in latest_queue_lengths(receiver).values() if p]
                summed = {k: sum(p.get(k, 0) for p in reports)
                          for k in (("held", "pending"), ("default", "completed"))}
                return len(reports) == 1 and summed == {
                    ("held", "pending"): truth[("held", JobStatus.PENDING)],
                    ("default", "completed"): truth[("default", JobStatus.COMPLETED)]}

            await eventually(gauges_sum_to_the_truth, timeout=20,
                             what="the summed queue gauges to equal the store's counts")
            self.assertEqual(set(latest_queue_lengths(receiver)) - {"producer"}, set(workers))
            for proc in workers.values():
                proc.send_signal(signal.SIGTERM)
            for proc in workers.values():
                self.assert_exits_cleanly(proc)
        self.assert_each_consumer_span_continues_its_producer_span(receiver, enqueued["mark"])

    def assert_each_consumer_span_continues_its_producer_span(
            self, receiver: OtlpHttpReceiver, job_ids: list[str]) -> None:
        spans = receiver.spans()
        for job_id in job_ids:
            mine = [s for s in spans if s.attributes.get("messaging.message.id") == job_id]
            [producer] = [s for s in mine if s.kind == PRODUCER]
            [consumer] = [s for s in mine if s.kind == CONSUMER]
            self.assertEqual((producer.name, consumer.name), ("enqueue mark", "process mark"))
            self.assertEqual(consumer.trace_id, producer.trace_id, job_id)
            self.assertEqual(consumer.parent_span_id, producer.span_id, job_id)
            self.assertIn(consumer.attributes["uno_jobs.worker.name"], ("proc-0", "proc-1"))
        producers = [s for s in spans if s.name == "enqueue mark"]
        self.assertEqual(len({s.trace_id for s in producers}), len(job_ids))


class PostgresZeroCodeAcrossProcessesTests(ZeroCodeAcrossProcessesTests):
    store_kind = "postgres"


class RedisZeroCodeAcrossProcessesTests(ZeroCodeAcrossProcessesTests):
    store_kind = "redis"
