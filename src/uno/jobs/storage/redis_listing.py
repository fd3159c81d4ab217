"""Listing jobs for :class:`~uno.jobs.storage.redis.RedisJobStorage`: the ids of
the first ``window`` jobs of several ``PREFIX:s:QUEUE:STATUS`` sets (each ordered
by insertion), merged into one insertion order, oldest or newest first.

    ids = await ranked_ids(conn, keys, window=50, newest=True)
"""

from __future__ import annotations

import heapq
from typing import Any

from uno.jobs.storage.redis_client import RedisConnection


async def ranked_ids(conn: RedisConnection, keys: list[str], window: int,
                     newest: bool) -> list[str]:
    """The first ``window`` ids across ``keys`` in insertion order (newest first
    if ``newest``): the first ``window`` of each set, merged."""
    if not keys or window <= 0:
        return []

    async def fetch(client: Any) -> list[Any]:
        async with client.pipeline(transaction=False) as pipe:
            for key in keys:
                (pipe.zrevrange if newest else pipe.zrange)(key, 0, window - 1, withscores=True)
            return await pipe.execute()

    merged = heapq.merge(*await conn.call(fetch), key=lambda pair: pair[1], reverse=newest)
    return [job_id for job_id, _ in merged][:window]
