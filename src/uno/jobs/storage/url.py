"""Storage from a URL: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``,
``redis://HOST:PORT/N`` (``rediss://`` with TLS; key prefix ``uno_jobs``), ``memory://``."""

from __future__ import annotations

from uno.jobs.storage.base import JobStorage


def storage_from_url(url: str) -> JobStorage:
    from uno.jobs.storage.memory import InMemoryJobStorage
    from uno.jobs.storage.sqlite import SQLiteJobStorage

    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SQLiteJobStorage(url[len("sqlite:///"):])
    if url.startswith(("redis://", "rediss://", "unix://")):
        from uno.jobs.storage.redis import RedisJobStorage

        return RedisJobStorage(url)
    if url in ("memory://", "memory"):
        return InMemoryJobStorage()
    raise ValueError(
        f"unsupported storage URL {url!r}: use sqlite:///PATH (sqlite:////abs/path.db),"
        " redis://HOST:PORT/N or memory://"
    )
