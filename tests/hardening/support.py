"""Shared pieces of the hardening tests: a log handler that keeps every record,
and a run of many jobs through a started manager.

    with captured_logs() as records: ...          # every WARNING+ record
    jobs = await run_jobs(manager, "double", 400)  # enqueued, run, finished
    all_completed(jobs, lambda n: 2 * n)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from uno.jobs import JobManager, JobStatus


class _Keep(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured_logs(level: int = logging.WARNING) -> Iterator[list[logging.LogRecord]]:
    """Every record at ``level`` or above that reaches the root logger."""
    root, handler = logging.getLogger(), _Keep(level)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(min(previous, level) if previous else level)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def run_jobs(manager: JobManager, task: str, count: int, **enqueue: Any) -> list[Any]:
    """Enqueue ``count`` jobs of ``task`` (argument: their index) and wait for all."""
    ids = []
    for n in range(count):
        result = await manager.enqueue(task, args=[n], **enqueue)
        assert result.is_success, result.error
        ids.append(result.value)
    return [await manager.wait_for_job(job_id, timeout=30) for job_id in ids]


def all_completed(jobs: list[Any], expected: Callable[[int], Any] | None = None) -> bool:
    return all(job.status is JobStatus.COMPLETED
               and (expected is None or job.result == expected(n))
               for n, job in enumerate(jobs))
