"""Workers: ``AsyncWorker`` claims jobs from its queues and runs them."""

from uno.jobs.worker.async_worker import AsyncWorker

__all__ = ["AsyncWorker"]
