"""Celery with a real worker, in this process: the reference for the overhead benchmark.

    celery = CeleryLoad.start()            # memory broker, a worker thread (solo pool)
    seconds = celery.run(2000)             # CPU seconds for 2000 no-op tasks, sent and run
    celery.stop()

Needs ``pip install celery opentelemetry-instrumentation-celery`` (for the
benchmark only, not a project dependency). What it measures, per task: a
``delay()`` from the calling thread (the producer side: ``before/after_task_publish``,
the PRODUCER span and the injection into the message headers when
``CeleryInstrumentor`` is on), the publish through kombu's in-memory transport,
the worker's consume, prefetch and ack path, and the task run by Celery's own
tracer (``task_prerun/postrun``: the CONSUMER span with its extracted parent and
the ``flower.task.runtime.seconds`` histogram point). The worker is Celery's
own ``WorkController`` as ``celery.contrib.testing.worker`` runs it (the way
CeleryInstrumentor's tests run one), solo pool, in a thread, with Celery's
defaults: ``worker_prefetch_multiplier`` 4 and the ``celery`` loggers at
WARNING (``celery worker``'s default ``--loglevel``), so a task makes no log
record. At ``log_level=logging.INFO`` (``--loglevel=INFO``) each task makes two
("received", "succeeded"), which reach the root logger's OpenTelemetry handler
here; under a real ``opentelemetry-instrument celery worker`` they do not, as
the worker hijacks the root logger (``worker_hijack_root_logger``, on by default)
and so removes that handler. Either way they are made with or without
``CeleryInstrumentor``: they add to Celery's own cost, not to what its
instrumentation adds (measured: within the runs' spread). The benchmark's root
logger is left alone here (no hijack) so that ours keeps its handler.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from celery import Celery
from celery.contrib.testing.worker import TestWorkController

POLLING_INTERVAL = 0.05  # the memory transport's sleep when its queue is empty


class _Countdown:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._left = 0
        self.done = threading.Event()

    def arm(self, n: int) -> None:
        with self._lock:
            self._left = n
            self.done.clear()

    def tick(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left == 0:
                self.done.set()


@dataclass
class CeleryLoad:
    app: Celery
    task: Any
    worker: Any
    thread: threading.Thread
    countdown: _Countdown

    @classmethod
    def start(cls, log_level: int = logging.WARNING, prefetch: int = 4,
              queue: str = "overhead") -> CeleryLoad:
        """``log_level``: the level of the ``celery`` loggers (``celery worker``'s
        ``--loglevel``, WARNING by default; at INFO each task makes two records);
        ``prefetch``: ``worker_prefetch_multiplier`` (Celery's default 4)."""
        logging.getLogger("celery").setLevel(log_level)
        app = Celery(queue, broker="memory://", set_as_current=False)
        app.conf.update(broker_transport_options={"polling_interval": POLLING_INTERVAL},
                        worker_hijack_root_logger=False, task_ignore_result=True,
                        worker_prefetch_multiplier=prefetch, task_default_queue=queue)
        countdown = _Countdown()

        @app.task(name=f"noop.{queue}", ignore_result=True)
        def noop() -> None:
            countdown.tick()

        app.finalize()
        worker = TestWorkController(app=app, concurrency=1, pool="solo", loglevel=log_level,
                                    logfile=None, ready_callback=None, without_heartbeat=True,
                                    without_mingle=True, without_gossip=True,
                                    hostname="overhead@localhost")
        thread = threading.Thread(target=worker.start, daemon=True, name="celery-worker")
        thread.start()
        worker.ensure_started()
        return cls(app, noop, worker, thread, countdown)

    def run(self, tasks: int, timeout: float = 120.0) -> float:
        """CPU seconds (all threads) from the first ``delay()`` to the last task run."""
        self.countdown.arm(tasks)
        started = time.process_time()
        for _ in range(tasks):
            self.task.delay()
        if not self.countdown.done.wait(timeout):
            raise TimeoutError(f"celery ran fewer than {tasks} tasks in {timeout} s")
        return time.process_time() - started

    def stop(self) -> None:
        self.worker.stop(in_sighandler=False)
        self.thread.join(10)
