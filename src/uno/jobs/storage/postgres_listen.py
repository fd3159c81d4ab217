"""LISTEN/NOTIFY for ``PostgresJobStorage``: one dedicated connection that
listens on the schema's channel and calls the registered callbacks (on the
event loop) whenever a job becomes due in some process.

    listener = WorkListener(connect, "uno_jobs_work", name="postgresql://...", logger=log)
    listener.add(manager_wake_up)       # starts listening (needs a running loop)
    await listener.close()

When the connection is lost (server restart, ``pg_terminate_backend``) it
reconnects with backoff (0.1 s doubling to 5 s) and calls the callbacks once
after each reconnect, since notifications sent meanwhile are gone. Workers
still poll, so a missed notification costs at most one poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

FIRST_DELAY, MAX_DELAY, CHECK_EVERY = 0.1, 5.0, 5.0


class WorkListener:
    def __init__(self, connect: Callable[[], Awaitable[Any]], channel: str, *, name: str,
                 logger: logging.Logger) -> None:
        self._connect = connect
        self._channel = channel
        self._name = name
        self._logger = logger
        self._callbacks: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def callbacks(self) -> list[Callable[[], None]]:
        return list(self._callbacks)

    def add(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        self.start()

    def start(self) -> None:
        """Listen from now on, if anyone asked and a loop runs (else on the next call)."""
        if self._task is not None or not self._callbacks:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self._listen(), name="uno-jobs-pg-listen")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _wake(self, *_: Any) -> None:
        for callback in list(self._callbacks):
            try:
                callback()
            except Exception:
                self._logger.exception("work-available callback failed")

    async def _listen(self) -> None:
        delay = FIRST_DELAY
        while True:
            conn = None
            try:
                conn = await self._connect()
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(self._channel, self._wake)
                if delay > FIRST_DELAY:
                    self._logger.info("%s: listening for new jobs again", self._name)
                delay = FIRST_DELAY
                self._wake()  # jobs enqueued while nobody listened
                while not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), CHECK_EVERY)
                self._logger.warning("%s: lost the listening connection; reconnecting",
                                     self._name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._logger.warning("%s: cannot listen for new jobs (%s: %s); retrying in "
                                     "%.1fs", self._name, type(exc).__name__, exc, delay)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.close(timeout=1))
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
