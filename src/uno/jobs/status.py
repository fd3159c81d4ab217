"""``python -m uno.jobs status``: what a job store holds, as a table or JSON.

    python -m uno.jobs status --storage sqlite:///jobs.db          # rich tables
    python -m uno.jobs status --storage sqlite:///jobs.db --json   # machine output

For each queue: the jobs by status, whether it is paused, how long its
longest-waiting due job has waited, and its health (``JobQueueHealthCheck``
with default thresholds; its module loads no OpenTelemetry). Workers
are those holding RUNNING or RESERVED jobs now, with how many of each: a store
does not know about idle workers in other processes.

Reading only: a SQLite file or a PostgreSQL schema that does not exist is an
error (exit 2, "no job store"), never created, and an older schema is read as
it is, not migrated; a bad storage URL is exit 2 with a message.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from uno.jobs.job import WAITING_STATUSES, JobStatus, utcnow
from uno.jobs.manager import JobManager
from uno.jobs.monitoring.checks import JobQueueHealthCheck
from uno.jobs.queue_counts import queue_counts
from uno.jobs.storage.base import JobStorage
from uno.jobs.storage.sqlite import SQLiteJobStorage
from uno.jobs.storage.url import storage_from_url

STATUS_ORDER = (JobStatus.PENDING, JobStatus.RESERVED, JobStatus.RUNNING, JobStatus.RETRYING,
                JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.TIMEOUT, JobStatus.CANCELLED)
_HOLDING = (JobStatus.RUNNING, JobStatus.RESERVED)
MAX_SCANNED = 1000  # waiting jobs read per queue to find the longest-waiting one


@dataclass
class QueueStatus:
    name: str
    counts: dict[str, int]
    paused: bool
    oldest_pending_seconds: float | None
    health: dict[str, str] | None = None


@dataclass
class WorkerStatus:
    name: str
    running: int = 0
    reserved: int = 0
    queues: list[str] = field(default_factory=list)


@dataclass
class StoreStatus:
    storage: str
    generated_at: str
    queues: list[QueueStatus]
    workers: list[WorkerStatus]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def open_storage(url: str) -> JobStorage:
    """The storage for ``url``; ``ValueError`` for a bad URL or a missing SQLite file."""
    storage = storage_from_url(url, create=False)  # a missing PostgreSQL schema: not created
    if isinstance(storage, SQLiteJobStorage) and not Path(storage.path).is_file():
        raise ValueError(f"no job store at {storage.path!r} (from {url!r})")
    return storage


async def collect_status(url: str, storage: JobStorage) -> StoreStatus:
    await storage.open()
    counts = await storage.count_by_queue_and_status()
    paused = await storage.paused_queues()
    now = utcnow()
    queues = [
        QueueStatus(name, view.by_value(STATUS_ORDER), name in paused,
                    await _oldest_waiting(storage, name, now))
        for name, view in queue_counts(counts, await storage.queue_names()).items()
    ]
    await _add_health(JobManager(storage), queues)
    holding = sum(n for (_, status), n in counts.items() if status in _HOLDING)
    workers = await _workers(storage, holding)
    return StoreStatus(url, now.isoformat(), queues, workers)


async def _oldest_waiting(storage: JobStorage, queue: str, now: datetime) -> float | None:
    jobs = await storage.list_jobs(WAITING_STATUSES, queue, limit=MAX_SCANNED)
    due = [job.due_at for job in jobs if job.due_at <= now]
    return round((now - min(due)).total_seconds(), 3) if due else None


async def _workers(storage: JobStorage, holding: int) -> list[WorkerStatus]:
    found: dict[str, WorkerStatus] = {}
    for job in await storage.list_jobs(_HOLDING, limit=max(holding, 1)):
        worker = found.setdefault(job.worker_id or "?", WorkerStatus(job.worker_id or "?"))
        if job.status is JobStatus.RUNNING:
            worker.running += 1
        else:
            worker.reserved += 1
        if job.queue_name not in worker.queues:
            worker.queues.append(job.queue_name)
    return [found[name] for name in sorted(found)]


async def _add_health(manager: JobManager, queues: list[QueueStatus]) -> None:
    for queue in queues:
        try:
            result = await JobQueueHealthCheck(manager, queue.name).check_health()
            queue.health = {"status": str(result.status.value), "message": result.message}
        except Exception as exc:
            queue.health = {"status": "unhealthy", "message": f"check raised {exc!r}"}


_HEALTH_STYLES = {"healthy": "green", "degraded": "yellow", "unhealthy": "bold red"}


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h"


def render(status: StoreStatus) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    table = Table(title=f"Queues in {status.storage}")
    table.add_column("queue", style="bold")
    for job_status in STATUS_ORDER:
        table.add_column(job_status.value, justify="right")
    table.add_column("paused")
    table.add_column("oldest pending", justify="right")
    for queue in status.queues:
        table.add_row(queue.name, *(str(queue.counts[s.value]) for s in STATUS_ORDER),
                      "yes" if queue.paused else "no", _age(queue.oldest_pending_seconds))
    console.print(table if status.queues else "no queues")

    workers = Table(title="Workers holding jobs")
    for column in ("worker", "running", "reserved", "queues"):
        workers.add_column(column)
    for worker in status.workers:
        workers.add_row(worker.name, str(worker.running), str(worker.reserved),
                        ",".join(worker.queues))
    console.print(workers if status.workers else "workers: none holding jobs")

    for queue in status.queues:
        if queue.health is not None:
            level = queue.health["status"]
            console.print(f"health queue:{queue.name} [{_HEALTH_STYLES.get(level, '')}]"
                          f"{level}[/] {queue.health['message']}", highlight=False)


def main(url: str, as_json: bool = False) -> int:
    try:
        storage = open_storage(url)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        status = asyncio.run(_collect_and_close(storage.describe(), storage))  # no password
    except Exception as exc:  # an unreadable store: say so, as a usage error
        print(f"error: cannot read {storage.describe()}: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(status.to_dict(), indent=2))
    else:
        render(status)
    return 0


async def _collect_and_close(url: str, storage: JobStorage) -> StoreStatus:
    try:
        return await collect_status(url, storage)
    finally:
        await storage.close()


__all__ = ["StoreStatus", "collect_status", "main", "open_storage", "render"]
