"""The tables of ``PostgresJobStorage``, created and migrated on first use.

    await migrate(connection, "uno_jobs")   # idempotent; safe from many processes at once
    await schema_exists(connection, "uno_jobs")   # False before the first migrate

Everything lives in one schema (default ``uno_jobs``); nothing outside it is
touched. Each migration runs once, recorded in ``{schema}.migrations``; the
whole upgrade runs in one transaction under ``pg_advisory_xact_lock``, so
processes that start together wait for the first one instead of racing it.

A job row keeps what queries need as columns (``status``, ``worker_id`` and
``updated_at`` are authoritative there: claims and heartbeats touch only
columns) and the rest as ``data``, ``json.dumps(job.to_dict())``. The column
``started_at`` is set by a claim (which starts the attempt) and cleared by every
later write of the row, which stores the job's ``started_at`` in ``data``: a
reader takes the column when it is set, else ``data``. Triggers
notify ``channel(schema)`` whenever a job becomes or stays waiting, with the
queue name as payload (an insert statement: once per queue it added waiting
jobs to): idle workers in other processes wake at once. Queues
that ever held a job are kept in ``queues`` (by the inserts, and by a trigger
when an update moves a job to another queue), so lifecycle updates stay one
plain ``UPDATE``.
"""

from __future__ import annotations

import re
from typing import Any

SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,47}")

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
CREATE TABLE {s}.jobs (
    seq bigserial NOT NULL,                 -- insertion order (FIFO), never reused
    id text PRIMARY KEY,
    queue_name text NOT NULL,
    status text NOT NULL,
    priority integer NOT NULL,
    due_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    worker_id text,
    error text,                             -- why an undecodable row was failed
    data text NOT NULL                      -- json.dumps(job.to_dict())
);
CREATE INDEX jobs_waiting ON {s}.jobs (queue_name, priority, due_at, seq)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX jobs_waiting_due ON {s}.jobs (queue_name, due_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX jobs_counts ON {s}.jobs (queue_name, status);
CREATE INDEX jobs_updated ON {s}.jobs (status, updated_at);
CREATE TABLE {s}.queues (queue_name text PRIMARY KEY);
CREATE TABLE {s}.paused_queues (queue_name text PRIMARY KEY);
CREATE TABLE {s}.leases (name text PRIMARY KEY, holder text NOT NULL,
                         expires_at timestamptz NOT NULL);
CREATE FUNCTION {s}.notify_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{channel}', NEW.queue_name);
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify_work AFTER INSERT OR UPDATE OF status, due_at ON {s}.jobs
    FOR EACH ROW WHEN (NEW.status IN ('pending', 'retrying'))
    EXECUTE FUNCTION {s}.notify_work();
CREATE FUNCTION {s}.remember_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {s}.queues VALUES (NEW.queue_name) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_remember_queue AFTER UPDATE OF queue_name ON {s}.jobs
    FOR EACH ROW WHEN (OLD.queue_name IS DISTINCT FROM NEW.queue_name)
    EXECUTE FUNCTION {s}.remember_queue();
"""),
    # inserts notify once per statement and queue, not once per row: a batch of
    # 1,000 jobs spent ~3 ms of its ~20 ms in the row trigger
    (2, """
DROP TRIGGER jobs_notify_work ON {s}.jobs;
CREATE TRIGGER jobs_notify_work AFTER UPDATE OF status, due_at ON {s}.jobs
    FOR EACH ROW WHEN (NEW.status IN ('pending', 'retrying'))
    EXECUTE FUNCTION {s}.notify_work();
CREATE FUNCTION {s}.notify_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{channel}', queue_name)
        FROM (SELECT DISTINCT queue_name FROM added
              WHERE status IN ('pending', 'retrying')) AS waiting;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify_added AFTER INSERT ON {s}.jobs
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION {s}.notify_added();
"""),
    (3, """
ALTER TABLE {s}.jobs ADD COLUMN started_at timestamptz;  -- set by a claim, cleared by writes
"""),
)


def check_schema_name(schema: str) -> str:
    """``schema`` if it is a plain lower-case identifier, else ``ValueError``."""
    if not isinstance(schema, str) or not SCHEMA_NAME.fullmatch(schema) or schema.startswith(
            "pg_"):
        raise ValueError(f"schema must be a lower-case identifier (a-z, 0-9, _; at most 48 "
                         f"characters, not starting with pg_), got {schema!r}")
    return schema


def channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel of a schema's jobs."""
    return f"{schema}_work"


async def schema_exists(connection: Any, schema: str) -> bool:
    """Whether a store created ``schema`` (without creating anything)."""
    return await connection.fetchval("SELECT to_regclass($1) IS NOT NULL",
                                     f"{schema}.migrations")


async def migrate(connection: Any, schema: str) -> None:
    """Create the schema and apply the migrations it lacks (asyncpg connection)."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))",
                                 f"uno_jobs.migrate:{schema}")
        await connection.execute(
            f"CREATE SCHEMA IF NOT EXISTS {schema};"
            f" CREATE TABLE IF NOT EXISTS {schema}.migrations ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        applied = {row[0] for row in await connection.fetch(
            f"SELECT version FROM {schema}.migrations")}
        for version, sql in MIGRATIONS:
            if version in applied:
                continue
            await connection.execute(sql.format(s=schema, channel=channel(schema)))
            await connection.execute(f"INSERT INTO {schema}.migrations (version) VALUES ($1)",
                                     version)
