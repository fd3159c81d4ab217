"""The operator console with something to show: two workers on three queues,
jobs that succeed, retry and fail, a long report, and two schedules.

    bash examples/zero_code.sh uvicorn examples.console_demo:app   # traced: trace links work
    uvicorn examples.console_demo:app                              # untraced: no trace links
    open http://localhost:8000/jobs/ui

Each job links to its trace in Jaeger (``UNO_JOBS_TRACE_URL``, default
``http://localhost:16686/trace/{trace_id}``). Actions are on and there is no
login: run it on your own machine only (see ``examples/fastapi_app.py`` for auth).
``scripts/console_screenshot.py`` serves this app to take ``docs/console.png``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from uno.jobs import (
    AsyncWorker,
    CronSchedule,
    InMemoryJobStorage,
    IntervalSchedule,
    JobManager,
    Priority,
    Scheduler,
)
from uno.jobs.admin.api import make_router

storage = InMemoryJobStorage()
manager = JobManager(storage, scheduler=Scheduler(storage), workers=[
    AsyncWorker(queues=["emails"], concurrency=4, name="mailer-1"),
    AsyncWorker(queues=["reports", "payments"], concurrency=2, name="batch-1",
                shutdown_timeout=2),  # the hour-long report is cancelled at exit
])


class CardDeclined(Exception):
    pass


@manager.task(queue="emails", max_retries=0)
async def send_email(to: str) -> str:
    await asyncio.sleep(0.05)
    if to.endswith("@bounce.test"):
        raise ConnectionError(f"550 mailbox unavailable: {to}")
    return f"sent to {to}"


@manager.task(queue="reports", timeout=timedelta(minutes=10))
async def build_report(name: str, seconds: float = 0.2) -> str:
    await asyncio.sleep(seconds)
    return f"{name}.pdf"


@manager.task(queue="payments", max_retries=3, retry_delay=timedelta(minutes=5))
async def charge_card(order: str, cents: int) -> str:
    await asyncio.sleep(0.05)
    if cents % 7 == 0:
        raise CardDeclined(f"card declined for order {order} ({cents / 100:.2f} EUR)")
    return f"charged {order}"


async def traffic() -> None:
    """A burst of work, then a trickle of emails."""
    for n in range(24):
        domain = "bounce.test" if n % 9 == 4 else "example.com"
        await manager.enqueue("send_email", args=[f"user{n}@{domain}"])
    await manager.enqueue("build_report", args=["quarterly-revenue", 3600.0],
                          priority=Priority.LOW)
    await manager.enqueue("build_report", args=["daily-signups"])
    for n, cents in enumerate((1999, 4900, 2500, 700, 12999, 3500)):
        await manager.enqueue("charge_card", args=[f"A-10{n}", cents], priority=Priority.HIGH)
    await asyncio.sleep(0.5)  # the long report is running
    await manager.pause_queue("reports")
    await manager.enqueue("build_report", args=["weekly-churn"], priority=Priority.LOW)
    n = 100
    while True:
        await asyncio.sleep(2)
        await manager.enqueue("send_email", args=[f"user{n}@example.com"])
        n += 1


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await manager.scheduler.add_schedule("digest", "send_email", IntervalSchedule(minutes=15),
                                         args=["team@example.com"])
    await manager.scheduler.add_schedule("nightly-report", "build_report",
                                         CronSchedule("0 3 * * *"), args=["nightly"])
    async with manager:
        app.state.job_manager = manager
        generator = asyncio.create_task(traffic())
        yield
        generator.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await generator


app = FastAPI(title="uno jobs console demo", lifespan=lifespan)
app.include_router(make_router(actions=True, trace_url=os.environ.get(
    "UNO_JOBS_TRACE_URL", "http://localhost:16686/trace/{trace_id}")))
