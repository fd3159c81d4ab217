"""Tasks for the multi-process store tests (``--app tests.stores.apps.tasks``).

Each run of ``mark`` appends ``start LABEL`` before and ``done LABEL`` after its
sleep to ``$UNO_TEST_MARKS/<pid>.marks`` (one ``O_APPEND`` write per line), so
the files prove which process ran which job, and how many times. ``held`` jobs
go to the queue ``held``, which the tests keep paused.

The manager's ``stall_timeout`` is short, so a killed worker's jobs are failed
(and retried elsewhere) within seconds by whichever process sweeps.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from uno.jobs import InMemoryJobStorage, JobManager

STALL_TIMEOUT = timedelta(seconds=2)

# the storage is unused: the worker process brings its own
manager = JobManager(InMemoryJobStorage(), stall_timeout=STALL_TIMEOUT)


def write_mark(event: str, label: str) -> None:
    path = os.path.join(os.environ["UNO_TEST_MARKS"], f"{os.getpid()}.marks")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{event} {label}\n".encode())
    finally:
        os.close(fd)


@manager.task(max_retries=2, retry_delay=0)
async def mark(label: str, seconds: float = 0.0) -> int:
    write_mark("start", label)
    await asyncio.sleep(seconds)
    write_mark("done", label)
    return os.getpid()


@manager.task(queue="held", max_retries=0)
async def held(label: str) -> None:
    write_mark("done", label)
