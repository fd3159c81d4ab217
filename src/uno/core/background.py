"""Stopping a background task: cancel it and wait until it has finished.

    from uno.core.background import cancel_and_wait

    task, self._task = self._task, None
    await cancel_and_wait(task)          # None or an already finished task: nothing to do
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait for it to end; its ``CancelledError`` is swallowed."""
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


__all__ = ["cancel_and_wait"]
