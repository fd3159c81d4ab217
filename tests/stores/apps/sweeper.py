"""A process that only sweeps: ``python -m tests.stores.apps.sweeper STORAGE_URL``.

Runs a started ``JobManager`` with no workers and the app's short
``stall_timeout`` on the store until it is killed, so a dead worker's jobs are
failed as stalled (and retried elsewhere) within seconds, whatever stall
timeout the worker processes run with.
"""

from __future__ import annotations

import asyncio
import sys

from uno.jobs import JobManager
from uno.jobs.storage.url import storage_from_url

from . import tasks


async def main(url: str) -> None:
    manager = JobManager(storage_from_url(url), stall_timeout=tasks.STALL_TIMEOUT)
    for definition in tasks.manager.tasks.definitions():
        manager.tasks.register(definition)
    await manager.start()
    print("sweeping", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
