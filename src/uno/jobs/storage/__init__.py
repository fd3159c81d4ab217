"""Storages: ``InMemoryJobStorage``, ``SQLiteJobStorage``, ``RedisJobStorage``
(imported on first use: it needs the ``redis`` extra), and the interface."""

from uno.core.lazy import lazy_exports
from uno.jobs.storage.base import DuplicateJobError, JobStorage
from uno.jobs.storage.memory import InMemoryJobStorage
from uno.jobs.storage.sqlite import SQLiteJobStorage

__all__ = ["DuplicateJobError", "InMemoryJobStorage", "JobStorage", "SQLiteJobStorage"]
# RedisJobStorage (the ``redis`` extra) is imported on first use, left out of __all__
__getattr__, __dir__ = lazy_exports(__name__, {"RedisJobStorage": "redis"}, globals())
