"""Lifecycle writes that outlast a short store outage.

    job = await retry_while_unavailable(lambda: storage.update(job), give_up_after=60.0,
                                        what=f"record job {job.id}", logger=logger)

A write that hits ``StorageUnavailableError`` is retried with exponential
backoff (50 ms doubling to 5 s) until ``give_up_after`` seconds have passed; the
last error is then raised. The job manager bounds this below the stall timeout,
so a job finished while the store was away is recorded when it returns, and a
job that cannot be recorded in time is left RUNNING for the stall sweep to
retry: never lost, never recorded twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from uno.jobs.errors import StorageUnavailableError

T = TypeVar("T")
FIRST_DELAY, MAX_DELAY = 0.05, 5.0


async def retry_while_unavailable(
    write: Callable[[], Awaitable[T]], *, give_up_after: float, what: str,
    logger: logging.Logger,
) -> T:
    deadline = time.monotonic() + give_up_after
    delay = FIRST_DELAY
    warned = False
    while True:
        try:
            result = await write()
        except StorageUnavailableError as exc:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.error("could not %s: the store stayed unavailable for %.1fs: %s",
                             what, give_up_after, exc)
                raise
            if not warned:
                logger.warning("could not %s, retrying while the store is unavailable: %s",
                               what, exc)
                warned = True
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_DELAY)
            continue
        if warned:
            logger.info("%s: done after the store came back", what)
        return result
