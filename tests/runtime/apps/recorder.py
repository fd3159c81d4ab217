"""Tasks for the worker-process tests, registered on a module-level manager.

Each run appends ``"{label} {pid}"`` to the file named by ``$UNO_TEST_RUN_LOG``
(one ``O_APPEND`` write per line, so lines from several processes never mix)
after sleeping ``seconds``; a line therefore proves the run finished.
"""

from __future__ import annotations

import asyncio
import os

from uno.jobs import InMemoryJobStorage, JobManager

manager = JobManager(InMemoryJobStorage())  # storage unused: the worker brings its own


def append_line(line: str) -> None:
    fd = os.open(os.environ["UNO_TEST_RUN_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


@manager.task(max_retries=0)
async def record(label: str, seconds: float = 0.0) -> int:
    await asyncio.sleep(seconds)
    append_line(f"{label} {os.getpid()}")
    return os.getpid()



@manager.task(max_retries=0)
async def frozen_objects() -> int:
    """How many objects the worker process froze out of garbage collection."""
    import gc

    return gc.get_freeze_count()
