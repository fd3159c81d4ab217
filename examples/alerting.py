"""Alerts that fire and resolve while jobs run: a queue backlog (from a queue
health check) and a job failure ratio (from the ``JobMetrics`` counters).

    python examples/alerting.py [--duration 5]

What happens: 20 slow reports arrive at once for 2 workers, so the ``reports``
queue backs up (``reports_backlog`` fires) and drains within a second or two
(it resolves). Meanwhile payments arrive steadily; for the first 1.5 s half of
them are declined, so the failure ratio over the last 1.5 s passes 20%
(``payment_failure_ratio`` fires) and falls back once declines stop (it resolves).

Firing and resolving are printed here by callbacks; they are also log records
on ``uno.jobs.alerts`` and the gauge ``uno_jobs.alerts {alert, severity}``,
which a Prometheus or OTLP pipeline picks up (see collector-config/).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import deque
from datetime import timedelta

from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor

from uno.core.monitoring.alerts import AlertManager
from uno.core.monitoring.health import HealthStatus
from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager
from uno.jobs.monitoring.health import JobQueueHealthCheck
from uno.jobs.monitoring.metrics import JobMetrics, default_job_metrics

manager = JobManager(storage=InMemoryJobStorage(), workers=[
    AsyncWorker(queues=["reports"], concurrency=2, poll_interval=0.05),
    AsyncWorker(queues=["payments"], concurrency=5, poll_interval=0.05),
])


@manager.task(queue="reports", max_retries=0)
async def build_report(number: int) -> str:
    await asyncio.sleep(0.15)
    return f"report {number}"


@manager.task(queue="payments", max_retries=0)
async def charge_card(amount: int) -> str:
    if amount < 0:
        raise ValueError("card declined")
    return f"charged {amount}"


class FailureRatio:
    """Failed / finished jobs over the last ``window`` seconds, from the counters
    (what ``rate(failed) / rate(finished)`` computes in Prometheus)."""

    def __init__(self, metrics: JobMetrics, window: float) -> None:
        self.metrics, self.window = metrics, window
        self.samples: deque[tuple[float, float, float]] = deque()

    def __call__(self) -> float:
        values = self.metrics.get_metrics()
        completed = values.get("uno_jobs.job_completed", {}).get("total", 0.0)
        failed = values.get("uno_jobs.job_failed", {}).get("total", 0.0)
        now = time.monotonic()
        self.samples.append((now, completed, failed))
        while len(self.samples) > 1 and now - self.samples[1][0] >= self.window:
            self.samples.popleft()
        _, completed_before, failed_before = self.samples[0]
        finished = (completed - completed_before) + (failed - failed_before)
        return (failed - failed_before) / finished if finished else 0.0


async def payments(started: float, duration: float) -> None:
    n = 0
    while time.monotonic() - started < duration - 0.5:
        declined = time.monotonic() - started < 1.5 and n % 2 == 0
        await manager.enqueue("charge_card", args=[-n if declined else n])
        n += 1
        await asyncio.sleep(0.05)


async def main(duration: float) -> None:
    instrumentor = UnoJobsInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:  # opentelemetry-instrument loads it
        instrumentor.instrument()
    started = time.monotonic()

    def show(alert) -> None:
        state = "FIRING  " if alert.firing else "RESOLVED"
        print(f"[{time.monotonic() - started:4.1f}s] {state} {alert.name} "
              f"({alert.severity}): {alert.message}", flush=True)

    backlog = JobQueueHealthCheck(manager, "reports", max_queue_length=10)

    async def reports_backlogged() -> bool:
        return (await backlog.check_health()).status is not HealthStatus.HEALTHY

    failure_ratio = FailureRatio(default_job_metrics(), window=1.5)
    alerts = AlertManager()
    alerts.add_alert("reports_backlog", reports_backlogged,
                     "more than 10 reports waiting", severity="warning")
    alerts.add_alert("payment_failure_ratio", lambda: failure_ratio() > 0.2,
                     "over 20% of jobs failed in the last 1.5 s", severity="critical")
    alerts.add_callback(show)

    async with manager:
        for number in range(20):
            await manager.enqueue("build_report", args=[number])
        await alerts.start_monitoring(interval=timedelta(seconds=0.1))  # evaluates at once
        await payments(started, duration)
        await asyncio.sleep(max(0.0, duration - (time.monotonic() - started)))
        await alerts.stop_monitoring()
    print(f"still firing at the end: {sorted(alerts.active_alerts) or 'none'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="alerts that fire and resolve")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds (>= 4)")
    # the callbacks print every change; of the log, show only ERROR and up (the
    # critical alert's record among them, not each declined card's warning)
    logging.basicConfig(level=logging.ERROR, format="  log: %(levelname)s %(name)s: %(message)s")
    asyncio.run(main(max(4.0, parser.parse_args().duration)))
