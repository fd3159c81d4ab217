"""The worker process and other commands.

    python -m uno.jobs worker --storage sqlite:///jobs.db --app myapp.tasks \\
        [--queues emails,default] [--concurrency 20]
    python -m uno.jobs worker --storage postgresql://app@db.internal:5432/app --app myapp.tasks

``--app`` names a module (``module:attribute`` picks one of several managers)
that registers tasks: on a module-level ``JobManager`` (``@manager.task``) or
with ``uno.jobs.task``. The process runs that manager as the app configured it
(``stall_timeout``, cleanup, ``logger=``, its scheduler and schedules) with the
store ``--storage`` names and workers on ``--queues`` (default: every queue the
app's tasks declare), until SIGTERM or SIGINT, then finishes in-flight jobs
(within ``--shutdown-timeout``) and exits 0. A store that cannot be opened, a
bad ``--log-level`` or an app with no tasks: one ``error:`` line, exit 2.

    python -m uno.jobs status --storage sqlite:///jobs.db [--json]

prints the store's queues by status, the workers holding jobs and each queue's
health (see :mod:`uno.jobs.status`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Sequence

from uno.jobs.errors import StorageError
from uno.jobs.manager import JobManager
from uno.jobs.storage.url import SUPPORTED, storage_from_url
from uno.jobs.worker import AsyncWorker
from uno.jobs.worker_app import declared_queues, load_app, serve

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


async def run_worker(args: argparse.Namespace, manager: JobManager) -> int:
    queues = [q.strip() for q in (args.queues or "").split(",") if q.strip()]
    queues = queues or declared_queues(manager) or ["default"]
    worker = AsyncWorker(queues=queues, concurrency=args.concurrency,
                         name=args.name, shutdown_timeout=args.shutdown_timeout)
    serve(manager, storage_from_url(args.storage), [worker])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with manager:
            freeze_startup_objects()
            manager.logger.info("worker process serving queues %s", ",".join(queues))
            await stop.wait()
            manager.logger.info("shutting down: finishing in-flight jobs")
    finally:
        await manager.storage.close()
    return 0


def freeze_startup_objects() -> None:
    """Collect once, then move every object alive now (imported modules, the app,
    the OpenTelemetry SDK and exporters: ~70k objects) out of the collector's
    generations. A full collection then walks only what was made since: under
    zero-code telemetry at 100 jobs/s, full collections paused the event loop
    for 45-60 ms (45-200 ms on a loaded machine) every 15-30 s, delaying every
    job due meanwhile; once frozen, none took over 5 ms."""
    gc.collect()
    gc.freeze()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m uno.jobs")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run workers until SIGTERM/SIGINT")
    worker.add_argument("--storage", required=True, help=SUPPORTED)
    worker.add_argument("--app", required=True, help="module that registers the tasks")
    worker.add_argument("--queues", default=None,
                        help="comma-separated (default: every queue the app's tasks declare)")
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
    level = args.log_level.upper()
    if level not in LOG_LEVELS:
        print(f"error: --log-level {args.log_level} is not a level: use "
              f"{', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}", file=sys.stderr)
        return 2
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.path.insert(0, "")
    try:
        manager = load_app(args.app)  # outside the loop: the app may build its own
        return asyncio.run(run_worker(args, manager))
    except (ValueError, ModuleNotFoundError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
