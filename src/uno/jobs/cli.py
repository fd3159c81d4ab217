"""The worker process and other commands.

    python -m uno.jobs worker --storage sqlite:///jobs.db --app myapp.tasks \\
        [--queues emails,default] [--concurrency 20]
    python -m uno.jobs worker --storage postgresql://app@db.internal:5432/app --app myapp.tasks

``--app`` names a module that registers tasks: on a module-level ``JobManager``
(``@manager.task``) or with ``uno.jobs.task``. The worker runs those tasks
against ``--storage`` until SIGTERM or SIGINT, then finishes in-flight jobs
(within ``--shutdown-timeout``) and exits 0.

    python -m uno.jobs status --storage sqlite:///jobs.db [--json]

prints the store's queues by status, the workers holding jobs and each queue's
health (see :mod:`uno.jobs.status`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
from collections.abc import Sequence

from uno.jobs.errors import StorageUnavailableError
from uno.jobs.manager import JobManager
from uno.jobs.storage.url import SUPPORTED, storage_from_url
from uno.jobs.worker import AsyncWorker


def load_app(module_name: str, manager: JobManager) -> int:
    """Import ``module_name`` and copy the tasks of its module-level managers
    onto ``manager``; return how many tasks ``manager`` can run."""
    module = importlib.import_module(module_name)
    for value in vars(module).values():
        if isinstance(value, JobManager) and value is not manager:
            for definition in value.tasks.definitions():
                manager.tasks.register(definition)
    from uno.jobs.tasks import default_registry

    return len(set(manager.tasks.names()) | set(default_registry.names()))


async def run_worker(args: argparse.Namespace) -> int:
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    worker = AsyncWorker(queues=queues, concurrency=args.concurrency,
                         name=args.name, shutdown_timeout=args.shutdown_timeout)
    manager = JobManager(storage=storage_from_url(args.storage), workers=[worker])
    if load_app(args.app, manager) == 0:
        print(f"error: module {args.app!r} registers no tasks", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not await open_when_reachable(manager, stop):
        return 0
    async with manager:
        manager.logger.info("worker process serving queues %s", ",".join(queues))
        await stop.wait()
        manager.logger.info("shutting down: finishing in-flight jobs")
    await manager.storage.close()
    return 0


async def open_when_reachable(manager: JobManager, stop: asyncio.Event) -> bool:
    """Open the store, retrying with backoff (0.5 s doubling to 30 s) while it
    is unavailable (a worker may start before its database); False if stopped first."""
    delay = 0.5
    while True:
        try:
            await manager.storage.open()
            return True
        except StorageUnavailableError as exc:
            manager.logger.warning("%s; retrying in %.1fs", exc, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, 30.0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m uno.jobs")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run workers until SIGTERM/SIGINT")
    worker.add_argument("--storage", required=True, help=SUPPORTED)
    worker.add_argument("--app", required=True, help="module that registers the tasks")
    worker.add_argument("--queues", default="default", help="comma-separated (default: default)")
    worker.add_argument("--concurrency", type=_positive_int, default=10)
    worker.add_argument("--name", default=None, help="worker name (default: worker-N)")
    worker.add_argument("--shutdown-timeout", type=float, default=30.0)
    worker.add_argument("--log-level", default="INFO")
    status = commands.add_parser("status", help="queues by status, workers and health")
    status.add_argument("--storage", required=True, help=SUPPORTED)
    status.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "status":
        from uno.jobs.status import main as status_main

        return status_main(args.storage, as_json=args.json)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.path.insert(0, "")
    try:
        return asyncio.run(run_worker(args))
    except (ValueError, ModuleNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
