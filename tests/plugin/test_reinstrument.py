"""``uninstrument()`` then ``instrument()`` on the same MeterProvider: the
observable gauges report one set of points, from the live ``JobMetrics`` —
never the values the previous instrumentation's ``JobMetrics`` held."""

from __future__ import annotations

from uno.jobs.monitoring.job_metrics import default_job_metrics

from .support import PluginCase, key


class ReinstrumentTests(PluginCase):
    def queue_length_points(self) -> list[float]:
        points = self.points().get("uno_jobs.queue_length", {})
        return [p.value for attrs, p in points.items()
                if attrs == key(queue="emails", status="pending")]

    def test_gauges_read_the_live_job_metrics_after_reinstrumenting(self) -> None:
        before = default_job_metrics()
        before.set_queue_length("emails", "pending", 5)
        self.assertEqual(self.queue_length_points(), [5])
        self.instrumentor.uninstrument()
        self.instrument()
        after = default_job_metrics()
        self.assertIsNot(after, before)
        after.set_queue_length("emails", "pending", 7)
        self.assertEqual(self.queue_length_points(), [7])

    def test_a_stale_job_metrics_is_not_reported_after_uninstrument(self) -> None:
        default_job_metrics().set_queue_length("emails", "pending", 5)
        self.instrumentor.uninstrument()
        self.assertEqual(self.queue_length_points(), [])
