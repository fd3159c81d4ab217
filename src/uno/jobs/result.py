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
exists), ``Result.UNKNOWN_TASK``, ``Result.INVALID`` (bad enqueue arguments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """A value or an error message (with an optional error code), never both."""

    DUPLICATE: ClassVar[str] = "duplicate"
    UNKNOWN_TASK: ClassVar[str] = "unknown_task"
    INVALID: ClassVar[str] = "invalid"

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
