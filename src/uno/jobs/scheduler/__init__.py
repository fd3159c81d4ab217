"""The scheduler and its schedules."""

from uno.jobs.scheduler.scheduler import ScheduledTask, Scheduler
from uno.jobs.scheduler.schedules import CronSchedule, IntervalSchedule, Schedule

__all__ = ["CronSchedule", "IntervalSchedule", "Schedule", "ScheduledTask", "Scheduler"]
