"""``Result[T]``: the success-or-failure value every manager call returns.

    >>> r = Result.success(3)
    >>> r.is_success, r.value
    (True, 3)
    >>> Result.failure("unknown task 'x'").error
    "unknown task 'x'"
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """A value or an error message, never both."""

    value: T | None = None
    error: str | None = None

    @property
    def is_success(self) -> bool:
        return self.error is None

    @property
    def is_failure(self) -> bool:
        return self.error is not None

    @classmethod
    def success(cls, value: Any = None) -> Result[Any]:
        return cls(value=value)

    @classmethod
    def failure(cls, error: str | BaseException) -> Result[Any]:
        return cls(error=str(error) or type(error).__name__)

    def unwrap(self) -> T:
        """The value, or ``ValueError`` with the error message."""
        if self.error is not None:
            raise ValueError(self.error)
        return self.value  # type: ignore[return-value]


def failure_on(
    *errors: type[BaseException],
) -> Callable[[Callable[P, Awaitable[Result[T]]]], Callable[P, Awaitable[Result[T]]]]:
    """Decorator for an async call that answers a ``Result``: these errors become
    ``Result.failure`` with the error's message instead of escaping.

        @failure_on(StorageError)
        async def get_queue_names(self) -> Result[set[str]]: ...
    """

    def decorate(call: Callable[P, Awaitable[Result[T]]]) -> Callable[P, Awaitable[Result[T]]]:
        @functools.wraps(call)
        async def answer(*args: P.args, **kwargs: P.kwargs) -> Result[T]:
            try:
                return await call(*args, **kwargs)
            except errors as exc:
                return Result.failure(exc)

        return answer

    return decorate


def awaitable(call: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """The async form of a plain call (same signature and docstring)."""

    @functools.wraps(call)
    async def call_async(*args: P.args, **kwargs: P.kwargs) -> T:
        return call(*args, **kwargs)

    return call_async
