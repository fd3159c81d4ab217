"""Lifecycle events are logged on the manager's logger (``uno.jobs`` unless
another is given): job enqueued, started, completed, failed, retried,
cancelled; worker started/stopped; schedule triggered, job created."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from uno.jobs import IntervalSchedule, Scheduler

from .support import RuntimeCase, eventually, fast_worker


class LoggingTests(RuntimeCase):
    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        self.worker = fast_worker(name="logw")
        self.m = self.manager(workers=[self.worker])
        self.m.register_task("ok", lambda: "fine")
        self.m.register_task("bad", self._raise, max_retries=1, retry_delay=0)

    @staticmethod
    def _raise() -> None:
        raise ValueError("broken input")

    def events(self, logs) -> dict[str, logging.LogRecord]:
        return {r.job_event: r for r in logs.records if hasattr(r, "job_event")}

    async def test_successful_job_logs_enqueued_started_completed(self) -> None:
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            async with self.m:
                job_id = await self.enqueue_ok(self.m, "ok")
                await self.finished(self.m, job_id)
        events = self.events(logs)
        self.assertEqual(list(events), ["enqueued", "started", "completed"])
        for record in events.values():
            self.assertEqual((record.job_id, record.task_name, record.queue_name),
                             (job_id, "ok", "default"))
            self.assertEqual(record.levelno, logging.INFO)
            self.assertIn(f"job {job_id} {record.job_event} (ok, queue default)",
                          record.getMessage())
        self.assertEqual(events["completed"].job_status, "completed")

    async def test_the_completed_record_carries_the_wait_and_run_time(self) -> None:
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            async with self.m:
                await self.finished(self.m, await self.enqueue_ok(self.m, "ok"))
        completed = self.events(logs)["completed"]
        self.assertGreaterEqual(completed.wait_time, 0.0)
        self.assertGreaterEqual(completed.run_time, 0.0)
        self.assertIn(f"in {completed.run_time:.3f} s after waiting {completed.wait_time:.3f} s",
                      completed.getMessage())

    async def test_failing_job_logs_retried_then_failed_with_the_error(self) -> None:
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            async with self.m:
                job_id = await self.enqueue_ok(self.m, "bad")
                await self.finished(self.m, job_id)
        records = [r for r in logs.records if getattr(r, "job_event", None) in
                   ("retrying", "failed")]
        self.assertEqual([r.job_event for r in records], ["retrying", "failed"])
        # a retry is a warning; failing for good after using every retry is an error
        self.assertEqual([r.levelno for r in records], [logging.WARNING, logging.ERROR])
        for record in records:
            self.assertEqual(record.error_type, "ValueError")
            self.assertIn("ValueError: broken input", record.getMessage())
            self.assertGreaterEqual(record.run_time, 0.0)
        self.assertEqual([r.retry_count for r in records], [1, 1])
        self.assertEqual(records[1].job_status, "failed")

    async def test_timeout_and_cancel_are_logged(self) -> None:
        async def sleepy() -> None:
            await asyncio.sleep(5)

        self.m.register_task("sleepy", sleepy)
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            cancelled = await self.enqueue_ok(self.m, "ok")
            await self.m.cancel_job(cancelled)
            async with self.m:
                await self.finished(self.m, await self.enqueue_ok(self.m, "sleepy", timeout=0.05))
        events = self.events(logs)
        self.assertEqual(events["cancelled"].job_id, cancelled)
        self.assertIn("JobTimeoutError", events["timed out"].getMessage())
        self.assertEqual(events["timed out"].levelno, logging.WARNING)

    async def test_worker_start_and_stop_are_logged(self) -> None:
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            async with self.m:
                pass
        messages = [r.getMessage() for r in logs.records]
        self.assertIn("worker logw started on queues default", messages)
        self.assertIn("worker logw stopped after 0 job(s)", messages)
        self.assertTrue(all(r.worker == "logw" for r in logs.records if "worker logw" in
                            r.getMessage()))

    async def test_schedule_trigger_and_created_job_are_logged(self) -> None:
        m = self.manager(scheduler=Scheduler(self.storage))
        m.register_task("tick", lambda: None)
        await m.scheduler.add_schedule("beat", "tick", IntervalSchedule(seconds=0.1))
        with self.assertLogs("uno.jobs", logging.INFO) as logs:
            async with m:
                await eventually(lambda: m.scheduler.schedules["beat"].run_count >= 1,
                                 what="a scheduled run")
        messages = [r.getMessage() for r in logs.records]
        self.assertIn("schedule beat triggered", messages)
        created = [r for r in logs.records if r.getMessage().startswith("schedule beat created")]
        self.assertTrue(created, messages)
        self.assertTrue(created[0].job_id.startswith("schedule:beat:"))

    async def test_events_go_to_the_logger_the_manager_was_given(self) -> None:
        custom = logging.getLogger("myapp.jobs")
        m = self.manager(workers=[fast_worker()], logger=custom,
                         stall_timeout=timedelta(seconds=30))
        m.register_task("ok", lambda: "fine")
        self.assertIs(m.logger, custom)
        with self.assertLogs("myapp.jobs", logging.INFO) as logs, \
                self.assertNoLogs("uno.jobs", logging.INFO):
            async with m:
                await self.finished(m, await self.enqueue_ok(m, "ok"))
        self.assertEqual([r.job_event for r in logs.records if hasattr(r, "job_event")],
                         ["enqueued", "started", "completed"])

    async def test_args_and_results_are_never_logged(self) -> None:
        self.m.register_task("secret", lambda password: f"token-for-{password}")
        with self.assertLogs("uno.jobs", logging.DEBUG) as logs:
            async with self.m:
                await self.finished(self.m, await self.enqueue_ok(
                    self.m, "secret", kwargs={"password": "hunter2"}))
        self.assertFalse([line for line in logs.output if "hunter2" in line])
