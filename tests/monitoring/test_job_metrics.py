"""JobMetrics: every record_*/set_* method, one set of instruments from semconv,
and agreement between get_metrics(), the Prometheus text and the OTLP export."""

from __future__ import annotations

import unittest

from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from prometheus_client.parser import text_string_to_metric_families

from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import JobMetrics, default_job_metrics
from uno.jobs.monitoring.metrics import JobMetrics as ContractJobMetrics

from .support import all_points, key, metrics_with_reader


def record_everything(metrics: JobMetrics) -> None:
    metrics.record_job_enqueued(queue="emails", task="send", priority="HIGH")
    metrics.record_job_enqueued(queue="emails", task="send", priority="HIGH")
    metrics.record_job_started(queue="emails", task="send", worker="w1")
    metrics.record_job_completed(queue="emails", task="send", worker="w1")
    metrics.record_job_failed(queue="emails", task="send", worker="w1", error_type="ValueError")
    metrics.record_job_retry(queue="emails", task="send")
    metrics.record_job_cancelled(queue="emails", task="send")
    metrics.record_job_retries_exhausted(queue="emails", task="send", error_type="ValueError")
    metrics.record_execution_time(queue="emails", task="send", seconds=0.2)
    metrics.record_execution_time(queue="emails", task="send", seconds=7.0)
    metrics.record_wait_time(queue="emails", task="send", seconds=2000.0, priority="HIGH")
    metrics.set_queue_length(queue="emails", status="pending", length=4)
    metrics.set_worker_busy(worker_type="AsyncWorker", count=2)
    metrics.set_worker_idle(worker_type="AsyncWorker", count=8)
    metrics.set_health(check="queue:emails", status="degraded")
    metrics.set_alert(alert="backlog", severity="warning", firing=True)
    metrics.set_queue_oldest_job_age(queue="emails", seconds=42.5)
    metrics.set_scheduler_lag(schedule="nightly", seconds=3.0)
    metrics.set_scheduler_missed_runs(schedule="nightly", count=2)
    metrics.set_worker_heartbeat_age(worker="w1", seconds=1.5)


class JobMetricsTests(unittest.TestCase):
    def test_contract_import_path_is_the_shared_class(self) -> None:
        self.assertIs(ContractJobMetrics, JobMetrics)

    def test_get_metrics_lists_every_semconv_metric_by_full_name(self) -> None:
        metrics, _reader = metrics_with_reader()
        self.assertEqual(set(metrics.get_metrics()),
                         {spec.full_name() for spec in sc.ALL_METRICS})
        self.assertIs(metrics.metrics_manager.namespace, sc.DEFAULT_NAMESPACE)

    def test_record_methods_reach_the_sdk_with_the_documented_attributes(self) -> None:
        metrics, reader = metrics_with_reader()
        record_everything(metrics)
        points = all_points(reader.get_metrics_data())
        self.assertEqual(points["uno_jobs.job_enqueued"][
            key(queue="emails", task="send", priority="HIGH")].value, 2)
        self.assertIn(key(queue="emails", task="send", worker="w1", error_type="ValueError"),
                      points["uno_jobs.job_failed"])
        for name in ("job_started", "job_completed", "job_retry", "job_cancelled"):
            self.assertEqual(sum(p.value for p in points[f"uno_jobs.{name}"].values()), 1)
        execution = points["uno_jobs.execution_time"][key(queue="emails", task="send")]
        self.assertEqual(tuple(execution.explicit_bounds), sc.EXECUTION_TIME_BUCKETS)
        self.assertEqual((execution.count, execution.sum), (2, 7.2))
        wait = points["uno_jobs.wait_time"][key(queue="emails", task="send", priority="HIGH")]
        self.assertEqual(tuple(wait.explicit_bounds), sc.WAIT_TIME_BUCKETS)
        self.assertEqual(wait.bucket_counts[-2], 1)  # 2000 s lands in (1800, 3600]
        health = {k: p.value for k, p in points["uno_jobs.health"].items()}
        self.assertEqual(health, {
            key(check="queue:emails", status="healthy"): 0,
            key(check="queue:emails", status="degraded"): 1,
            key(check="queue:emails", status="unhealthy"): 0,
        })
        self.assertEqual(points["uno_jobs.alerts"][key(alert="backlog", severity="warning")].value,
                         1)

    def test_units_come_from_semconv(self) -> None:
        metrics, reader = metrics_with_reader()
        record_everything(metrics)
        data = reader.get_metrics_data()
        units = {m.name: m.unit for rm in data.resource_metrics for sm in rm.scope_metrics
                 for m in sm.metrics}
        self.assertEqual(units, {spec.full_name(): spec.unit for spec in sc.ALL_METRICS})

    def test_a_second_job_metrics_on_one_manager_shares_its_instruments(self) -> None:
        first, reader = metrics_with_reader()
        second = JobMetrics(metrics_manager=first.metrics_manager)
        first.record_job_retry(queue="q", task="t")
        second.record_job_retry(queue="q", task="t")
        self.assertEqual(first.get_metrics()["uno_jobs.job_retry"]["total"], 2)
        points = all_points(reader.get_metrics_data())["uno_jobs.job_retry"]
        self.assertEqual(points[key(queue="q", task="t")].value, 2)

    def test_wait_time_is_never_negative(self) -> None:
        metrics, _reader = metrics_with_reader()
        metrics.record_wait_time(queue="q", task="t", seconds=-3.0)
        series = metrics.get_metrics()["uno_jobs.wait_time"]["series"][0]
        self.assertEqual(series["sum"], 0.0)

    def test_default_job_metrics_is_one_per_process(self) -> None:
        self.assertIs(default_job_metrics(), default_job_metrics())


class AgreementTests(unittest.TestCase):
    """The counts get_metrics(), the Prometheus text and the OTLP export show agree."""

    def setUp(self) -> None:
        self.metrics, self.reader = metrics_with_reader()
        record_everything(self.metrics)
        self.local = self.metrics.get_metrics()
        text = PrometheusMetricsExporter(self.metrics.metrics_manager).export_metrics()
        self.prometheus = {s.name: s.value for f in text_string_to_metric_families(text)
                           for s in f.samples}
        request = encode_metrics(self.reader.get_metrics_data())
        self.otlp = {m.name: m for rm in request.resource_metrics for sm in rm.scope_metrics
                     for m in sm.metrics}

    def test_counters_agree(self) -> None:
        for spec in sc.COUNTERS:
            name = spec.full_name()
            otlp_total = sum(p.as_double or p.as_int for p in self.otlp[name].sum.data_points)
            self.assertEqual(self.local[name]["total"], otlp_total, name)
            prom = self.prometheus[f"{name.replace('.', '_')}_total"]
            self.assertEqual(prom, otlp_total, name)

    def test_histograms_agree(self) -> None:
        for spec in sc.HISTOGRAMS:
            name = spec.full_name()
            (point,) = self.otlp[name].histogram.data_points
            (series,) = self.local[name]["series"]
            self.assertEqual((series["count"], series["sum"]), (point.count, point.sum))
            self.assertEqual(list(series["buckets"].values()), list(point.bucket_counts))
            prom_name = f"{name.replace('.', '_')}_seconds"
            self.assertEqual(self.prometheus[f"{prom_name}_count"], point.count)
            self.assertAlmostEqual(self.prometheus[f"{prom_name}_sum"], point.sum)

    def test_observable_counters_agree(self) -> None:
        for spec in sc.OBSERVABLE_COUNTERS:
            name = spec.full_name()
            otlp = self.otlp[name].sum
            self.assertTrue(otlp.is_monotonic, name)
            total = sum(p.as_double or p.as_int for p in otlp.data_points)
            self.assertEqual(self.local[name]["total"], total, name)
            self.assertEqual(self.prometheus[f"{name.replace('.', '_')}_total"], total, name)

    def test_gauges_agree(self) -> None:
        for spec in sc.GAUGES:
            name = spec.full_name()
            otlp = sorted(p.as_double or p.as_int for p in self.otlp[name].gauge.data_points)
            local = sorted(s["value"] for s in self.local[name]["series"])
            self.assertEqual(local, otlp, name)
