"""``JobMetrics`` ports as written from uno: every ``record_*``/``set_*`` method
takes uno's positional order (``record_wait_time(queue, task, priority,
seconds)``) and records exactly what the keyword calls record."""

from __future__ import annotations

import unittest

from uno.jobs.monitoring.job_metrics import JobMetrics

from .support import all_points, metrics_with_reader
from .test_job_metrics import record_everything


def record_everything_positionally(metrics: JobMetrics) -> None:
    """``record_everything``, in the positional order of uno's ``JobMetrics``."""
    metrics.record_job_enqueued("emails", "send", "HIGH")
    metrics.record_job_enqueued("emails", "send", "HIGH")
    metrics.record_job_started("emails", "send", "w1")
    metrics.record_job_completed("emails", "send", "w1")
    metrics.record_job_failed("emails", "send", "w1", "ValueError")
    metrics.record_job_retry("emails", "send")
    metrics.record_job_cancelled("emails", "send")
    metrics.record_job_retries_exhausted("emails", "send", "ValueError")
    metrics.record_execution_time("emails", "send", 0.2)
    metrics.record_execution_time("emails", "send", 7.0)
    metrics.record_wait_time("emails", "send", "HIGH", 2000.0)
    metrics.set_queue_length("emails", "pending", 4)
    metrics.set_worker_busy("AsyncWorker", 2)
    metrics.set_worker_idle("AsyncWorker", 8)
    metrics.set_health("queue:emails", "degraded")
    metrics.set_alert("backlog", "warning", True)
    metrics.set_queue_oldest_job_age("emails", 42.5)
    metrics.set_scheduler_lag("nightly", 3.0)
    metrics.set_scheduler_missed_runs("nightly", 2)
    metrics.set_worker_heartbeat_age("w1", 1.5)


def _values(points: dict) -> dict:
    return {name: {attrs: p.value if hasattr(p, "value") else (p.count, p.sum)
                   for attrs, p in series.items()} for name, series in points.items()}


class UnoPositionalOrderTests(unittest.TestCase):
    def test_wait_time_takes_queue_task_priority_seconds(self) -> None:
        metrics, _reader = metrics_with_reader()
        metrics.record_wait_time("q", "t", "LOW", 0.2)
        (series,) = metrics.get_metrics()["uno_jobs.wait_time"]["series"]
        self.assertEqual(series["attributes"], {"queue": "q", "task": "t", "priority": "LOW"})
        self.assertEqual((series["count"], series["sum"]), (1, 0.2))

    def test_wait_time_keyword_calls_keep_working(self) -> None:
        metrics, _reader = metrics_with_reader()
        metrics.record_wait_time(queue="q", task="t", seconds=1.5)
        metrics.record_wait_time(queue="q", task="t", seconds=0.5, priority="HIGH")
        metrics.record_wait_time("q", "t", seconds=2.0)
        by_priority = {s["attributes"]["priority"]: s["sum"]
                       for s in metrics.get_metrics()["uno_jobs.wait_time"]["series"]}
        self.assertEqual(by_priority, {"NORMAL": 3.5, "HIGH": 0.5})

    def test_wait_time_without_seconds_says_so(self) -> None:
        metrics, _reader = metrics_with_reader()
        with self.assertRaisesRegex(TypeError, "seconds"):
            metrics.record_wait_time("q", "t", "LOW")

    def test_every_method_records_the_same_positionally_as_by_keyword(self) -> None:
        by_keyword, keyword_reader = metrics_with_reader()
        positional, positional_reader = metrics_with_reader()
        record_everything(by_keyword)
        record_everything_positionally(positional)
        self.assertEqual(_values(all_points(positional_reader.get_metrics_data())),
                         _values(all_points(keyword_reader.get_metrics_data())))
