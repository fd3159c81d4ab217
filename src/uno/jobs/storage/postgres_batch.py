"""Coalescing job updates for ``PostgresJobStorage``: the ``update`` calls made
while a statement is on its way go to the server together, as one ``UPDATE ...
FROM unnest(...)``; each caller still returns only once its own row is written.

    batcher = UpdateBatcher(run_statement)       # run_statement(columns) -> ids updated
    found = await batcher.update(job.id, row)    # False: no such job

A busy worker finishes and starts many jobs at once, so this turns its
lifecycle writes from one round trip (and one commit) per job into one per
batch, like the batched completion of the fastest PostgreSQL queues. With a
single caller it costs nothing: its update goes out at once. A job updated
twice before a flush (two coroutines racing on one job) waits for the next
batch, so updates of one job stay in call order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

MAX_BATCH = 500
Run = Callable[[list[list[Any]]], Awaitable[set[str]]]


class UpdateBatcher:
    def __init__(self, run: Run) -> None:
        self._run = run
        self._pending: list[tuple[Sequence[Any], asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def update(self, row: Sequence[Any]) -> bool:
        """Write ``row`` (its first value is the job id); False if no job has that id."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_all())
        return await asyncio.shield(future)  # a cancelled caller's row is written anyway

    async def _flush_all(self) -> None:
        try:
            while self._pending:
                await self._flush(self._take())
        finally:
            self._flushing = None

    def _take(self) -> list[tuple[Sequence[Any], asyncio.Future[bool]]]:
        batch, later, ids = [], [], set()
        for item in self._pending:
            if item[0][0] in ids or len(batch) >= MAX_BATCH:
                later.append(item)
            else:
                ids.add(item[0][0])
                batch.append(item)
        self._pending = later
        return batch

    async def _flush(self, batch: list[tuple[Sequence[Any], asyncio.Future[bool]]]) -> None:
        columns = [list(column) for column in zip(*(row for row, _ in batch), strict=True)]
        try:
            updated = await self._run(columns)
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for row, future in batch:
            if not future.done():
                future.set_result(row[0] in updated)
