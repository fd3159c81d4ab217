"""The connection behind :class:`~uno.jobs.storage.redis.RedisJobStorage`: one
redis-py asyncio client (made on first use, retried with backoff after a lost
connection), the Lua scripts run on it by SHA, and Redis errors turned into
``StorageError``/``StorageUnavailableError`` naming the store.

    conn = RedisConnection("redis://localhost:6379/0", prefix="uno_jobs")
    await conn.call(lambda client: client.ping())
    answer = await conn.script("claim", ...)   # ARGV: prefix, origin, then these
    await conn.close()
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from uno.jobs.errors import StorageError, StorageUnavailableError
from uno.jobs.storage.redis_lua import SCRIPTS
from uno.jobs.storage.redis_wake import cancellation_kept

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Epoch microseconds; a naive datetime is taken as UTC."""
    return ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - _EPOCH) // _US


def from_us(value: str | int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


_UNBLOCKED_WRITE = 16 * 1024  # bytes: well under asyncio's 64 KiB write-buffer limit


@functools.cache
def timed_write_connection(base: type) -> type:
    """``base`` (redis-py's connection class for the URL: TCP, TLS or Unix
    socket) with a cheaper bound on writes. redis-py wraps every write in
    ``asyncio.wait_for(..., socket_timeout)``, which on Python 3.11 starts a task
    per command: about 50 µs of CPU here, a fifth of a one-job enqueue. A write
    of up to 16 KiB cannot wait (a connection is reused only once the reply to
    its last command came, so its buffer is empty, and asyncio pauses a writer
    only past 64 KiB), so it needs no timer; a bigger one (a large batch) is
    bounded by ``asyncio.timeout``. Connecting and the health-check PING come
    first, under ``socket_timeout`` as before; reads keep redis-py's timeout."""
    from redis.exceptions import TimeoutError as RedisTimeoutError

    class TimedWriteConnection(base):  # type: ignore[misc, valid-type]
        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            timeout = self.socket_timeout
            if not timeout or isinstance(command, str | bytes):
                return await super().send_packed_command(command, check_health)
            if not self.is_connected:
                await self.connect_check_health(check_health=False)
            if check_health:
                await self.check_health()
            self.socket_timeout = None  # for this write only: redis-py's wait_for is skipped
            try:
                if sum(map(len, command)) <= _UNBLOCKED_WRITE:
                    return await super().send_packed_command(command, False)
                async with asyncio.timeout(timeout):
                    return await super().send_packed_command(command, False)
            except TimeoutError:  # (redis-py raises its own errors: this is the timer's)
                raise RedisTimeoutError("Timeout writing to socket") from None
            finally:
                self.socket_timeout = timeout

    TimedWriteConnection.__qualname__ = TimedWriteConnection.__name__ = f"TimedWrite{base.__name__}"
    return TimedWriteConnection


class RedisConnection:
    def __init__(self, url: str, prefix: str, retries: int) -> None:
        self.url, self.prefix, self.retries = url, prefix, retries
        self.origin = uuid.uuid4().hex  # this instance, in wake-up messages
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shas = {name: hashlib.sha1(src.encode()).hexdigest()  # noqa: S324 - Redis's id
                      for name, src in SCRIPTS.items()}
        self._errors: tuple[type[BaseException], ...] = ()
        self._no_script: type[BaseException] = Exception

    def describe(self) -> str:
        parts = urlsplit(self.url)
        if parts.scheme == "unix":
            return f"unix://{parts.path} (prefix {self.prefix})"
        host = parts.hostname or "localhost"
        db = parts.path.lstrip("/") or "0"
        return f"{parts.scheme}://{host}:{parts.port or 6379}/{db} (prefix {self.prefix})"

    def client(self) -> Any:
        """The redis-py client, made on first use in each event loop (a script
        may ``asyncio.run`` one call after another)."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is not loop:
            self._client = None  # bound to a finished loop: its sockets go with it
        if self._client is None:
            self._loop = loop
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import EqualJitterBackoff
            from redis.exceptions import ConnectionError, NoScriptError, RedisError, TimeoutError

            self._client = aioredis.Redis.from_url(
                self.url, decode_responses=True, health_check_interval=30,
                client_name=f"uno-jobs:{self.prefix}",  # CLIENT LIST shows whose it is
                retry=Retry(EqualJitterBackoff(cap=1.0, base=0.02), self.retries),
                retry_on_error=[ConnectionError, TimeoutError])
            pool = self._client.connection_pool
            pool.connection_class = timed_write_connection(pool.connection_class)
            self._errors = (RedisError, OSError)
            self._no_script = NoScriptError
        return self._client

    def _error(self, exc: Exception) -> StorageError:
        from redis.exceptions import ConnectionError, TimeoutError

        kind = (StorageUnavailableError if isinstance(exc, ConnectionError | TimeoutError | OSError)
                else StorageError)
        return kind(f"{self.describe()}: {type(exc).__name__}: {exc}")

    async def call(self, fn: Callable[[Any], Any]) -> Any:
        """``await fn(client)``, with Redis errors raised as ``StorageError``."""
        with cancellation_kept():
            client = self.client()
            try:
                return await fn(client)
            except self._errors as exc:
                raise self._error(exc) from exc  # type: ignore[arg-type]

    async def script(self, name: str, *args: Any) -> Any:
        """Run the Lua script ``name`` with ARGV ``prefix, origin, *args``: one
        EVALSHA (the script is loaded first only when the server lacks it)."""
        async def run(client: Any) -> Any:
            try:
                return await client.evalsha(self._shas[name], 0, self.prefix, self.origin, *args)
            except self._no_script:  # a restarted or flushed server
                await client.script_load(SCRIPTS[name])
                return await client.evalsha(self._shas[name], 0, self.prefix, self.origin, *args)

        return await self.call(run)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()  # (a finished loop's client just goes)
