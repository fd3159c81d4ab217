"""A job store with known contents for the console tests, and an app serving it.

    manager = make_manager("sqlite", tmp_dir)
    app = console_app(manager, actions=True, trace_url=TRACE_URL)
    with TestClient(app) as client:
        seeded = client.portal.call(seed, manager)      # on the app's event loop

``seed`` goes through the real lifecycle (enqueue, claim, start, fail/complete)
and gives the failed job the W3C trace context the plugin writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager, SQLiteJobStorage
from uno.jobs.admin.api import make_router
from uno.jobs.job import utcnow
from uno.jobs.scheduler import CronSchedule, IntervalSchedule, Scheduler

STORES = ("memory", "sqlite")
TRACE_URL = "http://jaeger.test:16686/trace/{trace_id}"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
REMOTE_WORKER = "host-b:worker-7"


def make_manager(kind: str, directory: Path) -> JobManager:
    """A never-started manager (a producer) with a scheduler and one local worker."""
    storage = (InMemoryJobStorage() if kind == "memory"
               else SQLiteJobStorage(str(directory / "jobs.db")))
    manager = JobManager(storage, scheduler=Scheduler(storage),
                         workers=[AsyncWorker(queues=["emails"], name="local-mailer")])

    @manager.task(name="send_email", queue="emails", max_retries=0)
    async def send_email(to: str, token: str = "") -> str:
        return f"sent to {to}"

    @manager.task(name="build_report", queue="reports")
    async def build_report(day: str) -> str:
        return day

    return manager


@dataclass
class Seeded:
    failed_id: str
    completed_id: str
    pending_ids: list[str]
    running_id: str


async def _claim(manager: JobManager, queue: str, worker: str) -> Any:
    job = await manager.storage.claim_next([queue], worker, utcnow())
    assert job is not None, f"nothing to claim in {queue}"
    return await manager.start_job(job, worker)


async def seed(manager: JobManager) -> Seeded:
    """emails: 1 failed (traced), 1 completed, 3 pending; reports: 1 running
    on another process's worker; two schedules."""
    await manager.storage.open()
    failed = (await manager.enqueue("send_email", kwargs={"to": "ada@example.com",
                                                          "token": "s3cret"},
                                    metadata={"traceparent": TRACEPARENT})).value
    await manager.fail_job(await _claim(manager, "emails", "local-mailer"),
                           ConnectionError("smtp.example.com refused the connection"))
    done = (await manager.enqueue("send_email", args=["bob@example.com"])).value
    await manager.complete_job(await _claim(manager, "emails", "local-mailer"), "sent")
    pending = [(await manager.enqueue("send_email", args=[f"u{i}@example.com"])).value
               for i in range(3)]
    running = (await manager.enqueue("build_report", args=["2026-12-01"])).value
    await _claim(manager, "reports", REMOTE_WORKER)
    await manager.scheduler.add_schedule("digest", "send_email", IntervalSchedule(minutes=5),
                                         args=["team@example.com"])
    await manager.scheduler.add_schedule("nightly", "build_report", CronSchedule("0 3 * * *"))
    return Seeded(failed, done, pending, running)


def console_app(manager: JobManager, payloads: Any = None, seeded: bool = False,
                **router_options: Any) -> FastAPI:
    """The console for ``manager``; ``seeded``: ``seed`` it at startup (``app.state.seeded``)."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await manager.storage.open()
        if seeded:
            app.state.seeded = await seed(manager)
        try:
            yield
        finally:
            await manager.storage.close()

    app = FastAPI(lifespan=lifespan)
    app.state.job_manager = manager
    if payloads is not None:
        app.state.job_payloads = payloads
    app.include_router(make_router(**router_options))
    return app
