"""``Result[T]``: the success-or-failure value every manager call returns.

    >>> r = Result.success(3)
    >>> r.is_success, r.value
    (True, 3)
    >>> Result.failure("unknown task 'x'").error
    "unknown task 'x'"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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
