"""When a schedule fires next: ``IntervalSchedule`` and ``CronSchedule`` (croniter).

    IntervalSchedule(minutes=5).next_after(now)     # the next multiple of 5 minutes, UTC
    CronSchedule("*/15 * * * *").next_after(now)    # next quarter hour, UTC
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from croniter import croniter


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime: ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class IntervalSchedule:
    """Every ``interval``, on a grid counted from the Unix epoch, so every process
    that runs the schedule agrees on its due times (and so on its job ids)."""

    def __init__(self, seconds: float = 0, minutes: float = 0, hours: float = 0) -> None:
        for name, value in (("seconds", seconds), ("minutes", minutes), ("hours", hours)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"IntervalSchedule {name} must be a number >= 0, got {value!r}")
        self.interval = timedelta(seconds=seconds, minutes=minutes, hours=hours)
        if self.interval <= timedelta(0):
            raise ValueError("IntervalSchedule needs a positive interval")

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval - (moment - _EPOCH) % self.interval

    def __repr__(self) -> str:
        return f"IntervalSchedule({self.interval.total_seconds():g}s)"


class CronSchedule:
    """A five-field cron expression, evaluated in UTC."""

    def __init__(self, expression: str) -> None:
        if not isinstance(expression, str) or not croniter.is_valid(expression):
            raise ValueError(f"invalid cron expression {expression!r}")
        self.expression = expression
        try:  # valid fields can still name no date at all ("0 0 31 2 *")
            self.next_after(_EPOCH)
        except Exception as exc:
            raise ValueError(f"invalid cron expression {expression!r}: it never fires "
                             f"({exc})") from None

    def next_after(self, moment: datetime) -> datetime:
        return croniter(self.expression, moment).get_next(datetime)

    def __repr__(self) -> str:
        return f"CronSchedule({self.expression!r})"
