"""A producer process for the cross-process zero-code test.

    python -m tests.stores.apps.producer STORAGE_URL JOBS HELD

Enqueues JOBS ``mark`` jobs (queue ``default``) and HELD ``held`` jobs on the
store with a never-started ``JobManager`` (the app's tasks), prints their ids
as one JSON object and exits: the jobs run in whichever process runs workers.
"""

from __future__ import annotations

import asyncio
import json
import sys

from uno.jobs import JobManager
from uno.jobs.storage.url import storage_from_url

from . import tasks


async def main(url: str, jobs: int, held: int) -> None:
    producer = JobManager(storage_from_url(url))
    for definition in tasks.manager.tasks.definitions():
        producer.tasks.register(definition)
    enqueued = {
        "mark": [(await producer.enqueue("mark", args=[f"traced-{n}"])).unwrap()
                 for n in range(jobs)],
        "held": [(await producer.enqueue("held", args=[f"held-{n}"])).unwrap()
                 for n in range(held)],
    }
    await producer.storage.close()
    print(json.dumps(enqueued), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
