"""PrometheusMetricsExporter: text that `promtool check metrics` accepts, with
the names the OpenTelemetry Prometheus exporter gives the same metrics."""

from __future__ import annotations

import shutil
import subprocess
import unittest

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from uno.core.monitoring.prometheus import (
    PrometheusMetricsExporter,
    prometheus_name,
    prometheus_unit,
)
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import JobMetrics, set_default_job_metrics

from .support import metrics_with_reader
from .test_job_metrics import record_everything

PROMTOOL_MISSING = "promtool is missing: install Debian's prometheus package (scripts/test.sh does)"


def promtool_check(text: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool is not None, PROMTOOL_MISSING
    return subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60, check=False)


class PromtoolTests(unittest.TestCase):
    def assert_promtool_accepts(self, text: str) -> None:
        result = promtool_check(text)
        self.assertEqual(result.returncode, 0, f"{result.stdout}{result.stderr}\n{text}")
        self.assertEqual(result.stdout + result.stderr, "", "promtool reported lint problems")

    def test_promtool_is_installed(self) -> None:
        self.assertIsNotNone(shutil.which("promtool"), PROMTOOL_MISSING)

    def test_every_kind_of_metric_passes_promtool(self) -> None:
        metrics, _reader = metrics_with_reader()
        record_everything(metrics)
        self.assert_promtool_accepts(PrometheusMetricsExporter(metrics.metrics_manager)
                                     .export_metrics())

    def test_an_empty_exposition_passes_promtool(self) -> None:
        metrics, _reader = metrics_with_reader()
        self.assert_promtool_accepts(PrometheusMetricsExporter(metrics.metrics_manager)
                                     .export_metrics())

    def test_awkward_label_values_are_escaped(self) -> None:
        metrics, _reader = metrics_with_reader()
        metrics.record_job_failed(queue='we"ird\\queue', task="multi\nline", worker="w",
                                  error_type="ValueError")
        text = PrometheusMetricsExporter(metrics.metrics_manager).export_metrics()
        self.assert_promtool_accepts(text)
        (family,) = [f for f in text_string_to_metric_families(text)
                     if f.name == "uno_jobs_job_failed"]
        self.assertEqual(family.samples[0].labels["queue"], 'we"ird\\queue')


class ExpositionTests(unittest.TestCase):
    def setUp(self) -> None:
        self.metrics, _reader = metrics_with_reader()
        record_everything(self.metrics)
        self.exporter = PrometheusMetricsExporter(metrics_manager=self.metrics.metrics_manager)
        self.lines = self.exporter.export_metrics().splitlines()

    def test_counter_lines(self) -> None:
        self.assertIn("# TYPE uno_jobs_job_enqueued_total counter", self.lines)
        self.assertIn('uno_jobs_job_enqueued_total{priority="HIGH",queue="emails",task="send"} 2.0',
                      self.lines)
        self.assertIn('uno_jobs_job_failed_total{error_type="ValueError",queue="emails",'
                      'task="send",worker="w1"} 1.0', self.lines)

    def test_histogram_lines_have_cumulative_buckets(self) -> None:
        name = "uno_jobs_execution_time_seconds"
        self.assertIn(f"# TYPE {name} histogram", self.lines)
        labels = 'queue="emails",task="send"'
        self.assertIn(f'{name}_bucket{{le="0.1",{labels}}} 0.0', self.lines)
        self.assertIn(f'{name}_bucket{{le="0.5",{labels}}} 1.0', self.lines)
        self.assertIn(f'{name}_bucket{{le="10.0",{labels}}} 2.0', self.lines)
        self.assertIn(f'{name}_bucket{{le="+Inf",{labels}}} 2.0', self.lines)
        self.assertIn(f"{name}_count{{{labels}}} 2.0", self.lines)
        self.assertIn(f"{name}_sum{{{labels}}} 7.2", self.lines)
        self.assertIn('uno_jobs_wait_time_seconds_bucket{le="3600.0",priority="HIGH",'
                      'queue="emails",task="send"} 1.0', self.lines)

    def test_gauge_lines(self) -> None:
        self.assertIn('uno_jobs_queue_length{queue="emails",status="pending"} 4.0', self.lines)
        self.assertIn('uno_jobs_worker_idle{worker_type="AsyncWorker"} 8.0', self.lines)
        self.assertIn('uno_jobs_health{check="queue:emails",status="degraded"} 1.0', self.lines)
        self.assertIn('uno_jobs_health{check="queue:emails",status="healthy"} 0.0', self.lines)
        self.assertIn('uno_jobs_alerts{alert="backlog",severity="warning"} 1.0', self.lines)

    def test_content_type_is_the_text_format(self) -> None:
        self.assertEqual(self.exporter.content_type, "text/plain; version=0.0.4; charset=utf-8")

    def test_without_a_manager_it_exports_the_default_metrics(self) -> None:
        set_default_job_metrics(self.metrics)
        try:
            self.assertIs(PrometheusMetricsExporter().metrics_manager, self.metrics.metrics_manager)
        finally:
            set_default_job_metrics(None)

    def test_unit_mapping(self) -> None:
        self.assertEqual(prometheus_unit("{job}"), "")
        self.assertEqual(prometheus_unit("s"), "seconds")
        self.assertEqual(prometheus_unit("By/s"), "bytes_per_second")
        self.assertEqual(prometheus_name("uno_jobs.execution_time", "s"),
                         "uno_jobs_execution_time_seconds")
        self.assertEqual(prometheus_name("x.latency_seconds", "s"), "x_latency_seconds")


class OpenTelemetryExporterParityTests(unittest.TestCase):
    """The same JobMetrics read by the OpenTelemetry Prometheus exporter and by ours."""

    def test_same_family_names_and_values(self) -> None:
        registry = CollectorRegistry(auto_describe=False)
        reader = PrometheusMetricReader(disable_target_info=True, registry=registry)
        provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
        try:
            metrics = JobMetrics(meter_provider=provider)
            record_everything(metrics)
            otel_text = generate_latest(registry).decode()
        finally:
            provider.shutdown()
        ours = _samples(PrometheusMetricsExporter(metrics.metrics_manager).export_metrics())
        theirs = {name: value for name, value in _samples(otel_text).items()
                  if name[0].startswith(sc.DEFAULT_NAMESPACE)}
        self.assertEqual(ours, theirs)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted((k, v) for k, v in sample.labels.items()
                                  if not k.startswith("otel_scope")))
            found[(sample.name, labels)] = sample.value
    return found
