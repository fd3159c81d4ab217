"""The instrumentor's life cycle: entry points, the manual path's dependency
check, managers created (or started) before ``instrument()``, ``uninstrument()``,
instrumenting twice, the disabled list and suppression, options from the
environment, and wrappers that never break or change the runtime."""

from __future__ import annotations

import importlib.metadata
import logging
import os
from unittest import mock

from opentelemetry.instrumentation.auto_instrumentation import _load
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
from opentelemetry.instrumentation.distro import DefaultDistro
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor, environment_variables
from opentelemetry.instrumentation.uno_jobs.config import OPTION_NAMES, UnoJobsConfig
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind

from uno.jobs import JobManager, JobStatus
from uno.jobs.job import utcnow
from uno.jobs.manager import JobManager as ManagerClass
from uno.jobs.result import Result

from .support import PluginCase, fast_worker, key

ORIGINAL_ENQUEUE = ManagerClass.__dict__["enqueue"]


def redact_everything(name: str, value: object) -> str:
    return "<redacted>"


class EntryPointTests(PluginCase):
    def test_the_entry_points_name_the_instrumentor_and_its_environment_variables(self) -> None:
        [instrumentor] = importlib.metadata.entry_points(group="opentelemetry_instrumentor",
                                                         name="uno_jobs")
        self.assertIs(instrumentor.load(), UnoJobsInstrumentor)
        [variables] = importlib.metadata.entry_points(
            group="opentelemetry_environment_variables", name="uno_jobs")
        self.assertIs(variables.load(), environment_variables)

    def test_every_option_has_an_environment_variable(self) -> None:
        names = {n for n in dir(environment_variables) if n.startswith("OTEL_")}
        expected = {f"OTEL_PYTHON_UNO_JOBS_{o.upper()}" for o in OPTION_NAMES - {"redact"}}
        self.assertEqual(names, expected | {"OTEL_PYTHON_UNO_JOBS_REDACT_HOOK"})

    def test_the_manual_path_finds_its_distribution(self) -> None:
        self.assertIsNone(get_dependency_conflicts(
            self.instrumentor.instrumentation_dependencies()))
        self.assertTrue(self.instrumentor.is_instrumented_by_opentelemetry)
        self.assertIsNot(ManagerClass.__dict__["enqueue"], ORIGINAL_ENQUEUE)


class ConfigTests(PluginCase):
    def test_options_come_from_the_environment_and_keywords_win(self) -> None:
        environ = {"OTEL_PYTHON_UNO_JOBS_USE_SPAN_LINKS": "true",
                   "OTEL_PYTHON_UNO_JOBS_CAPTURE_MAX_LENGTH": "64",
                   "OTEL_PYTHON_UNO_JOBS_HEALTH_CHECK_INTERVAL": "2.5",
                   "OTEL_PYTHON_UNO_JOBS_SEMCONV_MODE": "Legacy",
                   "OTEL_PYTHON_UNO_JOBS_REDACT_HOOK": f"{__name__}:redact_everything"}
        config = UnoJobsConfig.from_options({"capture_max_length": 128}, environ)
        self.assertEqual((config.use_span_links, config.capture_max_length,
                          config.health_check_interval, config.semconv_mode),
                         (True, 128, 2.5, "legacy"))
        self.assertIs(config.redact, redact_everything)

    def test_a_bad_value_logs_a_warning_and_keeps_the_default(self) -> None:
        environ = {"OTEL_PYTHON_UNO_JOBS_CAPTURE_ARGS": "maybe",
                   "OTEL_PYTHON_UNO_JOBS_COLLECTION_INTERVAL": "-1",
                   "OTEL_PYTHON_UNO_JOBS_REDACT_HOOK": "no.such.module:hook",
                   "OTEL_PYTHON_UNO_JOBS_SEMCONV_MODE": "newest"}
        with self.assertLogs("opentelemetry.instrumentation.uno_jobs.config", "WARNING") as logs:
            config = UnoJobsConfig.from_options({"stall_timeout": "soon"}, environ)
        self.assertEqual(config, UnoJobsConfig())
        self.assertEqual(len(logs.records), 5)


class LifecycleTests(PluginCase):
    async def test_uninstrument_restores_every_method_and_stops_recording(self) -> None:
        self.instrumentor.uninstrument()
        self.assertIs(ManagerClass.__dict__["enqueue"], ORIGINAL_ENQUEUE)
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        job = await self.run_job(manager, "ok")
        self.assertIs(job.status, JobStatus.COMPLETED)
        self.assertNotIn("traceparent", job.metadata)
        self.assertEqual(self.spans(), [])
        self.assertNotIn("uno_jobs.job_completed", self.points())

    async def test_instrumenting_twice_does_not_double_spans_or_counts(self) -> None:
        self.instrument()
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await self.run_job(manager, "ok")
        self.assertEqual(len(self.spans(SpanKind.PRODUCER)), 1)
        self.assertEqual(len(self.spans(SpanKind.CONSUMER)), 1)
        self.assertEqual(self.points()["uno_jobs.job_enqueued"][
            key(queue="default", task="ok", priority="NORMAL")].value, 1)

    async def test_a_manager_created_before_instrument_is_instrumented(self) -> None:
        self.instrumentor.uninstrument()
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        self.instrument()
        await self.run_job(manager, "ok")
        self.assertEqual(len(self.consumers("ok")), 1)
        self.assertIsNotNone(self.instrumentor.monitoring_of(manager))

    async def test_a_manager_started_before_instrument_gets_its_monitoring(self) -> None:
        self.instrumentor.uninstrument()
        manager = self.manager()
        manager.register_task("ok", lambda: 1)
        await manager.start()
        self.instrument()
        await self.run_job(manager, "ok")
        await self.eventually(lambda: self.instrumentor.monitoring_of(manager) is not None,
                              what="the monitoring of an adopted manager")
        await manager.stop()
        self.assertIsNone(self.instrumentor.monitoring_of(manager))

    async def test_suppressed_instrumentation_records_nothing(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        with suppress_instrumentation():
            result = await manager.enqueue("ok")
        job = (await manager.get_job(result.value)).value
        self.assertNotIn("traceparent", job.metadata)
        self.assertEqual(self.spans(), [])
        self.assertNotIn("uno_jobs.job_enqueued", self.points())

    def test_the_disabled_instrumentations_variable_skips_the_plugin(self) -> None:
        self.instrumentor.uninstrument()
        others = [ep.name for ep in importlib.metadata.entry_points(
            group="opentelemetry_instrumentor") if ep.name != "uno_jobs"]
        for disabled, expected in ((["uno_jobs", *others], False), (others, True)):
            with mock.patch.dict(os.environ, {
                    "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": ",".join(disabled)}):
                _load._load_instrumentors(DefaultDistro())
            self.assertEqual(self.instrumentor.is_instrumented_by_opentelemetry, expected)


class WrapperSafetyTests(PluginCase):
    async def test_a_recorder_that_raises_leaves_the_runtime_unaffected(self) -> None:
        recorder = self.instrumentor.recorder
        manager = self.manager(workers=[fast_worker()])

        @manager.task(max_retries=1, retry_delay=0)
        async def sometimes() -> int:
            return 7

        broken = mock.Mock(side_effect=RuntimeError("recorder bug"))
        with mock.patch.object(recorder.producer, "start", broken), \
                mock.patch.multiple(recorder, start_attempt=broken, begin_finish=broken), \
                self.assertLogs("opentelemetry.instrumentation.uno_jobs", "WARNING") as logs:
            jobs = [await self.run_job(manager, "sometimes") for _ in range(3)]
        self.assertEqual([job.result for job in jobs], [7, 7, 7])
        self.assertEqual(len(logs.records), 3, "one warning per kind, not per job")

    async def test_errors_after_the_wrapped_call_keep_its_return_value(self) -> None:
        recorder = self.instrumentor.recorder
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        broken = mock.Mock(side_effect=RuntimeError("recorder bug"))
        with mock.patch.object(recorder.producer, "end", broken), \
                mock.patch.multiple(recorder, attempt_started=broken, completed=broken), \
                self.assertLogs(level=logging.WARNING) as logs:
            enqueued = await manager.enqueue("ok")
            result = await manager.run_job_sync("ok")
        self.assertEqual(len(logs.records), 3, [r.getMessage() for r in logs.records])
        self.assertEqual(broken.call_count, 4)  # two enqueues, one start, one completion
        self.assertIsInstance(enqueued, Result)
        self.assertTrue(enqueued.is_success)
        self.assertEqual(result.value, 1)

    async def test_wrapped_methods_return_exactly_what_the_runtime_returns(self) -> None:
        manager = self.manager(workers=[])
        manager.register_task("ok", lambda: 1)
        job_id = (await manager.enqueue("ok", job_id="fixed")).value
        self.assertEqual(job_id, "fixed")
        job = await manager.storage.claim_next(["default"], "w", utcnow())
        started = await manager.start_job(job, "w")
        self.assertIs(started, job)
        completed = await manager.complete_job(job, 5)
        self.assertIs(completed, job)
        self.assertEqual(completed.result, 5)

    async def test_runtime_errors_propagate_untouched(self) -> None:
        manager = self.manager(workers=[])
        with self.assertRaises(TypeError):
            await manager.enqueue(priority=1)  # type: ignore[call-arg]
        [span] = self.spans(SpanKind.PRODUCER)
        self.assertEqual(span.attributes["error.type"], "TypeError")
        self.assertIsInstance(manager, JobManager)
