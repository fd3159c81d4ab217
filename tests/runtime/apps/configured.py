"""An ``--app`` whose module-level manager is configured: tasks on two queues
(neither is ``default``), a one-second ``stall_timeout``, its own logger, and a
scheduler with a 0.3 s interval schedule. The worker process must run this
manager as configured, on the store ``--storage`` names.

Each run of ``tick`` appends ``"tick {pid}"`` to ``$UNO_TEST_RUN_LOG``.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from tests.runtime.apps.recorder import append_line

from uno.jobs import InMemoryJobStorage, IntervalSchedule, JobManager, Scheduler

storage = InMemoryJobStorage()  # replaced by --storage in the worker process
scheduler = Scheduler(storage)
manager = JobManager(storage, scheduler=scheduler, stall_timeout=timedelta(seconds=1),
                     logger=logging.getLogger("configured_app.jobs"))


@manager.task(queue="emails", max_retries=0)
async def send(to: str) -> str:
    return f"sent to {to}"


@manager.task(queue="reports", max_retries=0)
async def tick() -> int:
    append_line(f"tick {os.getpid()}")
    return os.getpid()


scheduler.declare_schedule("ticker", "tick", IntervalSchedule(seconds=0.3))
