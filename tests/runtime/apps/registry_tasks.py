"""An ``--app`` module that registers its task with ``uno.jobs.task`` (the
process-wide registry) instead of on a manager."""

from __future__ import annotations

from uno.jobs import task


@task(max_retries=0)
async def shout(word: str) -> str:
    return word.upper()
