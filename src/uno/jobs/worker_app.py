"""The ``--app`` of a worker process: its own ``JobManager``, run as configured.

    manager = load_app("myapp.tasks")            # or "myapp.tasks:manager"
    queues = declared_queues(manager)            # ["emails", "reports"]
    serve(manager, storage_from_url("sqlite:///jobs.db"), [AsyncWorker(queues=queues)])

The module's module-level ``JobManager`` keeps everything it was given —
``stall_timeout``, cleanup, health interval, ``logger=``, its scheduler and the
schedules it declares — and gets the worker process's store and workers. A
module that registers its tasks only with ``uno.jobs.task`` gets a plain
manager. ``ValueError`` (one line, what to fix) when there is nothing to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from uno.jobs.manager import JobManager
from uno.jobs.storage.base import JobStorage
from uno.jobs.storage.memory import InMemoryJobStorage
from uno.jobs.tasks import default_registry


def load_app(spec: str) -> JobManager:
    """Import ``module`` or ``module:attribute``; answer its ``JobManager``."""
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    if attribute:
        manager = getattr(module, attribute, None)
        if not isinstance(manager, JobManager):
            raise ValueError(f"{spec!r} is not a JobManager")
        return _with_tasks(manager, spec)
    found = {name: value for name, value in vars(module).items()
             if isinstance(value, JobManager)}
    if len(found) > 1:
        names = ", ".join(sorted(found))
        raise ValueError(f"module {module_name!r} defines several JobManagers ({names}): "
                         f"name one with --app {module_name}:NAME")
    manager = next(iter(found.values()), None) or JobManager(InMemoryJobStorage())
    return _with_tasks(manager, module_name)


def declared_queues(manager: JobManager) -> list[str]:
    """The queues the manager's tasks (its own and ``uno.jobs.task``'s) and its
    schedules send jobs to, sorted."""
    queues = {d.queue for d in manager.tasks.definitions() + default_registry.definitions()}
    schedules = getattr(manager.scheduler, "schedules", {})
    queues.update(entry.queue_name for entry in schedules.values() if entry.queue_name)
    return sorted(queues)


def serve(manager: JobManager, storage: JobStorage, workers: Sequence[Any]) -> JobManager:
    """Point ``manager`` (and its scheduler) at ``storage`` and give it ``workers``
    instead of the ones it was built with."""
    manager.storage = storage
    if manager.scheduler is not None and hasattr(manager.scheduler, "storage"):
        manager.scheduler.storage = storage
    manager.workers = list(workers)
    return manager


def _with_tasks(manager: JobManager, where: str) -> JobManager:
    if not manager.tasks.names() and not default_registry.names():
        raise ValueError(f"module {where!r} registers no tasks")
    return manager


__all__ = ["declared_queues", "load_app", "serve"]
