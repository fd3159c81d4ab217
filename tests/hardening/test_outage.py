"""A collector that is down costs the job system nothing: a burst of jobs run
under ``opentelemetry-instrument`` with the README's settings, against a
closed port and against a server that accepts and never answers, all
complete; the job time and peak RSS stay within 1.5x of the same run with a
live receiver; the process exits within 20 s of its last job.
(``benchmarks/outage.py`` is the 5,000-job version, with figures.)"""

from __future__ import annotations

import unittest

from .outage import RECOMMENDED_ENV, BurstRun, collector, run_burst

JOBS = 1_500
MAX_RATIO = 1.5
JOB_TIME_SLACK = 0.25  # seconds: scheduler noise on a sub-second run, 2 shared cores
MAX_EXIT_SECONDS = 20.0


class CollectorOutageTests(unittest.TestCase):
    runs: dict[str, BurstRun]

    @classmethod
    def setUpClass(cls) -> None:
        cls.runs = {}
        for kind in ("live", "closed", "hanging"):
            with collector(kind) as endpoint:
                cls.runs[kind] = run_burst(endpoint, JOBS, timeout=90, **RECOMMENDED_ENV)

    def assert_unaffected(self, kind: str) -> None:
        run, live = self.runs[kind], self.runs["live"]
        figures = (f"{kind}: {run.job_seconds:.2f} s, {run.peak_rss_mb:.0f} MiB, exit "
                   f"{run.exit_seconds:.1f} s; live: {live.job_seconds:.2f} s, "
                   f"{live.peak_rss_mb:.0f} MiB")
        self.assertEqual((run.returncode, run.completed), (0, JOBS), run.output[-3000:])
        self.assertLessEqual(run.job_seconds, MAX_RATIO * live.job_seconds + JOB_TIME_SLACK,
                             figures)
        self.assertLessEqual(run.peak_rss_kb, MAX_RATIO * live.peak_rss_kb, figures)
        self.assertLess(run.exit_seconds, MAX_EXIT_SECONDS, figures)

    def test_the_live_run_completes_and_exits_promptly(self) -> None:
        live = self.runs["live"]
        self.assertEqual((live.returncode, live.completed), (0, JOBS), live.output[-3000:])
        self.assertLess(live.exit_seconds, 5.0)

    def test_an_unreachable_collector_costs_the_jobs_nothing(self) -> None:
        self.assert_unaffected("closed")

    def test_a_hanging_collector_costs_the_jobs_nothing(self) -> None:
        self.assert_unaffected("hanging")
