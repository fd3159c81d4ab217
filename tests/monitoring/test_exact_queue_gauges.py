"""Queue gauges stay exact across processes: one collector at a time holds the
store's lease and reports the queue series, the others report only their own
workers; a dead or stuck holder's series vanish and another takes over."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from uno.jobs import Job, JobStatus
from uno.jobs.monitoring.manager_monitoring import ManagerMonitoring
from uno.jobs.monitoring.metrics import JobMetricsCollector

from .support import MonitoringCase, eventually, fast_worker, gauge_points, key, metrics_with_reader

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.monitoring.apps.queue_gauges_process"
HELD, OTHER = 7, 3  # pending jobs in the paused queue "held" and the unserved queue "other"


def pending(reader: Any, queue: str = "held") -> float | None:
    return gauge_points(reader, "uno_jobs.queue_length").get(key(queue=queue, status="pending"))


class InProcessLeaseTests(MonitoringCase):
    """Two collectors on one store, each with its own metrics stream."""

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        await self.storage.open()
        for _ in range(HELD):
            await self.storage.add(Job(task_name="t", queue_name="held"))
        manager = self.manager(workers=[fast_worker(name="w")])
        self.other_metrics, self.other_reader = metrics_with_reader()
        self.first = self.collector(manager, self.metrics)
        self.second = self.collector(manager, self.other_metrics)

    def collector(self, manager: Any, metrics: Any, **options: Any) -> JobMetricsCollector:
        options.setdefault("collection_interval", 60)
        collector = JobMetricsCollector(manager, metrics, **options)
        self.later(collector.stop)
        return collector

    async def test_only_the_lease_holder_reports_queue_series(self) -> None:
        await self.first.collect_once()
        await self.second.collect_once()
        self.assertEqual((self.first.holds_queue_lease, self.second.holds_queue_lease),
                         (True, False))
        self.assertEqual(pending(self.reader), HELD)
        self.assertEqual(gauge_points(self.other_reader, "uno_jobs.queue_length"), {})
        self.assertEqual(gauge_points(self.other_reader, "uno_jobs.queue_oldest_job_age"), {})
        for reader in (self.reader, self.other_reader):  # per-process series: always
            self.assertEqual(set(gauge_points(reader, "uno_jobs.worker_idle")),
                             {key(worker_type="AsyncWorker")})

    async def test_a_stopped_holder_hands_over_at_the_next_collection(self) -> None:
        await self.first.collect_once()
        await self.second.collect_once()
        await self.first.stop()
        self.assertEqual(gauge_points(self.reader, "uno_jobs.queue_length"), {})
        await self.second.collect_once()
        self.assertTrue(self.second.holds_queue_lease)
        self.assertEqual(pending(self.other_reader), HELD)

    async def test_a_stuck_holders_series_vanish_when_its_lease_runs_out(self) -> None:
        first = self.collector(self.first.job_manager, self.metrics, collection_interval=0.05,
                               lease_ttl=0.3)
        second = self.collector(self.first.job_manager, self.other_metrics,
                                collection_interval=0.05, lease_ttl=0.3)
        await first.collect_once()
        await second.collect_once()
        self.assertEqual(pending(self.reader), HELD)
        await asyncio.sleep(0.35)  # the holder stops collecting, as if its loop were stuck
        self.assertEqual(gauge_points(self.reader, "uno_jobs.queue_length"), {})
        await second.collect_once()
        self.assertEqual(pending(self.other_reader), HELD)

    async def test_collectors_sharing_one_metrics_stream_share_the_lease(self) -> None:
        twin = self.collector(self.first.job_manager, self.metrics)
        await self.first.collect_once()
        await twin.collect_once()
        self.assertTrue(twin.holds_queue_lease)
        self.assertEqual(pending(self.reader), HELD)

    async def test_without_exclusive_queue_gauges_every_collector_reports(self) -> None:
        manager = self.first.job_manager
        for metrics in (self.metrics, self.other_metrics):
            await self.collector(manager, metrics, exclusive_queue_gauges=False).collect_once()
        self.assertEqual((pending(self.reader), pending(self.other_reader)), (HELD, HELD))

    def test_the_lease_must_outlive_the_interval(self) -> None:
        with self.assertRaises(ValueError):
            JobMetricsCollector(object(), self.metrics, collection_interval=5, lease_ttl=5)
        self.assertEqual(JobMetricsCollector(object(), self.metrics, collection_interval=1)
                         .lease_ttl, timedelta(seconds=5))
        self.assertEqual(JobMetricsCollector(object(), self.metrics, collection_interval=15)
                         .lease_ttl, timedelta(seconds=45))
        monitoring = ManagerMonitoring(object(), self.metrics, exclusive_queue_gauges=False)
        self.assertFalse(monitoring.collector.exclusive_queue_gauges)


class SQLiteInProcessLeaseTests(InProcessLeaseTests):
    storage_kind = "sqlite"


class PostgresInProcessLeaseTests(InProcessLeaseTests):
    storage_kind = "postgres"


class ThreeProcessTests(MonitoringCase):
    storage_kind = "sqlite"

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        await self.storage.set_paused("held", True)  # nothing drains
        for _ in range(HELD):
            await self.storage.add(Job(task_name="t", queue_name="held"))
        for _ in range(OTHER):
            await self.storage.add(Job(task_name="t", queue_name="other"))
        await self.storage.add(Job(task_name="t", queue_name="other", status=JobStatus.COMPLETED))
        self.procs: dict[str, tuple[subprocess.Popen, Path]] = {}

    async def asyncTearDown(self) -> None:
        for proc, _out in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        await super().asyncTearDown()

    def spawn(self, name: str) -> None:
        out = self.db_path.parent / f"{name}.jsonl"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        with open(out, "wb") as stdout:
            proc = subprocess.Popen([sys.executable, "-m", APP, str(self.db_path), name],
                                    cwd=ROOT, env=env, stdout=stdout)
        self.procs[name] = (proc, out)

    def lines(self, name: str, since: float = 0.0) -> list[dict[str, Any]]:
        text = self.procs[name][1].read_text()
        complete = text[:text.rfind("\n") + 1]  # the last line may still be being written
        return [line for line in map(json.loads, complete.splitlines()) if line["t"] > since]

    async def steady_lines(self, names: list[str], settle: float = 0.5) -> dict[str, list[dict]]:
        """Each process's lines from ``settle`` s after now on, once each has a few."""
        start = time.time() + settle
        await eventually(lambda: all(len(self.lines(n, start)) >= 3 for n in names),
                         timeout=15, what="every process to report")
        return {name: self.lines(name, start) for name in names}

    def assert_exact(self, lines: dict[str, list[dict]]) -> str:
        """Exactly one process reports queue series; its latest values plus the
        others' sum to the real counts. Returns the holder's name."""
        reporters = {n for n, ls in lines.items() for line in ls
                     if line["metrics"].get("uno_jobs.queue_length")}
        self.assertEqual(len(reporters), 1, reporters)
        totals: dict[tuple[str, str], float] = {}
        for name, own in lines.items():
            last = own[-1]["metrics"]
            self.assertTrue(own[-1]["ok"])
            for point in last.get("uno_jobs.queue_length", []):
                attrs = point["attributes"]
                totals[attrs["queue"], attrs["status"]] = (
                    totals.get((attrs["queue"], attrs["status"]), 0) + point["value"])
            beats = {p["attributes"]["worker"] for p in last["uno_jobs.worker_heartbeat_age"]}
            self.assertEqual(beats, {name})  # per-process series: always, own workers only
        self.assertEqual(totals["held", "pending"], HELD)
        self.assertEqual(totals["other", "pending"], OTHER)
        self.assertEqual(totals["other", "completed"], 1)
        (holder,) = reporters
        ages = {p["attributes"]["queue"]: p["value"]
                for p in lines[holder][-1]["metrics"]["uno_jobs.queue_oldest_job_age"]}
        self.assertEqual(set(ages), {"held", "other"})
        self.assertGreater(ages["held"], 0)
        return holder

    async def test_three_processes_sum_to_the_real_queue_length(self) -> None:
        names = ["proc-a", "proc-b", "proc-c"]
        for name in names:
            self.spawn(name)
        holder = self.assert_exact(await self.steady_lines(names))
        os.kill(self.procs[holder][0].pid, signal.SIGKILL)  # no hand-over: the lease must expire
        survivors = [n for n in names if n != holder]
        await eventually(lambda: any(line["holder"] for n in survivors
                                     for line in self.lines(n, time.time() - 0.2)),
                         timeout=10, what="a survivor to take the lease over")
        self.assert_exact(await self.steady_lines(survivors))
        counts = await self.storage.count_by_queue_and_status()
        self.assertEqual(counts[("held", JobStatus.PENDING)], HELD)  # nothing drained
        for name in survivors:
            proc = self.procs[name][0]
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0)
