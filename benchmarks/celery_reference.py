"""Celery with a real worker, in this process: the reference for the overhead benchmark.

    celery = CeleryLoad.start()            # memory broker, a worker thread (solo pool)
    seconds = celery.run(2000)             # CPU seconds for 2000 no-op tasks, sent and run
    celery.stop()

Needs ``pip install celery opentelemetry-instrumentation-celery`` (for the
benchmark only, not a project dependency). The worker is Celery's own
``WorkController`` as ``celery.contrib.testing.worker`` runs it (the way
CeleryInstrumentor's tests run one), in a thread, consuming from the
in-memory kombu transport; tasks are sent with ``delay()`` from the calling
thread, so both the producer side (``before/after_task_publish``) and the
worker side (``task_prerun/postrun``) run, and are instrumented when
``CeleryInstrumentor`` is. Celery's logging is left alone (no root-logger
hijack), so the root logger keeps the benchmark's OpenTelemetry handler.
"""

from __future__ import annotations

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
    def start(cls) -> CeleryLoad:
        app = Celery("overhead", broker="memory://", set_as_current=False)
        app.conf.update(broker_transport_options={"polling_interval": POLLING_INTERVAL},
                        worker_hijack_root_logger=False, task_ignore_result=True,
                        worker_prefetch_multiplier=64)
        countdown = _Countdown()

        @app.task(name="noop", ignore_result=True)
        def noop() -> None:
            countdown.tick()

        app.finalize()
        worker = TestWorkController(app=app, concurrency=1, pool="solo", loglevel="ERROR",
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
