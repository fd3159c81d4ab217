"""Task definitions and how a handler is called.

    registry = TaskRegistry()

    @registry.task(queue="emails", max_retries=5)
    async def send_email(to: str) -> None: ...

    definition = registry.get("send_email")
    await definition.call(["a@b.c"], {})

Async handlers are awaited; plain functions run in a thread (with the caller's
contextvars copied, so the current span follows them) and never block the loop.
Module-level ``task`` registers on the process-wide ``default_registry``, which
every ``JobManager`` also consults.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from uno.core.timeutil import to_timedelta

Handler = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class TaskDefinition:
    name: str
    handler: Handler
    description: str | None = None
    timeout: timedelta | None = None
    max_retries: int = 3
    retry_delay: timedelta = timedelta(seconds=60)
    queue: str = "default"

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    async def call(
        self, args: list[Any], kwargs: dict[str, Any], executor: Executor | None = None
    ) -> Any:
        """Await the handler, or run a plain one on ``executor`` (default: the
        loop's) with a copy of the current contextvars."""
        if self.is_async:
            return await self.handler(*args, **kwargs)
        context = contextvars.copy_context()
        call = functools.partial(context.run, self.handler, *args, **kwargs)
        result = await asyncio.get_running_loop().run_in_executor(executor, call)
        if inspect.isawaitable(result):
            return await result
        return result


def make_definition(
    name: str,
    handler: Handler,
    description: str | None = None,
    timeout: timedelta | float | None = None,
    max_retries: int = 3,
    retry_delay: timedelta | float = timedelta(seconds=60),
    queue: str = "default",
) -> TaskDefinition:
    """Validate registration arguments; ``ValueError`` names the bad one."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"task name must be a non-empty string, got {name!r}")
    if not callable(handler):
        raise ValueError(f"task {name!r}: handler must be callable, got {handler!r}")
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise ValueError(f"task {name!r}: max_retries must be an int >= 0, got {max_retries!r}")
    if not isinstance(queue, str) or not queue:
        raise ValueError(f"task {name!r}: queue must be a non-empty string, got {queue!r}")
    return TaskDefinition(
        name=name,
        handler=handler,
        description=description or inspect.getdoc(handler),
        timeout=to_timedelta(timeout, "timeout", positive=True),
        max_retries=max_retries,
        retry_delay=to_timedelta(retry_delay, "retry_delay") or timedelta(0),
        queue=queue,
    )


class TaskRegistry:
    """Task definitions by name."""

    def __init__(self) -> None:
        self._tasks: dict[str, TaskDefinition] = {}

    def register(self, definition: TaskDefinition) -> TaskDefinition:
        self._tasks[definition.name] = definition
        return definition

    def get(self, name: str) -> TaskDefinition | None:
        return self._tasks.get(name)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def definitions(self) -> list[TaskDefinition]:
        return list(self._tasks.values())

    def task(self, name: str | None = None, **options: Any) -> Callable[[Handler], Handler]:
        """Decorator: register the function under ``name`` (default: its name)."""

        def decorate(handler: Handler) -> Handler:
            self.register(make_definition(name or handler.__name__, handler, **options))
            return handler

        return decorate


default_registry = TaskRegistry()
task = default_registry.task
