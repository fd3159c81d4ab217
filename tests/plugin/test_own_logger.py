"""A manager given its own ``logger=`` gets its lifecycle records into the
OpenTelemetry logs pipeline, like the default ``uno.jobs`` logger does, with
the root logger left at WARNING and without the console seeing INFO records."""

from __future__ import annotations

import logging

from .test_logs import LogCase


class OwnLoggerTests(LogCase):
    def own_logger(self, name: str) -> logging.Logger:
        logger = logging.getLogger(name)
        self.addCleanup(setattr, logger, "level", logger.level)
        self.addCleanup(setattr, logger, "propagate", logger.propagate)
        return logger

    async def test_lifecycle_records_on_the_managers_own_logger_reach_the_pipeline(self) -> None:
        manager = self.manager(logger=self.own_logger("myapp.jobs"))
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        [completed] = self.records(job_id=job.id)  # by default: the outcome only
        self.assertEqual(completed.log_record.attributes["job_event"], "completed")
        self.assertEqual(completed.instrumentation_scope.name, "myapp.jobs")
        self.assert_in_span(completed, self.consumers("ok")[0])
        self.assertNotIn(f"job {job.id} completed", self.console.getvalue())

    async def test_with_progress_logs_every_record_of_the_own_logger_arrives(self) -> None:
        self.with_progress_logs()
        manager = self.manager(logger=self.own_logger("myapp.jobs"))
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        for event in ("enqueued", "started", "completed"):
            [record] = self.records(event, job.id)
            self.assertEqual(record.instrumentation_scope.name, "myapp.jobs")
        self.assertNotIn(f"job {job.id} started", self.console.getvalue())

    async def test_a_producer_with_its_own_logger_bridges_its_enqueue_records(self) -> None:
        self.with_progress_logs()
        producer = self.manager(logger=self.own_logger("myapp.producer"), workers=[])
        producer.register_task("ok", lambda: 1)
        job_id = (await producer.enqueue("ok")).value
        [enqueued] = self.records("enqueued", job_id)
        self.assert_in_span(enqueued, self.producer("ok"))

    async def test_uninstrument_restores_the_managers_own_logger(self) -> None:
        logger = self.own_logger("myapp.restored")
        manager = self.manager(logger=logger)
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        self.instrumentor.uninstrument()
        self.assertEqual((logger.level, logger.propagate), (logging.NOTSET, True))
        self.assertEqual([h for h in logger.handlers if "LogBridge" in type(h).__name__], [])

    async def test_a_logger_under_uno_jobs_is_not_bridged_twice(self) -> None:
        self.with_progress_logs()
        manager = self.manager(logger=self.own_logger("uno.jobs.billing"))
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        for event in ("enqueued", "started", "completed"):
            self.assertEqual(len(self.records(event, job.id)), 1, event)
