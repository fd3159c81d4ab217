"""Wake-ups across processes for :class:`~uno.jobs.storage.redis.RedisJobStorage`:
a pub/sub subscription that calls back when another process stored a waiting job
or resumed a queue.

    wake = WakeListener(client, "uno_jobs:wake", origin="a1b2")
    wake.add(lambda: event.set())   # starts the subscription on the running loop
    await wake.close()

Messages carry the sender's ``origin``; a process's own messages are ignored
(in-process wake-ups are JobManager's). When the connection breaks, redis-py
reconnects and subscribes again (or, once its retries run out, the subscription
is set up again here with backoff); either way the callbacks are called once it
is back, since a job may have been stored meanwhile. Polling stays the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import types
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)
_MAX_BACKOFF = 2.0


class cancellation_kept:  # noqa: N801 - used like a function: ``with cancellation_kept():``
    """Raise ``CancelledError`` from the block if the task was cancelled inside
    it and the block swallowed that, returning or raising something else
    (redis-py 8.0-8.1 does: a cancelled command can end as a ``ConnectionError``).
    A class, not a generator: it wraps every Redis call."""

    __slots__ = ("_before", "_task")

    def __enter__(self) -> None:
        self._task = task = asyncio.current_task()
        self._before = task.cancelling() if task is not None else 0

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> None:
        if kind is not None and issubclass(kind, asyncio.CancelledError):
            return
        task = self._task
        if task is not None and task.cancelling() > self._before:
            raise asyncio.CancelledError from exc


class WakeListener:
    def __init__(self, client_factory: Callable[[], Any], channel: str, origin: str) -> None:
        self._client_factory = client_factory
        self.channel = channel
        self.origin = origin
        self._callbacks: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._on_connect: Callable[..., Any] | None = None
        self.subscribed = asyncio.Event()

    def add(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        with contextlib.suppress(RuntimeError):  # no running loop: start() later
            self.start()

    def start(self) -> None:
        """Subscribe on the running loop (no-op without callbacks or when running)."""
        loop = asyncio.get_running_loop()
        if self._callbacks and (self._task is None or self._task.done()
                                or self._task.get_loop() is not loop):
            self.subscribed = asyncio.Event()
            self._task = loop.create_task(self._listen())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _fire(self) -> None:
        for callback in list(self._callbacks):
            try:
                callback()
            except Exception:
                logger.exception("on_work_available callback failed")

    def _fire_on_resubscribe(self, pubsub: Any) -> None:
        """Call back after redis-py reconnects and subscribes again by itself."""
        resubscribe = pubsub.on_connect

        async def on_connect(this: Any, connection: Any) -> None:
            await resubscribe(connection)
            if this.channels:  # a reconnection, not the first connection
                self._fire()

        self._on_connect = on_connect  # redis-py holds the callback by weak reference
        pubsub.on_connect = types.MethodType(on_connect, pubsub)  # it wants a bound method

    async def _listen(self) -> None:
        backoff, first = 0.05, True
        while True:
            pubsub = self._client_factory().pubsub(ignore_subscribe_messages=True)
            self._fire_on_resubscribe(pubsub)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                if not first:
                    self._fire()  # back after a break: something may be due
                first, backoff = False, 0.05
                while True:
                    with cancellation_kept():
                        message = await pubsub.get_message(timeout=None)
                    if message and message["type"] == "message" and message["data"] != self.origin:
                        self._fire()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: set up again with backoff
                self.subscribed.clear()
                logger.warning("job wake-up subscription lost (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
