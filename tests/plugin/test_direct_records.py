"""The outcome record that only the logs pipeline would receive goes to it
straight through the logs API (no ``logging`` record): the pipeline gets the
same record as through the SDK handler, exactly once, and whenever anything
else could receive the record (the application configured the logger, a
console at INFO, a filter or formatter on the pipeline handler, a custom
record factory, instrumentation suppressed) the ``logging`` record is made
and delivered as before."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation

from uno.jobs import job_event_log

from .test_logs import LogCase


class _Counting(logging.Filter):
    def __init__(self, keep: bool = True) -> None:
        super().__init__()
        self.keep, self.seen = keep, 0

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "job_event", None) == "completed":
            self.seen += 1
        return self.keep


class DirectRecordTests(LogCase):
    root_otel_handler = True  # as zero code sets it up

    def pipeline_handler(self) -> logging.Handler:
        [handler] = [h for h in logging.getLogger().handlers
                     if type(h).__name__ == "LoggingHandler"]
        return handler

    def count_logging_records(self) -> list[str]:
        """The events of the logging records made on ``uno.jobs`` from now on."""
        logger, made = logging.getLogger("uno.jobs"), []
        make = logger.makeRecord

        def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            made.append(getattr(record, "job_event", ""))
            return record

        logger.makeRecord = counting  # type: ignore[method-assign]
        self.addCleanup(delattr, logger, "makeRecord")
        return made

    async def completed(self) -> tuple[Any, Any]:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        records = self.records("completed", job.id)
        self.assertEqual(len(records), 1, "exactly one completed record in the pipeline")
        return job, records[0].log_record

    async def test_the_direct_record_is_the_one_the_sdk_handler_makes(self) -> None:
        made = self.count_logging_records()
        job, direct = await self.completed()
        self.assertNotIn("completed", made, "no logging record was made")
        job_event_log.set_record_sink(None)  # the logging record, through the SDK handler
        _, handled = await self.completed()
        self.assertIn("completed", made)
        self.assertEqual(direct.body, f"job {job.id} completed (ok, queue default) in "
                                      f"{direct.attributes['run_time']:.3f} s after waiting "
                                      f"{direct.attributes['wait_time']:.3f} s")
        self.assertEqual(list(direct.attributes), list(handled.attributes))
        for key in ("code.file.path", "code.function.name", "code.line.number",
                    "task_name", "queue_name", "job_status", "retry_count", "job_event"):
            self.assertEqual(direct.attributes.get(key), handled.attributes.get(key), key)
        self.assertEqual((direct.severity_text, direct.severity_number),
                         (handled.severity_text, handled.severity_number))
        self.assert_in_span(self.records("completed", job.id)[0], self.consumers("ok")[0])

    async def test_a_console_at_info_gets_the_logging_record_and_the_pipeline_one(self) -> None:
        logging.getLogger().setLevel(logging.INFO)
        job, _ = await self.completed()
        self.assertEqual(self.console.getvalue().count(f"job {job.id} completed"), 1)

    async def test_a_logger_the_application_configured_decides(self) -> None:
        self.instrumentor.uninstrument()
        logger = logging.getLogger("uno.jobs")
        logger.setLevel(logging.INFO)
        self.addCleanup(logger.setLevel, logging.NOTSET)
        self.instrument()
        job, _ = await self.completed()
        self.assertEqual(self.console.getvalue().count(f"job {job.id} completed"), 1)

    async def test_a_filter_on_the_pipeline_handler_still_applies(self) -> None:
        dropping = _Counting(keep=False)
        self.pipeline_handler().addFilter(dropping)
        self.addCleanup(self.pipeline_handler().removeFilter, dropping)
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        self.assertEqual((dropping.seen, self.records("completed", job.id)), (1, []))

    async def test_a_custom_record_factory_keeps_its_attributes(self) -> None:
        original = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = original(*args, **kwargs)
            record.deployment = "blue"
            return record

        logging.setLogRecordFactory(factory)
        self.addCleanup(logging.setLogRecordFactory, original)
        _, record = await self.completed()
        self.assertEqual(record.attributes["deployment"], "blue")

    async def test_suppressed_instrumentation_delivers_once_as_before(self) -> None:
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        with suppress_instrumentation():  # the worker's tasks inherit it
            async with manager:
                job_id = (await manager.enqueue("ok")).value
                await manager.wait_for_job(job_id, timeout=5)
        self.assertEqual(len(self.records("completed", job_id)), 1)
