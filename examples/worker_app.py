"""The tasks of the producer/worker example, and the worker process that runs them.

    python -m uno.jobs worker --storage sqlite:///jobs.db --app examples.worker_app \\
        --queues images --concurrency 4

Run it from the repository root (``--app`` is imported as a module), beside
``python examples/producer.py --storage sqlite:///jobs.db``, which enqueues into
the same SQLite file and waits for the results. Under ``opentelemetry-instrument``
(see ``examples/zero_code.sh``) each job's ``process resize_image`` span, here,
joins the ``enqueue resize_image`` span of the producer process in one trace:
the trace context travels in the job's metadata. The worker stops on Ctrl-C or
SIGTERM after its in-flight jobs finish.

Tasks are registered with ``uno.jobs.task`` (the process-wide registry), so the
producer registers the same definitions by importing this module.
"""

from __future__ import annotations

import asyncio
import logging
import os

from uno.jobs import task

logger = logging.getLogger("examples.worker_app")


@task(queue="images", max_retries=2, retry_delay=0.5)
async def resize_image(image_id: str, width: int = 640) -> dict[str, object]:
    """Pretend to resize an image; the log record carries the job's trace id."""
    await asyncio.sleep(0.05)
    logger.info("resized %s to %dpx", image_id, width)
    return {"image_id": image_id, "width": width, "worker_pid": os.getpid()}
