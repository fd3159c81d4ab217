"""Invalid values in every environment variable the project reads: each
``OTEL_PYTHON_UNO_JOBS_*`` variable (from the configuration table, so a new one
is covered too) and ``OTEL_SEMCONV_STABILITY_OPT_IN``. Each bad value gives one
warning naming the variable and saying the default is used, the option keeps
its default, and the instrumentation works — in process and under
``opentelemetry-instrument``."""

from __future__ import annotations

import os
import unittest
from dataclasses import fields
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.instrumentation.uno_jobs import config as config_module
from opentelemetry.instrumentation.uno_jobs import environment_variables as env
from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig

from plugin.otlp_http import OtlpHttpReceiver
from plugin.support import PluginCase

from .outage import run_burst
from .support import captured_logs

OPTIONS: dict[str, tuple[str, Any]] = config_module._OPTIONS  # option -> (variable, parser)
DEFAULTS = {f.name: f.default for f in fields(UnoJobsConfig)}
EXPLODING_HOOK = "tests.hardening.apps.explodes:redact"
INVALID_BY_PARSER = {
    "_bool": ["maybe", "2", "tru", "yes please"],
    "_seconds": ["-1", "0", "nan", "inf", "-inf", "1e999", "abc", "5s", "0x10"],
    "_max_length": ["8", "-100", "abc", "1.5", "1e3"],
    "_semconv_mode": ["modern", "stable,legacy", "STABLE2"],
    "_hook": ["no_such_module_xyz:redact", "os:no_such_function", "os", ":redact", "os:",
              "os:sep", "os.path:sep.upper.nope", EXPLODING_HOOK],
}
GENERIC_INVALID = ["\x7fgarbage", "-1", "nan", "{}"]
ALL_INVALID = {variable: INVALID_BY_PARSER.get(parse.__name__, GENERIC_INVALID)[-1]
               for variable, parse in OPTIONS.values()}


def invalid_values(parse: Any) -> list[str]:
    return INVALID_BY_PARSER.get(parse.__name__, GENERIC_INVALID)


class EnvironmentParsingTests(unittest.TestCase):
    def test_every_variable_is_covered_by_the_configuration_table(self) -> None:
        declared = {value for name, value in vars(env).items() if name.startswith("OTEL_")}
        self.assertEqual(declared, {variable for variable, _parse in OPTIONS.values()})

    def test_each_invalid_value_warns_once_naming_the_variable_and_keeps_the_default(self):
        for option, (variable, parse) in OPTIONS.items():
            for value in invalid_values(parse):
                with self.subTest(variable=variable, value=value), captured_logs() as records:
                    config = UnoJobsConfig.from_options({}, {variable: value})
                    self.assertEqual(getattr(config, option), DEFAULTS[option])
                    [warning] = [r.getMessage() for r in records]
                    self.assertIn(variable, warning)
                    self.assertIn("using the default", warning)

    @settings(max_examples=60, deadline=None)
    @given(st.text(max_size=40))
    def test_any_text_in_any_variable_never_raises(self, value: str) -> None:
        for option, (variable, parse) in OPTIONS.items():
            if parse.__name__ == "_hook":
                continue  # arbitrary text would import arbitrary modules
            with captured_logs() as records:
                config = UnoJobsConfig.from_options({}, {variable: value})
            warned = any(variable in r.getMessage() for r in records)
            if getattr(config, option) == DEFAULTS[option] and value.strip() and not warned:
                self.assertEqual(parse(value.strip()), DEFAULTS[option], (variable, value))
        opted_in = UnoJobsConfig.from_options({}, {"OTEL_SEMCONV_STABILITY_OPT_IN": value})
        self.assertIn(opted_in.semconv_opt_in, ("default", "messaging", "messaging/dup"))


class InvalidEnvironmentInProcessTests(PluginCase):
    def setUp(self) -> None:
        patch = mock.patch.dict(os.environ, ALL_INVALID)
        patch.start()
        self.addCleanup(patch.stop)
        with captured_logs() as self.records:
            super().setUp()

    async def test_instrumentation_works_with_every_variable_invalid(self) -> None:
        warnings = [r.getMessage() for r in self.records]
        for variable in ALL_INVALID:
            self.assertEqual(sum(variable in w for w in warnings), 1, (variable, warnings))
        manager = self.manager()
        manager.register_task("ok", lambda: "done", max_retries=0)
        job = await self.run_job(manager, "ok")
        self.assertEqual(job.result, "done")
        [consumer] = self.consumers("ok")
        self.assertEqual(consumer.parent.span_id, self.producer("ok").context.span_id)
        self.assertEqual(len(self.points()["uno_jobs.job_completed"]), 1)


class InvalidEnvironmentZeroCodeTests(unittest.TestCase):
    """Under ``opentelemetry-instrument`` the warnings reach the OpenTelemetry
    logs pipeline when log auto-instrumentation is on (its handler then sits on
    the root logger), and stderr when it is off."""

    def run_instrumented(self, logging_on: str) -> tuple[Any, OtlpHttpReceiver]:
        with OtlpHttpReceiver() as receiver:
            run = run_burst(receiver.endpoint, jobs=20, timeout=60,
                            OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED=logging_on,
                            **ALL_INVALID)
        self.assertEqual((run.returncode, run.completed), (0, 20), run.output[-3000:])
        self.assertEqual(len([s for s in receiver.spans() if s.name == "process double"]), 20)
        return run, receiver

    def assert_warned_about_each(self, text: str) -> None:
        for variable in ALL_INVALID:
            self.assertIn(f"ignoring {variable}=", text)
        self.assertEqual(text.count("using the default"), len(ALL_INVALID))

    def test_with_log_auto_instrumentation_the_warnings_are_exported(self) -> None:
        _run, receiver = self.run_instrumented("true")
        self.assert_warned_about_each("\n".join(log.body for log in receiver.logs()
                                                 if "uno_jobs instrumentation" in log.body))

    def test_without_it_the_warnings_go_to_stderr(self) -> None:
        run, _receiver = self.run_instrumented("false")
        self.assert_warned_about_each(run.output)
