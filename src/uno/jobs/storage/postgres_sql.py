"""The statements of ``PostgresJobStorage``, one per storage call, each a single
round trip; and the asyncpg errors that mean the server cannot be reached.

    statements = Statements("uno_jobs", "uno_jobs_work")
    rows = await conn.fetch(statements.claim, queues, now, limit, worker_id)
"""

from __future__ import annotations

import asyncpg

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable (ConnectionError is one)
    TimeoutError,
    asyncpg.PostgresConnectionError,  # class 08: the connection is gone
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # a connection killed while idle: "another operation ..."
    asyncpg.exceptions.AdminShutdownError,  # pg_terminate_backend, server shutdown
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up / shutting down
    asyncpg.exceptions.TooManyConnectionsError,
)
UNIQUE_VIOLATION = asyncpg.UniqueViolationError
_COLUMNS = "id, queue_name, status, priority, due_at, updated_at, worker_id, data"
_READ = "id, status, worker_id, updated_at, started_at, data"  # what _decode takes
_WAITING = "status IN ('pending', 'retrying')"  # literal: the partial indexes apply


class Statements:
    def __init__(self, schema: str, channel: str) -> None:
        s = schema
        remember_queue = f"INSERT INTO {s}.queues SELECT DISTINCT queue_name FROM changed" \
                         " ON CONFLICT DO NOTHING"
        # the queues asked for, not paused: each is read on its own through the
        # partial indexes (in claim order, or its earliest due time), so a claim
        # reads the few rows it takes, never the whole backlog
        serving = (f"(SELECT unnest($1::text[]) EXCEPT SELECT queue_name FROM {s}.paused_queues)"
                   " AS q(queue_name)")
        self.add = (f"WITH changed AS (INSERT INTO {s}.jobs ({_COLUMNS})"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING queue_name) "
                    + remember_queue)
        self.add_many = (
            f"WITH changed AS (INSERT INTO {s}.jobs ({_COLUMNS}) SELECT {_COLUMNS} FROM unnest("
            "$1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[],"
            f" $6::timestamptz[], $7::text[], $8::text[]) WITH ORDINALITY AS b({_COLUMNS}, n)"
            " ORDER BY n RETURNING queue_name) " + remember_queue)
        # a batch whose jobs differ only in id and data (enqueue_many's): two arrays
        # to send, not eight (asyncpg encodes arrays element by element)
        self.add_many_alike = (
            f"WITH added AS (INSERT INTO {s}.jobs ({_COLUMNS})"
            " SELECT id, $3::text, $4::text, $5::int, $6::timestamptz, $7::timestamptz,"
            " $8::text, data FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS b(id, data, n)"
            f" ORDER BY n) INSERT INTO {s}.queues VALUES ($3) ON CONFLICT DO NOTHING")
        self.get = f"SELECT {_READ} FROM {s}.jobs WHERE id = $1"
        set_all = ("SET queue_name = $2, status = $3, priority = $4, due_at = $5,"
                   " updated_at = $6, worker_id = $7, data = $8, error = NULL, started_at = NULL")
        self.update = (
            f"UPDATE {s}.jobs AS j SET queue_name = u.queue_name, status = u.status,"
            " priority = u.priority, due_at = u.due_at, updated_at = u.updated_at,"
            " worker_id = u.worker_id, data = u.data, error = NULL, started_at = NULL FROM unnest("
            "$1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[],"
            f" $6::timestamptz[], $7::text[], $8::text[]) AS u({_COLUMNS})"
            " WHERE j.id = u.id RETURNING j.id")
        self.transition = f"UPDATE {s}.jobs {set_all} WHERE id = $1 AND status = ANY($9::text[])"
        self.claim = (
            f"WITH next AS (SELECT c.id FROM {serving} CROSS JOIN LATERAL (SELECT id, priority,"
            f" due_at, seq FROM {s}.jobs WHERE {_WAITING} AND queue_name = q.queue_name"
            " AND due_at <= $2 ORDER BY priority, due_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)"
            " AS c ORDER BY c.priority, c.due_at, c.seq LIMIT $3)"
            f" UPDATE {s}.jobs AS j SET status = 'running', worker_id = $4, updated_at = $2,"
            " started_at = $2 FROM next WHERE j.id = next.id"
            " RETURNING j.id, j.status, j.worker_id, j.updated_at, j.started_at, j.data,"
            " j.priority, j.due_at, j.seq")
        self.fail_undecodable = (f"UPDATE {s}.jobs SET status = 'failed', error = $2,"
                                 " updated_at = $3, started_at = NULL WHERE id = $1")
        self.list_jobs = (f"SELECT {_READ} FROM {s}.jobs WHERE status = ANY($1::text[])"
                          " AND ($2::text IS NULL OR queue_name = $2)"
                          " ORDER BY seq LIMIT $3 OFFSET $4")
        self.counts = f"SELECT queue_name, status, count(*) FROM {s}.jobs GROUP BY 1, 2"
        self.queue_names = (f"SELECT queue_name FROM {s}.queues"
                            f" UNION SELECT queue_name FROM {s}.paused_queues")
        self.pause = f"INSERT INTO {s}.paused_queues VALUES ($1) ON CONFLICT DO NOTHING"
        self.resume = (f"WITH resumed AS (DELETE FROM {s}.paused_queues WHERE queue_name = $1"
                       f" RETURNING queue_name) SELECT pg_notify('{channel}', queue_name)"
                       " FROM resumed")
        self.paused = f"SELECT queue_name FROM {s}.paused_queues"
        self.delete_waiting = (f"DELETE FROM {s}.jobs WHERE queue_name = $1"
                               " AND status = ANY($2::text[])")
        self.delete_finished = (f"DELETE FROM {s}.jobs WHERE status = ANY($1::text[])"
                                " AND updated_at < $2")
        self.stalled = (f"SELECT {_READ} FROM {s}.jobs WHERE status = 'running'"
                        " AND updated_at < $1 ORDER BY seq")
        self.heartbeat = (f"UPDATE {s}.jobs SET updated_at = $2 WHERE status = 'running'"
                          " AND id = ANY($1::text[])")
        self.oldest_waiting = (
            f"SELECT q.queue_name, c.due_at FROM {s}.queues AS q CROSS JOIN LATERAL (SELECT"
            f" min(due_at) FROM {s}.jobs WHERE {_WAITING} AND queue_name = q.queue_name"
            " AND due_at <= $1) AS c(due_at) WHERE c.due_at IS NOT NULL")
        self.next_due = (f"SELECT min(c.due_at) FROM {serving} CROSS JOIN LATERAL (SELECT"
                         f" min(due_at) FROM {s}.jobs WHERE {_WAITING}"
                         " AND queue_name = q.queue_name) AS c(due_at)")
        self.lease = (
            f"INSERT INTO {s}.leases AS l (name, holder, expires_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE l.holder = excluded.holder OR l.expires_at <= $4 RETURNING holder")
