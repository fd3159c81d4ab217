"""Storage from a URL: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
``postgresql://USER@HOST:PORT/DB`` (also ``postgres://``; ``?schema=NAME`` picks
the schema, default ``uno_jobs``).

    storage = storage_from_url("postgresql://app@db.internal:5432/app")
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from uno.jobs.storage.base import JobStorage

SUPPORTED = "memory://, sqlite:///PATH (sqlite:////abs/path.db) or postgresql://USER@HOST:PORT/DB"


def storage_from_url(url: str) -> JobStorage:
    from uno.jobs.storage.memory import InMemoryJobStorage
    from uno.jobs.storage.sqlite import SQLiteJobStorage

    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SQLiteJobStorage(url[len("sqlite:///"):])
    if url in ("memory://", "memory"):
        return InMemoryJobStorage()
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url)
    raise ValueError(f"unsupported storage URL {url!r}: use {SUPPORTED}")


def _postgres(url: str) -> JobStorage:
    from uno.jobs.storage.postgres import PostgresJobStorage

    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = dict(query).get("schema", "uno_jobs")
    dsn = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "schema"])))
    return PostgresJobStorage(dsn, schema=schema)
