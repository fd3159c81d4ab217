"""The PostgreSQL server the tests use, and a throwaway schema per test.

    dsn = require_postgres()               # skips (or fails, when the DSN was set) if unreachable
    schema = new_schema()                  # test_<random>
    storage = PostgresJobStorage(dsn, schema=schema)
    ...
    await drop_schema(schema)

``UNO_JOBS_TEST_PG_DSN`` names the server (default: trust auth as ``postgres``
on 127.0.0.1:5432, what ``scripts/test.sh`` provides).
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest

DSN = os.environ.get("UNO_JOBS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def require_postgres() -> str:
    """``DSN`` if a server answers there; else skip (fail when the DSN was set explicitly)."""
    url = urlsplit(DSN)
    try:
        socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), 1).close()
    except OSError as exc:
        message = f"no PostgreSQL server at {url.hostname}:{url.port or 5432}: {exc}"
        if "UNO_JOBS_TEST_PG_DSN" in os.environ:
            pytest.fail(message)
        pytest.skip(message)
    return DSN


def new_schema() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


def drop_schema_sync(schema: str) -> None:
    asyncio.run(drop_schema(schema))
