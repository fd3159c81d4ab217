"""A FastAPI app that enqueues jobs and serves the jobs admin API and console.

    uvicorn examples.fastapi_app:app                       # from the repository root
    curl -X POST localhost:8000/signup -H 'content-type: application/json' \\
         -d '{"email": "ada@example.com"}'                 # -> {"job_id": "..."}
    curl localhost:8000/jobs/JOB_ID                        # the job's status
    curl localhost:8000/jobs/health                        # system health (503 if unhealthy)
    curl localhost:8000/jobs/metrics                       # Prometheus text
    open http://localhost:8000/jobs/ui                     # the operator console
    curl -X POST localhost:8000/jobs/jobs/JOB_ID/retry     # actions are on in this app

The console links each job to its trace in Jaeger (``UNO_JOBS_TRACE_URL``,
default here ``http://localhost:16686/trace/{trace_id}``). Set
``CONSOLE_PASSWORD`` to put HTTP Basic auth (user ``operator``) in front of
every ``/jobs`` route — do, anywhere but your own machine: actions are on.

Traced with no code changes (``pip install opentelemetry-instrumentation-fastapi``
for the HTTP server spans): each job's ``enqueue send_welcome_email`` span is a
child of the ``POST /signup`` request span, and its ``process`` span follows in
the same trace:

    bash examples/zero_code.sh uvicorn examples.fastapi_app:app

The lifespan starts the ``JobManager`` (with its worker) when the server starts
and stops it, finishing in-flight jobs, when the server stops. Jobs live in
memory by default; set ``JOBS_STORAGE=sqlite:///jobs.db`` to keep them in a
file that worker processes (``python -m uno.jobs worker``) can share.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

from uno.jobs import AsyncWorker, JobManager, Priority
from uno.jobs.admin.api import make_router
from uno.jobs.storage.url import storage_from_url

logger = logging.getLogger("examples.fastapi_app")

job_manager = JobManager(
    storage=storage_from_url(os.environ.get("JOBS_STORAGE", "memory://")),
    workers=[AsyncWorker(queues=["emails"], concurrency=10)],
)


@job_manager.task(queue="emails", max_retries=3, retry_delay=5)
async def send_welcome_email(email: str) -> str:
    await asyncio.sleep(0.02)  # talk to the mail provider
    logger.info("welcome email sent to %s", email)
    return f"welcome sent to {email}"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with job_manager:
        app.state.job_manager = job_manager
        yield


CONSOLE_PASSWORD = os.environ.get("CONSOLE_PASSWORD", "")


def require_operator(
    credentials: Annotated[HTTPBasicCredentials | None, Depends(HTTPBasic(auto_error=False))],
) -> None:
    """HTTP Basic auth for the jobs routes when CONSOLE_PASSWORD is set."""
    if not CONSOLE_PASSWORD:
        return
    if credentials is None or not (
            secrets.compare_digest(credentials.username, "operator")
            and secrets.compare_digest(credentials.password, CONSOLE_PASSWORD)):
        raise HTTPException(status_code=401, detail="operator login required",
                            headers={"WWW-Authenticate": "Basic"})


app = FastAPI(title="signup service", lifespan=lifespan)
# GET /jobs/health, /jobs/metrics, /jobs/queues, /jobs/{id}, uno's admin routes, the
# console at GET /jobs/ui, and (actions=True) retry, cancel, pause, ... behind the login
app.include_router(make_router(
    actions=True, dependencies=[Depends(require_operator)],
    trace_url=os.environ.get("UNO_JOBS_TRACE_URL", "http://localhost:16686/trace/{trace_id}")))


class Signup(BaseModel):
    email: str


@app.post("/signup", status_code=202)
async def signup(signup: Signup, request: Request) -> dict[str, str]:
    manager: JobManager = request.app.state.job_manager
    enqueued = await manager.enqueue("send_welcome_email", kwargs={"email": signup.email},
                                     priority=Priority.HIGH)
    if enqueued.is_failure:
        raise HTTPException(status_code=500, detail=enqueued.error)
    return {"job_id": enqueued.value}
