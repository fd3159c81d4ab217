"""Log correlation: lifecycle records are emitted inside their job's spans (so
they carry its trace and span ids), handler logs belong to the consumer span,
and the lifecycle records reach the logs pipeline even with the root logger at
WARNING, without reaching the console below that level or arriving twice. By
default the pipeline gets one record per attempt outcome; the enqueued and
started records only with ``progress_logs``."""

from __future__ import annotations

import io
import logging
import warnings
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

from .support import PluginCase, register_flaky

app_log = logging.getLogger("tests.plugin.app")


class LogCase(PluginCase):
    root_otel_handler = False  # like OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED=true

    def setUp(self) -> None:
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))
        root = logging.getLogger()
        self.addCleanup(setattr, root, "level", root.level)
        root.setLevel(logging.WARNING)
        self.console = io.StringIO()
        self._add_root_handler(logging.StreamHandler(self.console))
        if self.root_otel_handler:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self._add_root_handler(LoggingHandler(logger_provider=self.logger_provider))
        app_log.setLevel(logging.INFO)
        self.addCleanup(app_log.setLevel, logging.NOTSET)
        super().setUp()

    def _add_root_handler(self, handler: logging.Handler) -> None:
        logging.getLogger().addHandler(handler)
        self.addCleanup(logging.getLogger().removeHandler, handler)

    def instrument(self, **options: Any) -> None:
        super().instrument(logger_provider=self.logger_provider, **options)

    def with_progress_logs(self) -> None:
        """Instrument again with ``progress_logs=True`` (enqueued/started records too)."""
        self.instrumentor.uninstrument()
        self.instrument(progress_logs=True)

    def records(self, event: str | None = None, job_id: str | None = None
                ) -> list[ReadableLogRecord]:
        found = []
        for data in self.log_exporter.get_finished_logs():
            attributes = data.log_record.attributes or {}
            if event is not None and attributes.get("job_event") != event:
                continue
            if job_id is not None and attributes.get("job_id") != job_id:
                continue
            found.append(data)
        return found

    def assert_in_span(self, data: ReadableLogRecord, span: Any) -> None:
        self.assertEqual((data.log_record.trace_id, data.log_record.span_id),
                         (span.context.trace_id, span.context.span_id), data.log_record.body)


class LifecycleLogTests(LogCase):
    async def test_by_default_the_pipeline_gets_one_record_per_attempt_outcome(self) -> None:
        manager = self.manager()
        register_flaky(manager, RuntimeError("once"))

        job = await self.run_job(manager, "flaky")
        first, second = self.consumers("flaky")
        records = self.records(job_id=job.id)
        self.assertEqual([r.log_record.attributes["job_event"] for r in records],
                         ["retrying", "completed"])
        retrying, completed = records
        self.assert_in_span(retrying, first)
        self.assert_in_span(completed, second)
        self.assertEqual(retrying.log_record.severity_text, "WARN")
        self.assertEqual(completed.log_record.severity_text, "INFO")
        for data in records:
            self.assertGreaterEqual(data.log_record.attributes["run_time"], 0.0)
            self.assertGreaterEqual(data.log_record.attributes["wait_time"], 0.0)

    async def test_a_failure_after_every_retry_is_an_error_record(self) -> None:
        manager = self.manager()

        @manager.task(max_retries=1, retry_delay=0)
        async def hopeless() -> None:
            raise ValueError("never")

        job = await self.run_job(manager, "hopeless")
        levels = {r.log_record.attributes["job_event"]: r.log_record.severity_text
                  for r in self.records(job_id=job.id)}
        self.assertEqual(levels, {"retrying": "WARN", "failed": "ERROR"})

    async def test_lifecycle_records_carry_the_producer_and_consumer_span_ids(self) -> None:
        self.with_progress_logs()
        manager = self.manager()
        register_flaky(manager, RuntimeError("once"))

        job = await self.run_job(manager, "flaky")
        first, second = self.consumers("flaky")

        [enqueued] = self.records("enqueued", job.id)
        self.assert_in_span(enqueued, self.producer("flaky"))
        started = self.records("started", job.id)
        self.assertEqual(len(started), 2, "one record per attempt, none duplicated")
        self.assert_in_span(started[0], first)
        self.assert_in_span(started[1], second)
        [retrying] = self.records("retrying", job.id)
        self.assert_in_span(retrying, first)
        [completed] = self.records("completed", job.id)
        self.assert_in_span(completed, second)

    async def test_a_final_failure_record_is_in_the_failed_attempts_span(self) -> None:
        manager = self.manager()

        @manager.task(max_retries=0)
        async def broken() -> None:
            raise ValueError("no")

        job = await self.run_job(manager, "broken")
        [failed] = self.records("failed", job.id)
        self.assert_in_span(failed, self.consumers("broken")[0])
        self.assertEqual(failed.log_record.attributes["error_type"], "ValueError")

    async def test_info_records_reach_the_pipeline_but_not_a_warning_level_console(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        ok = await self.run_job(manager, "ok")
        self.assertEqual(len(self.records("completed", ok.id)), 1)
        self.assertNotIn(f"job {ok.id} completed", self.console.getvalue())

        @manager.task(max_retries=0)
        async def broken() -> None:
            raise ValueError("no")

        job = await self.run_job(manager, "broken")
        self.assertTrue(self.records("failed", job.id))
        console = self.console.getvalue()
        self.assertIn(f"job {job.id} failed", console)
        self.assertNotIn(f"job {job.id} started", console)

    async def test_the_console_gets_info_records_once_the_root_logger_allows_them(self) -> None:
        logging.getLogger().setLevel(logging.INFO)
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        self.assertIn(f"job {job.id} started", self.console.getvalue())
        self.assertIn(f"job {job.id} completed", self.console.getvalue())
        self.assertEqual(len(self.records("completed", job.id)), 1)
        self.assertEqual(self.records("started", job.id), [], "progress records: opt-in")

    def test_uninstrument_restores_the_uno_jobs_logger(self) -> None:
        logger = logging.getLogger("uno.jobs")
        self.assertEqual((logger.level, logger.propagate), (logging.INFO, False))
        self.instrumentor.uninstrument()
        self.assertEqual((logger.level, logger.propagate), (logging.NOTSET, True))
        self.assertEqual([h for h in logger.handlers if "LogBridge" in type(h).__name__], [])

    async def test_a_logger_the_application_configured_is_left_as_it_is(self) -> None:
        self.instrumentor.uninstrument()
        logger = logging.getLogger("uno.jobs")
        logger.setLevel(logging.DEBUG)
        self.addCleanup(logger.setLevel, logging.NOTSET)
        self.instrument()
        self.assertEqual((logger.level, logger.propagate), (logging.DEBUG, True))

        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        self.assertEqual(len(self.records("completed", job.id)), 1)

    async def test_progress_logs_add_the_enqueued_and_started_records(self) -> None:
        self.with_progress_logs()
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        self.assertEqual([r.log_record.attributes["job_event"]
                          for r in self.records(job_id=job.id)],
                         ["enqueued", "started", "completed"])
        self.assertNotIn("started", self.console.getvalue())


class HandlerLogTests(LogCase):
    root_otel_handler = True

    async def test_async_and_thread_handler_logs_belong_to_the_consumer_span(self) -> None:
        manager = self.manager()

        @manager.task(max_retries=0)
        async def async_handler() -> None:
            app_log.info("from the async handler")

        @manager.task(max_retries=0)
        def thread_handler() -> None:
            app_log.info("from the thread handler")

        await self.run_job(manager, "async_handler")
        await self.run_job(manager, "thread_handler")

        for task in ("async_handler", "thread_handler"):
            [span] = self.consumers(task)
            [data] = [d for d in self.log_exporter.get_finished_logs()
                      if d.log_record.body == f"from the {task.split('_')[0]} handler"]
            self.assert_in_span(data, span)

    async def test_with_a_root_pipeline_handler_records_arrive_once(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        self.assertEqual([r.log_record.attributes["job_event"]
                          for r in self.records(job_id=job.id)], ["completed"])
        self.with_progress_logs()
        job = await self.run_job(manager, "ok")
        for event in ("enqueued", "started", "completed"):
            self.assertEqual(len(self.records(event, job.id)), 1, event)
        self.assertNotIn("started", self.console.getvalue())


class NoPipelineTests(PluginCase):
    def test_without_a_logs_pipeline_the_uno_jobs_logger_is_untouched(self) -> None:
        logger = logging.getLogger("uno.jobs")
        self.assertEqual((logger.level, logger.propagate), (logging.NOTSET, True))
