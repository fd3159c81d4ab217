"""Tasks for the killed-worker test, run by ``python -m uno.jobs worker --app
tests.hardening.apps.stuck``: ``stuck`` writes its marker file and then hangs
until the process is killed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from uno.jobs import InMemoryJobStorage, JobManager

manager = JobManager(storage=InMemoryJobStorage())  # the CLI copies its tasks


@manager.task(max_retries=0)
async def stuck(marker: str) -> None:
    Path(marker).write_text("started")
    await asyncio.sleep(3600)
