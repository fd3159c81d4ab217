"""``JobMetrics.series()``: the plugin's per-(queue, task, priority, worker)
shortcut records exactly what the matching ``record_*`` calls record."""

from __future__ import annotations

import unittest

from .support import all_points, metrics_with_reader


class JobSeriesTests(unittest.TestCase):
    def test_a_series_records_what_the_record_calls_record(self) -> None:
        by_hand, hand_reader = metrics_with_reader()
        by_hand.record_job_enqueued(queue="q", task="t", priority="HIGH")
        by_hand.record_job_started(queue="q", task="t", worker="w")
        by_hand.record_wait_time(queue="q", task="t", seconds=-1.0, priority="HIGH")
        by_hand.record_job_completed(queue="q", task="t", worker="w")
        by_hand.record_execution_time(queue="q", task="t", seconds=0.25)

        shortcut, series_reader = metrics_with_reader()
        shortcut.series("q", "t", "HIGH").enqueued()
        series = shortcut.series("q", "t", "HIGH", "w")
        series.started(wait_seconds=-1.0)
        series.completed(run_seconds=0.25)

        self.assertEqual(shortcut.get_metrics(), by_hand.get_metrics())
        exported = [all_points(reader.get_metrics_data())
                    for reader in (hand_reader, series_reader)]
        self.assertEqual(*({name: {key: (getattr(p, "value", None), getattr(p, "sum", None))
                                   for key, p in points.items()}
                            for name, points in found.items()} for found in exported))

    def test_series_are_cached_per_kind_of_job(self) -> None:
        metrics, _reader = metrics_with_reader()
        high = metrics.series("q", "t", "HIGH", "w")
        self.assertIs(metrics.series("q", "t", "HIGH", "w"), high)
        self.assertIsNot(metrics.series("q", "t", "LOW", "w"), high)
