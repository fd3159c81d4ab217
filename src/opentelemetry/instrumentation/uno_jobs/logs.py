"""``LogBridge``: the ``uno.jobs`` lifecycle records reach the OpenTelemetry logs
pipeline whatever level the application left its root logger at.

    bridge = LogBridge.install(logger_provider)   # None when no SDK pipeline is configured
    LogBridge.install(logger_provider, progress=True)   # enqueued/started records too
    bridge.cover(manager.logger)                  # a manager's own logger= gets the same
    ...
    bridge.remove()                               # every logger it covers, as it was

Python drops a record below its logger's effective level before any handler
sees it, and the root logger defaults to WARNING, so "job ... completed" (INFO)
would never reach the OpenTelemetry handler. When the application has not
configured the ``uno.jobs`` logger itself (no level, propagating), the bridge
sets it to INFO and stops its propagation, then delivers each record the way
propagation would have: to every ancestor handler when the record passes the
level the application left (the root's, unless it set ``uno.jobs``'s), and
otherwise only to the OpenTelemetry handler of the pipeline. So the console
shows what it showed before, and the pipeline gets the lifecycle records below.
When no handler of the pipeline is reachable (log auto-instrumentation off, or
an explicit ``logger_provider``), the bridge's own handler delivers them.

By default the pipeline gets one record per attempt outcome (``completed``,
``retrying``, ``failed``, ``timed out``) and the rarer ``cancelled``/``requeued``;
the ``enqueued`` and ``started`` records only with ``progress=True``
(``OTEL_PYTHON_UNO_JOBS_PROGRESS_LOGS``). While they would reach neither the
pipeline nor the application's handlers, the runtime does not even make them
(``job_event_log.set_progress_gate``). An outcome record at INFO that only the
pipeline would receive (the application's level is above INFO) is not even made
as a ``logging`` record: the bridge emits it through the logs API
(``PipelineRecords``, ``job_event_log.set_record_sink``), exactly as the SDK
handler would have; whenever anything else could receive it (the application
configured the logger, a handler of the application passes INFO, a filter or
formatter on a pipeline handler, a custom record factory, instrumentation
) it declines and the ``logging`` record goes the way above.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

from opentelemetry._logs import get_logger_provider
from opentelemetry.instrumentation.uno_jobs.log_records import PipelineRecords
from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider
from opentelemetry.sdk._logs import LoggingHandler

from uno.jobs import job_event_log
from uno.jobs.job_event_log import PROGRESS_EVENTS

LOGGER_NAME = "uno.jobs"  # the runtime's default logger; uno.jobs.* records pass through it
LEVEL = logging.INFO


_OTEL_HANDLER_TYPES: dict[type, bool] = {}  # handler class -> is the SDK's LoggingHandler


def _is_otel_handler(handler: logging.Handler) -> bool:
    kind = type(handler)
    known = _OTEL_HANDLER_TYPES.get(kind)
    if known is None:
        known = _OTEL_HANDLER_TYPES[kind] = (kind.__name__ == "LoggingHandler"
                                             and kind.__module__.startswith("opentelemetry"))
    return known


class LogBridge(logging.Handler):
    def __init__(self, logger: logging.Logger, provider: Any, progress: bool = False) -> None:
        super().__init__(logging.NOTSET)
        self._logger = logger
        self._provider = provider
        self._progress = progress  # the enqueued/started records reach the pipeline too
        self._managed = False  # we set the logger's level and propagation
        # logger name -> its bridge (None: a bridged ancestor's records cover it)
        self._covered: dict[str, LogBridge | None] = {logger.name: self}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._fallback = LoggingHandler(logger_provider=provider)
        self._records: PipelineRecords | None = None  # set on the installed bridge

    @classmethod
    def install(cls, logger_provider: Any = None, progress: bool = False) -> LogBridge | None:
        provider = logger_provider if logger_provider is not None else get_logger_provider()
        if not isinstance(provider, SdkLoggerProvider):
            return None  # no logs pipeline: nothing to bridge to, no cost per record
        bridge = cls._attach(logging.getLogger(LOGGER_NAME), provider, progress)
        if not progress:
            job_event_log.set_progress_gate(bridge._progress_wanted)
        bridge._records = PipelineRecords()
        job_event_log.set_record_sink(bridge._offer)
        return bridge

    @classmethod
    def _attach(cls, logger: logging.Logger, provider: Any, progress: bool) -> LogBridge:
        bridge = cls(logger, provider, progress)
        if logger.level == logging.NOTSET and logger.propagate:
            bridge._managed = True
            logger.setLevel(LEVEL)
            logger.propagate = False
        logger.addHandler(bridge)
        return bridge

    def cover(self, logger: logging.Logger) -> None:
        """Bridge ``logger`` too (a manager's own ``logger=``), unless its records
        already pass through a bridged logger (``uno.jobs.*``). A dict lookup
        once a logger was seen: the wrappers call it on every enqueue."""
        covered, name = self._covered, logger.name
        if name in covered:
            return
        inside = any(name.startswith(f"{c}.") for c, b in covered.items() if b is not None)
        covered[name] = (None if inside
                         else LogBridge._attach(logger, self._provider, self._progress))

    def _progress_wanted(self, logger: logging.Logger) -> bool:
        """Make an enqueued/started record on ``logger``? Not when it goes to a
        bridge of ours that would hand it to no handler of the application."""
        bridge = self._covered.get(logger.name)
        return bridge is None or not bridge._managed or bridge._application_level() <= LEVEL

    def _offer(self, logger: logging.Logger, level: int, body: str, extra: dict[str, Any]
               ) -> bool:
        """The record sink: True when the record went to the pipeline directly."""
        bridge = self._covered.get(logger.name)  # (suppressed instrumentation: the logging
        if bridge is None or level != LEVEL:     # record would reach the pipeline the same)
            return False
        targets = bridge._pipeline_only_targets()
        if targets is None:
            return False
        for handler in targets:
            self._records.emit(handler._logger_provider, logger.name, body, extra)  # type: ignore[union-attr]
        return True

    def _pipeline_only_targets(self) -> list[logging.Handler] | None:
        """The pipeline handlers an INFO record would reach when no other handler
        would get it and they would translate it plainly; else None."""
        logger = self._logger
        if (not self._managed or logger.filters or self.filters
                or logging.getLogRecordFactory() is not logging.LogRecord
                or self._application_level() <= LEVEL):
            return None
        targets: list[logging.Handler] = []
        found = False
        ancestor, provider = logger.parent, self._provider
        while ancestor is not None:  # the handlers propagation reaches (_handlers, inlined)
            for handler in ancestor.handlers:  # (and _is_ours, inlined: once per job)
                if (handler is self or not _is_otel_handler(handler)
                        or getattr(handler, "_logger_provider", None) is not provider):
                    continue  # below the application's level: emit() would not hand it over
                found = True
                if handler.level <= LEVEL:
                    if (type(handler) is not LoggingHandler or handler.filters
                            or handler.formatter):
                        return None
                    targets.append(handler)
            if not ancestor.propagate:
                break
            ancestor = ancestor.parent
        return targets if found else [self._fallback]

    def remove(self) -> None:
        job_event_log.set_record_sink(None)
        if not self._progress:
            job_event_log.set_progress_gate(None)
        for bridge in self._covered.values():
            if bridge is not None:
                bridge._detach()
        self._covered = {self._logger.name: self}

    def _detach(self) -> None:
        logger = self._logger
        logger.removeHandler(self)
        if self._managed:
            if logger.level == LEVEL:
                logger.setLevel(logging.NOTSET)
            logger.propagate = True

    def handle(self, record: logging.LogRecord) -> bool:
        # no handler lock: we only dispatch to other handlers, which lock themselves
        if self.filter(record):
            try:
                self.emit(record)
            except Exception:
                self.handleError(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        to_pipeline = self._progress or getattr(record, "job_event", None) not in PROGRESS_EVENTS
        if not self._managed:  # the application's configuration decides, we only fill gaps
            if to_pipeline and not any(self._is_ours(h) for h in self._handlers(self._logger)):
                self._fallback.handle(record)
            return
        passes = record.levelno >= self._application_level()
        if not passes and not to_pipeline:
            return
        found = delivered = False
        for handler in self._handlers(self._logger.parent):
            ours = self._is_ours(handler)
            found, delivered = True, delivered or ours
            if (to_pipeline if ours else passes) and record.levelno >= handler.level:
                handler.handle(record)
        if not delivered and to_pipeline:
            self._fallback.handle(record)
        if passes and not found and logging.lastResort is not None \
                and record.levelno >= logging.lastResort.level:
            logging.lastResort.handle(record)

    def _application_level(self) -> int:
        own = self._logger.level
        if own != logging.NOTSET and own != LEVEL:  # the application set it since
            return own
        parent = self._logger.parent
        if parent is None:
            return logging.WARNING
        return parent.level or parent.getEffectiveLevel()  # (the root's, mostly: set)

    def _is_ours(self, handler: logging.Handler) -> bool:
        return (handler is not self and _is_otel_handler(handler)
                and getattr(handler, "_logger_provider", None) is self._provider)

    def _handlers(self, logger: logging.Logger | None) -> Iterator[logging.Handler]:
        """The handlers propagation reaches from ``logger`` up (this bridge excluded)."""
        while logger is not None:
            yield from (h for h in logger.handlers if h is not self)
            if not logger.propagate:
                return
            logger = logger.parent
