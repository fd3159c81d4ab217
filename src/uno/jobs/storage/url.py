"""Storage from a URL: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
``postgresql://USER@HOST:PORT/DB`` (also ``postgres://``; ``?schema=NAME`` picks
the schema, default ``uno_jobs``), ``redis://HOST:PORT/N`` (``rediss://`` with TLS;
``?prefix=NAME`` picks the key prefix, default ``uno_jobs``).

    storage = storage_from_url("postgresql://app@db.internal:5432/app")
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from uno.jobs.storage.base import JobStorage

SUPPORTED = ("memory://, sqlite:///PATH (sqlite:////abs/path.db), postgresql://USER@HOST:PORT/DB"
             " or redis://HOST:PORT/N")


def _redis_storage(url: str) -> JobStorage:
    """``RedisJobStorage`` for ``url``; a ``prefix`` query parameter is the key prefix,
    the others go to redis-py."""
    from uno.jobs.storage.redis import RedisJobStorage

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for name, value in query if name == "prefix"]
    rest = [(name, value) for name, value in query if name != "prefix"]
    if prefixes and not prefixes[-1]:
        raise ValueError("empty key prefix in the redis:// storage URL (?prefix=)")
    plain = parts._replace(query=urlencode(rest)).geturl()
    return RedisJobStorage(plain, prefix=prefixes[-1]) if prefixes else RedisJobStorage(plain)


def storage_from_url(url: str) -> JobStorage:
    from uno.jobs.storage.memory import InMemoryJobStorage
    from uno.jobs.storage.sqlite import SQLiteJobStorage

    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SQLiteJobStorage(url[len("sqlite:///"):])
    if url.startswith(("redis://", "rediss://", "unix://")):
        return _redis_storage(url)
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
