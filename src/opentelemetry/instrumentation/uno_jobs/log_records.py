"""``PipelineRecords``: an attempt's outcome record emitted straight through the
OpenTelemetry logs API, as the SDK's ``LoggingHandler`` would have made it from
the runtime's ``logging`` record.

    records = PipelineRecords()
    records.emit(logger_provider, "uno.jobs", "job ... completed ...", extra)   # INFO

Same scope (the Python logger's name), severity, body (the formatted message),
attributes (the record's ``extra`` plus the code location of the runtime's
logging call, found once by making one such record) and trace context (the
current one) as the handler's translation; without the ``logging`` record, its
dispatch and its translation (about 20 µs per job). ``LogBridge`` decides when
a record may go this way (only the pipeline would receive it).
"""

from __future__ import annotations

import logging
import warnings
from time import time_ns
from types import SimpleNamespace
from typing import Any

from opentelemetry._logs import NoOpLogger, SeverityNumber, get_logger
from opentelemetry.context import get_current
from opentelemetry.sdk._logs import LoggingHandler

from uno.jobs import job_event_log


def _record_site() -> dict[str, Any]:
    """The code attributes the SDK handler puts on an outcome record of the runtime."""
    made: list[logging.LogRecord] = []
    probe = logging.Logger("opentelemetry.instrumentation.uno_jobs.probe")  # outside the tree
    probe.propagate = False
    probe.addHandler(type("_Keep", (logging.Handler,), {"emit": lambda _h, r: made.append(r)})())
    job = SimpleNamespace(id="", task_name="", queue_name="", retry_count=0,
                          status=SimpleNamespace(value=""))
    job_event_log.job_event(probe, "completed", job, logging.INFO,  # type: ignore[arg-type]
                            times={"run_time": 0.0, "wait_time": 0.0})
    attributes = LoggingHandler._get_attributes(made[0])  # noqa: SLF001 - its exact translation
    site_keys = LoggingHandler._get_attributes(logging.makeLogRecord({}))  # noqa: SLF001
    return {key: attributes[key] for key in site_keys or {}}


class PipelineRecords:
    def __init__(self) -> None:
        self._site = _record_site()
        self._loggers: dict[tuple[Any, str], Any] = {}  # (provider, name) -> the SDK's logger

    def emit(self, provider: Any, name: str, body: str, extra: dict[str, Any]) -> None:
        """An INFO record on the pipeline of ``provider``, in the current context."""
        logger = self._loggers.get((provider, name))
        if logger is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                logger = self._loggers[(provider, name)] = get_logger(name,
                                                                      logger_provider=provider)
        if isinstance(logger, NoOpLogger):
            return
        now = time_ns()
        logger.emit(timestamp=now, observed_timestamp=now, context=get_current() or None,
                    severity_number=SeverityNumber.INFO, severity_text="INFO", body=body,
                    attributes={**extra, **self._site})
