"""Storage from a URL: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
``postgresql://USER@HOST:PORT/DB`` (also ``postgres://``; ``?schema=NAME`` picks
the schema, default ``uno_jobs``), ``redis://HOST:PORT/N`` (``rediss://`` with
TLS; ``?prefix=NAME`` picks the key prefix, default ``uno_jobs``).

    storage = storage_from_url("postgresql://app@db.internal:5432/app")
    storage = storage_from_url("redis://redis.internal:6379/0?prefix=app")
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from uno.jobs.storage.base import JobStorage

SUPPORTED = ("memory://, sqlite:///PATH (sqlite:////abs/path.db), postgresql://USER@HOST:PORT/DB"
             " or redis://HOST:PORT/N")


def storage_from_url(url: str, *, create: bool = True) -> JobStorage:
    """The store ``url`` names; with ``create=False`` (read-only tools) a
    PostgreSQL schema that does not exist is reported when the store opens,
    never created."""
    from uno.jobs.storage.memory import InMemoryJobStorage
    from uno.jobs.storage.sqlite import SQLiteJobStorage

    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SQLiteJobStorage(url[len("sqlite:///"):])
    if url in ("memory://", "memory"):
        return InMemoryJobStorage()
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url, create)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return _redis(url)
    raise ValueError(f"unsupported storage URL {url!r}: use {SUPPORTED}")


def _take_param(url: str, name: str, default: str) -> tuple[str, str]:
    """``url`` without its query parameter ``name``, and that parameter's value
    (``default`` when absent; ``ValueError`` when empty)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    value = dict(query).get(name, default)
    if not value:
        raise ValueError(f"empty ?{name}= in the storage URL")
    rest = urlencode([(key, v) for key, v in query if key != name])
    return urlunsplit(parts._replace(query=rest)), value


def _postgres(url: str, create: bool) -> JobStorage:
    from uno.jobs.storage.postgres import PostgresJobStorage

    dsn, schema = _take_param(url, "schema", "uno_jobs")
    return PostgresJobStorage(dsn, schema=schema, create_schema=create)


def _redis(url: str) -> JobStorage:
    from uno.jobs.storage.redis import RedisJobStorage

    plain, prefix = _take_param(url, "prefix", "uno_jobs")
    return RedisJobStorage(plain, prefix=prefix)
