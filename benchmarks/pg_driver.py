"""Which PostgreSQL driver for ``PostgresJobStorage``: asyncpg or psycopg 3?

    pip install "psycopg[binary]"   # only for this comparison; the store uses asyncpg
    python benchmarks/pg_driver.py [--dsn postgresql://postgres@127.0.0.1:5432/postgres] [-n 2000]

Times the two round trips a job store lives on, through each driver's asyncio
API on one connection, in a throwaway schema: enqueue (one INSERT of a job
row with a JSONB payload) and claim (one ``UPDATE ... WHERE id = (SELECT ...
FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING``), ``-n`` of each; prints
operations per second and the median round trip. Then the same through each
driver's pool (8 connections) from 32 concurrent tasks, as a busy worker does.
Each driver runs ``--rounds`` times, alternating; the best round counts (the
machine is shared, so the worst rounds mostly measure the neighbours).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

SCHEMA = f"driver_bench_{uuid.uuid4().hex[:8]}"
SETUP = f"""
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.jobs (seq bigserial, id text PRIMARY KEY, queue_name text NOT NULL,
    status text NOT NULL, priority int NOT NULL, due_at timestamptz NOT NULL, data jsonb NOT NULL);
CREATE INDEX ON {SCHEMA}.jobs (queue_name, priority, due_at, seq)
    WHERE status IN ('pending', 'retrying');
"""
INSERT = (f"INSERT INTO {SCHEMA}.jobs (id, queue_name, status, priority, due_at, data)"
          " VALUES ($1, 'default', 'pending', 20, now(), $2)")
CLAIM = (f"UPDATE {SCHEMA}.jobs SET status = 'reserved' WHERE id = (SELECT id FROM {SCHEMA}.jobs"
         " WHERE status IN ('pending', 'retrying') AND queue_name = 'default' AND due_at <= now()"
         " ORDER BY priority, due_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING data")
PAYLOAD = json.dumps({"task_name": "noop", "args": [1, 2], "kwargs": {"to": "a@b.c"},
                      "metadata": {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}})


async def timed(n: int, call: Callable[[int], Awaitable[Any]]) -> tuple[float, float]:
    laps = []
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        await call(i)
        laps.append(time.perf_counter() - t)
    return n / (time.perf_counter() - start), statistics.median(laps) * 1000


async def bench_asyncpg(dsn: str, n: int) -> dict[str, tuple[float, float]]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        ids = [uuid.uuid4().hex for _ in range(n)]
        enqueue = await timed(n, lambda i: conn.execute(INSERT, ids[i], PAYLOAD))
        claim = await timed(n, lambda i: conn.fetchrow(CLAIM))
        await conn.execute(f"TRUNCATE {SCHEMA}.jobs")
    finally:
        await conn.close()
    return {"enqueue": enqueue, "claim": claim}


async def bench_psycopg(dsn: str, n: int) -> dict[str, tuple[float, float]]:
    import psycopg

    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=0)
    insert, claim_sql = INSERT.replace("$1", "%s").replace("$2", "%s"), CLAIM
    try:
        ids = [uuid.uuid4().hex for _ in range(n)]
        enqueue = await timed(n, lambda i: conn.execute(insert, (ids[i], PAYLOAD)))

        async def claim_one(_: int) -> Any:
            cur = await conn.execute(claim_sql)
            return await cur.fetchone()

        claim = await timed(n, claim_one)
        await conn.execute(f"TRUNCATE {SCHEMA}.jobs")
    finally:
        await conn.close()
    return {"enqueue": enqueue, "claim": claim}


async def bench_asyncpg_pool(dsn: str, n: int) -> dict[str, tuple[float, float]]:
    import asyncpg

    async with asyncpg.create_pool(dsn, min_size=8, max_size=8, reset=_no_reset) as pool:
        ids = [uuid.uuid4().hex for _ in range(n)]
        enqueue = await concurrently(n, lambda i: pool.execute(INSERT, ids[i], PAYLOAD))
        claim = await concurrently(n, lambda i: pool.fetchrow(CLAIM))
        await pool.execute(f"TRUNCATE {SCHEMA}.jobs")
    return {"enqueue": enqueue, "claim": claim}


async def _no_reset(conn: Any) -> None:
    pass


async def bench_psycopg_pool(dsn: str, n: int) -> dict[str, tuple[float, float]]:
    from psycopg_pool import AsyncConnectionPool

    insert = INSERT.replace("$1", "%s").replace("$2", "%s")
    async with AsyncConnectionPool(dsn, min_size=8, max_size=8, open=False,
                                   kwargs={"autocommit": True, "prepare_threshold": 0}) as pool:
        await pool.wait()
        ids = [uuid.uuid4().hex for _ in range(n)]

        async def run(sql_text: str, params: tuple[Any, ...]) -> Any:
            async with pool.connection() as conn:
                cur = await conn.execute(sql_text, params)
                return await cur.fetchone() if cur.description else None

        enqueue = await concurrently(n, lambda i: run(insert, (ids[i], PAYLOAD)))
        claim = await concurrently(n, lambda i: run(CLAIM, ()))
        await run(f"TRUNCATE {SCHEMA}.jobs", ())
    return {"enqueue": enqueue, "claim": claim}


async def concurrently(n: int, call: Callable[[int], Awaitable[Any]], tasks: int = 32
                       ) -> tuple[float, float]:
    laps: list[float] = []
    todo = iter(range(n))

    async def loop() -> None:
        for i in todo:
            t = time.perf_counter()
            await call(i)
            laps.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(tasks)))
    return n / (time.perf_counter() - start), statistics.median(laps) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import asyncpg

    admin = await asyncpg.connect(args.dsn)
    await admin.execute(SETUP)
    benches = {"asyncpg": bench_asyncpg, "psycopg": bench_psycopg,
               "asyncpg pool": bench_asyncpg_pool, "psycopg pool": bench_psycopg_pool}
    best: dict[tuple[str, str], tuple[float, float]] = {}
    try:
        for _ in range(args.rounds):
            for name, bench in benches.items():
                for op, figures in (await bench(args.dsn, args.n)).items():
                    best[(name, op)] = max(best.get((name, op), figures), figures)
        for (name, op), (rate, p50) in best.items():
            print(f"{name:13} {op:8} {rate:8.0f}/s  p50 {p50:.3f} ms")
    finally:
        await admin.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
