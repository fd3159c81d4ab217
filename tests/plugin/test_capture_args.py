"""Job args, kwargs and results stay off spans unless ``capture_args=True``;
then they are recorded as truncated JSON after the ``redact`` hook."""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock

from opentelemetry.instrumentation.uno_jobs.utils import capture_value

from uno.jobs import JobStatus

from .support import PluginCase

CAPTURED = ("uno_jobs.job.args", "uno_jobs.job.kwargs", "uno_jobs.job.result")


def hide_passwords(name: str, value: Any) -> Any:
    if name == "kwargs":
        return {k: ("***" if k == "password" else v) for k, v in value.items()}
    return value


class DefaultTests(PluginCase):
    async def test_args_kwargs_and_results_are_not_recorded_by_default(self) -> None:
        manager = self.manager()
        manager.register_task("echo", lambda *a, **k: [a, k])
        await self.run_job(manager, "echo", args=[1], kwargs={"password": "hunter2"})
        for span in self.spans():
            for attribute in CAPTURED:
                self.assertNotIn(attribute, span.attributes)
            self.assertNotIn("hunter2", json.dumps(dict(span.attributes)))


class CaptureTests(PluginCase):
    instrument_options = {"capture_args": True, "capture_max_length": 40,
                          "redact": hide_passwords}

    async def test_captured_values_are_redacted_json_on_both_spans(self) -> None:
        manager = self.manager()
        manager.register_task("login", lambda user, password: {"user": user})
        await self.run_job(manager, "login", args=["ada"], kwargs={"password": "hunter2"})

        producer, [consumer] = self.producer("login"), self.consumers("login")
        for span in (producer, consumer):
            self.assertEqual(span.attributes["uno_jobs.job.args"], '["ada"]')
            self.assertEqual(span.attributes["uno_jobs.job.kwargs"], '{"password": "***"}')
        self.assertEqual(consumer.attributes["uno_jobs.job.result"], '{"user": "ada"}')

    async def test_long_values_are_truncated(self) -> None:
        manager = self.manager()
        manager.register_task("big", lambda text: text)
        await self.run_job(manager, "big", args=["x" * 500])
        [consumer] = self.consumers("big")
        for attribute in ("uno_jobs.job.args", "uno_jobs.job.result"):
            self.assertEqual(len(consumer.attributes[attribute]), 40)
            self.assertTrue(consumer.attributes[attribute].endswith("..."))

    async def test_a_failing_redact_hook_drops_the_value_and_not_the_job(self) -> None:
        self.instrumentor.uninstrument()

        def broken(name: str, value: Any) -> Any:
            raise RuntimeError("hook bug")

        self.instrument(redact=broken)
        manager = self.manager()
        manager.register_task("ok", lambda secret: 1)
        with self.assertLogs("opentelemetry.instrumentation.uno_jobs", "WARNING"):
            job = await self.run_job(manager, "ok", args=["s3cret"])
        self.assertIs(job.status, JobStatus.COMPLETED)
        for span in self.spans():
            for attribute in CAPTURED:
                self.assertNotIn(attribute, span.attributes)


class EnvironmentCaptureTests(PluginCase):
    def setUp(self) -> None:
        patch = mock.patch.dict(os.environ, {
            "OTEL_PYTHON_UNO_JOBS_CAPTURE_ARGS": "true",
            "OTEL_PYTHON_UNO_JOBS_REDACT_HOOK": f"{__name__}:hide_passwords"})
        patch.start()
        self.addCleanup(patch.stop)
        super().setUp()

    async def test_capture_and_the_hook_can_be_configured_by_environment(self) -> None:
        manager = self.manager()
        manager.register_task("login", lambda password: None)
        await self.run_job(manager, "login", kwargs={"password": "hunter2"})
        self.assertEqual(self.consumers("login")[0].attributes["uno_jobs.job.kwargs"],
                         '{"password": "***"}')


class CaptureValueTests(PluginCase):
    def test_values_json_cannot_hold_are_captured_by_repr(self) -> None:
        self.assertEqual(capture_value("result", {"when": object}, 100, None),
                         json.dumps({"when": repr(object)}))
