"""An ``--app`` module that registers no tasks: the worker must refuse it."""

from uno.jobs import InMemoryJobStorage, JobManager

manager = JobManager(InMemoryJobStorage())
