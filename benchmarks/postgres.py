"""PostgreSQL: uno's store against pgqueuer, on the same server in one run.

    pip install pgqueuer    # the peer, into the venv for this benchmark only (not a dependency)
    python benchmarks/postgres.py [--dsn postgresql://postgres@127.0.0.1:5432/postgres]
        [--drain-jobs 10000] [--processes 1,2,4] [--rates 100,500] [--systems uno,pgqueuer]

Figures (see ``benchmarks/store_harness.py``): enqueue one by one and in
batches of 1,000 (uno ``enqueue_many``; pgqueuer ``Queries.enqueue`` with
lists), drain with 1, 2 and 4 worker processes of concurrency 20, and
enqueue->start p50/p99 at 100 and 500 jobs/s — uno uninstrumented, uno under
zero-code OpenTelemetry, and pgqueuer uninstrumented. uno runs the real worker
CLI on ``postgresql://...?schema=bench_uno_N`` (a fresh schema per figure);
pgqueuer runs as its documentation shows (asyncpg, ``PgQueuer.run(batch_size=10,
max_concurrent_tasks=20)``) in the schema ``bench_pgqueuer``, reinstalled per
figure. Both run on the default asyncio event loop. Every schema is dropped at the end.

This module also runs pgqueuer's roles: ``python -m benchmarks.postgres work DSN
CONCURRENCY`` and ``... produce DSN one|batch|fill|paced JOBS RATE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # `python benchmarks/postgres.py`: import the project, not this folder
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

import asyncio  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from benchmarks.store_app import BATCH, PROBE, paced  # noqa: E402
from benchmarks.store_harness import (  # noqa: E402
    System,
    measure,
    peer_commands,
    run_peer_role,
    uno_systems,
)
from benchmarks.store_report import parse_options, table  # noqa: E402

DSN = os.environ.get("UNO_JOBS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PGQ_SCHEMA = "bench_pgqueuer"
os.environ.setdefault("PGQUEUER_SCHEMA", PGQ_SCHEMA)


async def pgq_reset(dsn: str) -> None:
    import asyncpg  # noqa: PLC0415
    from pgqueuer import Queries  # noqa: PLC0415

    conn = await asyncpg.connect(dsn)
    await conn.execute(f"DROP SCHEMA IF EXISTS {PGQ_SCHEMA} CASCADE")
    await Queries.from_asyncpg_connection(conn).install()
    await conn.close()


async def pgq_work(dsn: str, concurrency: int) -> None:
    import asyncpg  # noqa: PLC0415
    from pgqueuer import PgQueuer  # noqa: PLC0415

    pgq = PgQueuer.from_asyncpg_connection(await asyncpg.connect(dsn))

    @pgq.entrypoint("noop")
    async def noop(job) -> None:  # noqa: ANN001
        PROBE.hit(float(job.payload) if job.payload else None)

    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, pgq.shutdown.set)
    await pgq.run(batch_size=max(1, concurrency // 2), max_concurrent_tasks=concurrency)


async def pgq_produce(dsn: str, mode: str, jobs: int, rate: float) -> float:
    import asyncpg  # noqa: PLC0415
    from pgqueuer import Queries  # noqa: PLC0415

    conn = await asyncpg.connect(dsn)
    queries = Queries.from_asyncpg_connection(conn)
    started = time.perf_counter()
    if mode == "one":
        for _ in range(jobs):
            await queries.enqueue("noop", None)
    elif mode in ("batch", "fill"):
        for start in range(0, jobs, BATCH):
            size = min(BATCH, jobs - start)
            await queries.enqueue(["noop"] * size, [None] * size, [0] * size)
    else:
        async def one(at: float) -> None:
            await queries.enqueue("noop", repr(at).encode())

        await paced(rate, jobs, one)
    seconds = time.perf_counter() - started
    await conn.close()
    return seconds


async def drop_schemas(dsn: str, prefix: str) -> None:
    """Drop every schema whose name starts with ``prefix``."""
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(dsn)
    for row in await conn.fetch("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
                                prefix):
        await conn.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
    await conn.close()


def main() -> None:
    options = parse_options(__doc__, extra={"--dsn": DSN, "--uno-sqlite": False})
    dsn, numbers, tmp = options.dsn, itertools.count(1), tempfile.TemporaryDirectory()

    def new_uno_url() -> str:
        if options.uno_sqlite:  # the harness without the PostgreSQL store
            return f"sqlite:///{tmp.name}/uno-{next(numbers)}.db"
        return f"{dsn}?schema=bench_uno_{next(numbers)}"

    def reset_pgqueuer() -> str:
        asyncio.run(pgq_reset(dsn))
        return dsn

    systems = [System("pgqueuer", reset_pgqueuer, *peer_commands("postgres")),
               *uno_systems(new_uno_url)]
    systems = [s for s in systems if not options.systems or s.name in options.systems]
    try:
        figures = measure(systems, options)
    finally:
        asyncio.run(drop_schemas(dsn, "bench_uno_"))
        asyncio.run(drop_schemas(dsn, PGQ_SCHEMA))
        tmp.cleanup()
    print(table(figures, peer="pgqueuer"))


if __name__ == "__main__":
    run_peer_role(pgq_work, pgq_produce, main)
