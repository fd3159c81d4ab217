"""Small time helpers: durations given as seconds or a ``timedelta``, and aware
datetimes. The one place a "seconds or timedelta" argument is read.

    to_timedelta(30, "timeout")                        # timedelta(seconds=30)
    to_seconds(timedelta(minutes=1), "interval", positive=True)   # 60.0
    to_seconds(0, "interval", positive=True)           # ValueError: interval must be positive
"""

from __future__ import annotations

from datetime import datetime, timedelta


def to_timedelta(
    value: timedelta | float | int | None, name: str, positive: bool = False
) -> timedelta | None:
    """A ``timedelta`` from seconds or a timedelta; ``ValueError`` naming ``name``
    for a negative (or, when ``positive``, zero) or non-numeric value."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, timedelta | int | float):
        raise ValueError(f"{name} must be a timedelta or seconds, got {value!r}")
    try:
        delta = value if isinstance(value, timedelta) else timedelta(seconds=value)
    except OverflowError:
        raise ValueError(f"{name} must be a finite duration, got {value!r}") from None
    seconds = delta.total_seconds()
    if seconds < 0 or (positive and seconds == 0) or seconds != seconds:
        qualifier = "positive" if positive else "zero or positive"
        raise ValueError(f"{name} must be {qualifier}, got {value!r}")
    return delta


def to_seconds(value: timedelta | float | int, name: str, positive: bool = False) -> float:
    """``value`` (seconds or a timedelta) in seconds, validated as :func:`to_timedelta`."""
    if value is None:
        raise ValueError(f"{name} must be a timedelta or seconds, got None")
    delta = to_timedelta(value, name, positive)
    assert delta is not None
    return delta.total_seconds()


def require_aware(value: datetime | None, name: str) -> datetime | None:
    """``value`` if it is None or timezone-aware; ``ValueError`` otherwise."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(UTC)), got {value!r}")
    return value
