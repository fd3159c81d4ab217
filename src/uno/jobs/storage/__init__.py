"""Storages: ``InMemoryJobStorage`` and ``SQLiteJobStorage``, and the interface."""

from uno.jobs.storage.base import DuplicateJobError, JobStorage
from uno.jobs.storage.memory import InMemoryJobStorage
from uno.jobs.storage.sqlite import SQLiteJobStorage

__all__ = ["DuplicateJobError", "InMemoryJobStorage", "JobStorage", "SQLiteJobStorage"]
