"""The real Redis the tests use: ``UNO_JOBS_TEST_REDIS_URL`` or 127.0.0.1:6379
(``scripts/test.sh`` starts one when none answers). Each store gets its own key
prefix, and its keys are deleted afterwards.

    store = new_redis_storage()
    ...
    drop_redis_keys(store.prefix)
"""

from __future__ import annotations

import os
import uuid

from uno.jobs.storage.redis import RedisJobStorage

REDIS_URL = os.environ.get("UNO_JOBS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def new_redis_storage(prefix: str | None = None) -> RedisJobStorage:
    return RedisJobStorage(REDIS_URL, prefix=prefix or f"uno_jobs_test_{uuid.uuid4().hex[:12]}")


def drop_redis_keys(prefix: str) -> None:
    """Delete every key under ``prefix`` (blocking client: works outside any loop)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
    finally:
        client.close()
