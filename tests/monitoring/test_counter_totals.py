"""Counters are plain numbers in the process, reported through observable
counters when a reader collects: every reader sees the running totals,
``get_metrics()`` and the Prometheus text read the same numbers, and the
totals never go backwards when a ``JobMetrics`` on the same provider goes away."""

from __future__ import annotations

import gc
import unittest

from opentelemetry.sdk.metrics import Counter, MeterProvider, ObservableCounter
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

from uno.core.monitoring.metrics import PrometheusMetricsExporter
from uno.jobs.monitoring.job_metrics import JobMetrics

from .support import all_points

ENQUEUED = "uno_jobs.job_enqueued"
EMAILS = (("priority", "HIGH"), ("queue", "emails"), ("task", "send"))


def enqueue(metrics: JobMetrics, times: int) -> None:
    for _ in range(times):
        metrics.record_job_enqueued(queue="emails", task="send", priority="HIGH")


class CounterTotalsTests(unittest.TestCase):
    def test_every_reader_sees_the_running_total_at_each_collection(self) -> None:
        first, second = InMemoryMetricReader(), InMemoryMetricReader()
        metrics = JobMetrics(meter_provider=MeterProvider(metric_readers=[first, second]))
        enqueue(metrics, 2)
        self.assertEqual(all_points(first.get_metrics_data())[ENQUEUED][EMAILS].value, 2)
        enqueue(metrics, 3)
        for reader in (first, second):
            self.assertEqual(all_points(reader.get_metrics_data())[ENQUEUED][EMAILS].value, 5)

    def test_a_delta_reader_gets_what_was_added_since_its_last_collection(self) -> None:
        delta = AggregationTemporality.DELTA
        reader = InMemoryMetricReader(preferred_temporality={Counter: delta,
                                                             ObservableCounter: delta})
        metrics = JobMetrics(meter_provider=MeterProvider(metric_readers=[reader]))
        enqueue(metrics, 4)
        self.assertEqual(all_points(reader.get_metrics_data())[ENQUEUED][EMAILS].value, 4)
        enqueue(metrics, 1)
        self.assertEqual(all_points(reader.get_metrics_data())[ENQUEUED][EMAILS].value, 1)

    def test_get_metrics_and_prometheus_read_the_same_totals(self) -> None:
        reader = InMemoryMetricReader()
        metrics = JobMetrics(meter_provider=MeterProvider(metric_readers=[reader]))
        enqueue(metrics, 3)
        self.assertEqual(metrics.get_metrics()[ENQUEUED]["total"], 3)
        text = PrometheusMetricsExporter(metrics.metrics_manager).export_metrics()
        self.assertIn('uno_jobs_job_enqueued_total{priority="HIGH",queue="emails",task="send"}'
                      " 3.0", text.splitlines())

    def test_totals_survive_a_job_metrics_that_goes_away(self) -> None:
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        first = JobMetrics(meter_provider=provider)
        enqueue(first, 2)
        self.assertEqual(all_points(reader.get_metrics_data())[ENQUEUED][EMAILS].value, 2)
        del first
        gc.collect()
        second = JobMetrics(meter_provider=provider)  # e.g. uninstrument, then instrument
        enqueue(second, 1)
        self.assertEqual(all_points(reader.get_metrics_data())[ENQUEUED][EMAILS].value, 3)
        self.assertEqual(second.get_metrics()[ENQUEUED]["total"], 1, "its own view")

    def test_providers_keep_their_own_totals(self) -> None:
        readers = [InMemoryMetricReader(), InMemoryMetricReader()]
        one, two = (JobMetrics(meter_provider=MeterProvider(metric_readers=[r])) for r in readers)
        enqueue(one, 2)
        enqueue(two, 5)
        self.assertEqual([all_points(r.get_metrics_data())[ENQUEUED][EMAILS].value
                          for r in readers], [2, 5])
