"""The server drops the worker processes' connections mid-run
(``pg_terminate_backend`` on PostgreSQL, ``CLIENT KILL`` on Redis): the workers
reconnect and every job completes, none twice."""

from __future__ import annotations

import signal

from .support import StoreCase, eventually


class ConnectionLossCase(StoreCase):
    """Run by the subclasses, one per server store (never collected itself)."""

    __test__ = False

    async def test_killed_connections_lose_no_job_and_run_none_twice(self) -> None:
        # a job whose completion could not be recorded is failed as stalled and retried
        # by the workers' own sweep (the app's manager: 2 s stall timeout)
        workers = [self.spawn_worker(concurrency=10) for _ in range(2)]
        labels = [f"job-{n:03d}" for n in range(600)]
        await self.enqueue_marks(labels, seconds=0.02)
        killed = 0
        for threshold in (100, 300):
            await eventually(lambda t=threshold: sum(self.marks().runs("done").values()) >= t,
                             timeout=30, what=f"{threshold} jobs to run")
            killed += sum(self.namespace.kill_connections_of(proc.pid) for proc in workers)
        self.assertGreater(killed, 0, "no worker connection was found to kill")
        await self.wait_completed(len(labels), timeout=60)
        for proc in workers:
            self.assertIsNone(proc.poll(), self.output(proc))
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            self.assert_exits_cleanly(proc)
        await self.assert_each_completed_once(labels)


class PostgresConnectionLossTests(ConnectionLossCase):
    __test__ = True
    store_kind = "postgres"


class RedisConnectionLossTests(ConnectionLossCase):
    __test__ = True
    store_kind = "redis"
