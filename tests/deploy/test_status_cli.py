"""``python -m uno.jobs status``: a real SQLite file with jobs in every state,
read by the command in a subprocess, as tables and as JSON."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from postgres_support import drop_schema, new_schema, require_postgres
from uno.jobs import Job, JobStatus, PostgresJobStorage, SQLiteJobStorage
from uno.jobs.job import utcnow

ROOT = Path(__file__).resolve().parents[2]

# queue -> status -> how many; workers w1/w2 hold the running/reserved jobs
LAYOUT = {
    "emails": {JobStatus.PENDING: 3, JobStatus.RUNNING: 2, JobStatus.COMPLETED: 5,
               JobStatus.FAILED: 1, JobStatus.RETRYING: 1},
    "reports": {JobStatus.RESERVED: 1, JobStatus.TIMEOUT: 1, JobStatus.CANCELLED: 2,
                JobStatus.RUNNING: 1},
}


async def fill(path: Path) -> None:
    storage = SQLiteJobStorage(path)
    await storage.open()
    now = utcnow()
    for queue, statuses in LAYOUT.items():
        for status, count in statuses.items():
            for n in range(count):
                worker = ("w1" if queue == "emails" else "w2") if status in (
                    JobStatus.RUNNING, JobStatus.RESERVED) else None
                await storage.add(Job(task_name="t", queue_name=queue, status=status,
                                      created_at=now - timedelta(seconds=90 - n),
                                      updated_at=now, worker_id=worker))
    # a job due in the future is not "waiting" yet: it must not set the oldest age
    await storage.add(Job(task_name="t", queue_name="reports",
                          scheduled_at=now + timedelta(hours=1)))
    await storage.set_paused("reports", True)
    await storage.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.db"
    asyncio.run(fill(path))
    return path


def status(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "uno.jobs", "status", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)


def test_json_status_counts_queues_by_status_workers_and_health(db: Path) -> None:
    proc = status("--storage", f"sqlite:///{db}", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    queues = {q["name"]: q for q in report["queues"]}
    assert set(queues) == {"emails", "reports"}
    emails, reports = queues["emails"], queues["reports"]
    for queue, statuses in LAYOUT.items():
        expected = {s.value: statuses.get(s, 0) for s in JobStatus}
        if queue == "reports":
            expected["pending"] += 1  # the scheduled one
        assert queues[queue]["counts"] == expected
    assert (emails["paused"], reports["paused"]) == (False, True)
    assert 85 <= emails["oldest_pending_seconds"] < 120
    assert reports["oldest_pending_seconds"] is None  # only a job due in an hour
    workers = {w["name"]: w for w in report["workers"]}
    assert workers["w1"] == {"name": "w1", "running": 2, "reserved": 0, "queues": ["emails"]}
    assert workers["w2"] == {"name": "w2", "running": 1, "reserved": 1, "queues": ["reports"]}
    assert emails["health"]["status"] == "healthy"
    assert "waiting" in emails["health"]["message"]


def test_table_status_is_readable(db: Path) -> None:
    proc = status("--storage", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for word in ("queue", "pending", "reserved", "running", "retrying", "completed", "failed",
                 "timeout", "cancelled", "paused", "oldest pending", "emails", "reports",
                 "Workers", "w1", "w2"):
        assert word in out, f"{word!r} missing from:\n{out}"
    emails_row = next(line for line in out.splitlines() if "emails" in line and "│" in line)
    cells = [cell.strip() for cell in emails_row.split("│")[1:-1]]
    assert cells[:10] == ["emails", "3", "0", "2", "1", "5", "1", "0", "0", "no"]
    assert cells[10].endswith("s")  # the oldest pending age, e.g. "90.1s"
    assert "health queue:emails healthy" in out
    assert "health queue:reports healthy" in out


def test_bad_storage_url_exits_2_with_a_message(tmp_path: Path) -> None:
    proc = status("--storage", "mysql://nowhere/jobs")
    assert proc.returncode == 2
    assert "unsupported storage URL" in proc.stderr
    proc = status("--storage", "postgresql://postgres@127.0.0.1:1/jobs")
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr and "127.0.0.1:1/jobs (schema uno_jobs)" in proc.stderr
    missing = tmp_path / "missing.db"
    proc = status("--storage", f"sqlite:///{missing}")
    assert proc.returncode == 2
    assert "no job store" in proc.stderr
    assert not missing.exists(), "status must not create a store"


def test_empty_store_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"

    async def create() -> None:
        storage = SQLiteJobStorage(path)
        await storage.open()
        await storage.close()

    asyncio.run(create())
    proc = status("--storage", f"sqlite:///{path}")
    assert proc.returncode == 0, proc.stderr
    assert "no queues" in proc.stdout


def test_postgres_status_reads_a_schema_and_never_creates_one() -> None:
    dsn, missing, present = require_postgres(), new_schema(), new_schema()

    async def fill_present() -> None:
        storage = PostgresJobStorage(dsn, schema=present)
        await storage.add(Job(task_name="t", queue_name="emails"))
        await storage.close()

    async def schemas() -> set[str]:
        conn = await asyncpg.connect(dsn)
        try:
            return {row[0] for row in await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])",
                [missing, present])}
        finally:
            await conn.close()

    try:
        asyncio.run(fill_present())
        proc = status("--storage", f"{dsn}?schema={missing}", "--json")
        assert proc.returncode == 2
        assert "no job store" in proc.stderr and f"schema {missing} does not exist" in proc.stderr
        assert asyncio.run(schemas()) == {present}, "status must not create a schema"
        proc = status("--storage", f"{dsn}?schema={present}", "--json")
        assert proc.returncode == 0, proc.stderr
        [queue] = json.loads(proc.stdout)["queues"]
        assert (queue["name"], queue["counts"]["pending"]) == ("emails", 1)
    finally:
        for schema in (missing, present):
            asyncio.run(drop_schema(schema))
