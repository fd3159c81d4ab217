"""``Result[T]``: the success-or-failure value every manager call returns.

    >>> r = Result.success(3)
    >>> r.is_success, r.value
    (True, 3)
    >>> Result.failure("unknown task 'x'").error
    "unknown task 'x'"
    >>> Result.failure("job 'a' exists", code=Result.DUPLICATE).code
    'duplicate'

A failure may carry a ``code`` (default None) so callers branch on what went
wrong without reading the message: ``Result.DUPLICATE`` (a job with that id
exists), ``Result.UNKNOWN_TASK``, ``Result.INVALID`` (bad enqueue arguments),
``Result.UNAVAILABLE`` (the store cannot be reached or opened now) and
``Result.STORAGE_ERROR`` (the store failed otherwise).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, ParamSpec, TypeVar

from uno.jobs.errors import StorageError, StorageUnavailableError

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """A value or an error message (with an optional error code), never both."""

    DUPLICATE: ClassVar[str] = "duplicate"
    UNKNOWN_TASK: ClassVar[str] = "unknown_task"
    INVALID: ClassVar[str] = "invalid"
    UNAVAILABLE: ClassVar[str] = "unavailable"
    STORAGE_ERROR: ClassVar[str] = "storage_error"

    value: T | None = None
    error: str | None = None
    code: str | None = None

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
    def failure(cls, error: str | BaseException, code: str | None = None) -> Result[Any]:
        return cls(error=str(error) or type(error).__name__, code=code)

    def unwrap(self) -> T:
        """The value, or ``ValueError`` with the error message."""
        if self.error is not None:
            raise ValueError(self.error)
        return self.value  # type: ignore[return-value]


def failure_on(
    *errors: type[BaseException], codes: Mapping[type[BaseException], str] | None = None,
) -> Callable[[Callable[P, Awaitable[Result[T]]]], Callable[P, Awaitable[Result[T]]]]:
    """Decorator for an async call that answers a ``Result``: these errors become
    ``Result.failure`` with the error's message (and the code of the first of
    ``codes`` the error is an instance of) instead of escaping.

        @failure_on(StorageError, codes={StorageError: Result.STORAGE_ERROR})
        async def get_queue_names(self) -> Result[set[str]]: ...
    """

    def decorate(call: Callable[P, Awaitable[Result[T]]]) -> Callable[P, Awaitable[Result[T]]]:
        @functools.wraps(call)
        async def answer(*args: P.args, **kwargs: P.kwargs) -> Result[T]:
            try:
                return await call(*args, **kwargs)
            except errors as exc:
                code = next((c for kind, c in (codes or {}).items() if isinstance(exc, kind)),
                            None)
                return Result.failure(exc, code=code)

        return answer

    return decorate


def awaitable(call: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """The async form of a plain call (same signature and docstring)."""

    @functools.wraps(call)
    async def call_async(*args: P.args, **kwargs: P.kwargs) -> T:
        return call(*args, **kwargs)

    return call_async


storage_failures = failure_on(StorageError, codes={StorageUnavailableError: Result.UNAVAILABLE,
                                                   StorageError: Result.STORAGE_ERROR})
"""A store that cannot do what was asked answers a failed ``Result`` naming it."""
