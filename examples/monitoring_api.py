"""The uno monitoring API end to end: metrics, collector, health, alerts,
Prometheus text and the admin router, on one in-process job system.

    python examples/monitoring_api.py

Run it under `opentelemetry-instrument` and the job counters and histograms
fill in by themselves (the plugin records on the same JobMetrics); here one
enqueue is recorded by hand.
"""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
from fastapi import FastAPI

from uno.core.monitoring.alerts import AlertManager
from uno.core.monitoring.prometheus import PrometheusMetricsExporter
from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager
from uno.jobs.admin.api import router as jobs_router
from uno.jobs.monitoring.health import JobSystemHealthChecker
from uno.jobs.monitoring.metrics import JobMetrics, JobMetricsCollector

logging.basicConfig(level=logging.INFO, format="%(levelname)-8s %(name)s: %(message)s")

job_manager = JobManager(InMemoryJobStorage(), workers=[AsyncWorker(queues=["emails"])])


@job_manager.task(queue="emails")
async def send_email(to: str) -> str:
    await asyncio.sleep(0.01)
    return f"sent to {to}"


async def main() -> None:
    metrics = JobMetrics()
    collector = JobMetricsCollector(job_manager, metrics)
    health_checker = JobSystemHealthChecker(job_manager, metrics=metrics)
    alert_manager = AlertManager(metrics=metrics)
    alert_manager.add_alert(
        name="job_system_unhealthy",
        condition=lambda: health_checker.get_system_health().status != "healthy",
        message="Job system is not healthy",
        severity="critical",
    )

    async with job_manager:
        job_id = (await job_manager.enqueue("send_email", args=["ada@example.com"])).value
        metrics.record_job_enqueued(queue="emails", task="send_email", priority="NORMAL")
        await job_manager.wait_for_job(job_id, timeout=5)

        await collector.start()
        await health_checker.start()
        await alert_manager.start_monitoring()

        health = await health_checker.get_system_health()
        print("health:", json.dumps({"status": health.status, "message": health.message}))

        await job_manager.workers[0].stop()          # break something: the alert fires
        await health_checker.get_system_health()
        await alert_manager.evaluate()
        print("active alerts:", list(alert_manager.active_alerts))

        exporter = PrometheusMetricsExporter(metrics_manager=metrics.metrics_manager)
        wanted = ("uno_jobs_queue_length{queue=\"emails\"", "uno_jobs_health", "uno_jobs_alerts",
                  "uno_jobs_job_enqueued_total")
        print("\n".join(line for line in exporter.export_metrics().splitlines()
                        if line.startswith(wanted)))

        await alert_manager.stop_monitoring()
        await health_checker.stop()
        await collector.stop()

    app = FastAPI()
    app.include_router(jobs_router)
    app.state.job_manager, app.state.job_metrics = job_manager, metrics
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        response = await client.get(f"/jobs/{job_id}")
    print("GET /jobs/{id}:", response.status_code, response.json()["status"])


if __name__ == "__main__":
    asyncio.run(main())
