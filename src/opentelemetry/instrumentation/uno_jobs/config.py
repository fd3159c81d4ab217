"""``UnoJobsConfig``: the options of ``instrument()``, from keyword arguments and
``OTEL_PYTHON_UNO_JOBS_*`` environment variables (a keyword argument wins).

    config = UnoJobsConfig.from_options({"capture_args": True}, os.environ)

A value that does not parse logs a warning and falls back to the default, so a
typo in an environment variable never stops the application.

``semconv_opt_in`` is not a keyword argument: like OpenTelemetry's other
instrumentations it comes from ``OTEL_SEMCONV_STABILITY_OPT_IN`` (comma-separated;
``messaging/dup`` wins over ``messaging``; anything else is the default).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from opentelemetry.instrumentation.uno_jobs import environment_variables as env

from uno.core.timeutil import to_seconds
from uno.jobs.redaction import RedactHook

_log = logging.getLogger(__name__)

SEMCONV_MODES = ("stable", "legacy", "dup")
OTEL_SEMCONV_STABILITY_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
OPT_IN_DEFAULT, OPT_IN_MESSAGING, OPT_IN_MESSAGING_DUP = "default", "messaging", "messaging/dup"
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class UnoJobsConfig:
    use_span_links: bool = False
    capture_args: bool = False
    capture_max_length: int = 1024
    redact: RedactHook | None = None
    monitoring: bool = True
    collection_interval: float = 15.0
    health_check_interval: float | None = None  # None: the manager's
    stall_timeout: float | None = None  # None: the manager's
    semconv_mode: str = "stable"
    bridge_logs: bool = True
    progress_logs: bool = False
    semconv_opt_in: str = OPT_IN_DEFAULT  # from OTEL_SEMCONV_STABILITY_OPT_IN only

    @property
    def uno_metrics(self) -> bool:
        """Record the uno metrics (`uno_jobs.*`) (all but ``messaging``)."""
        return self.semconv_opt_in != OPT_IN_MESSAGING

    @property
    def messaging_metrics(self) -> bool:
        """Record the messaging semantic-convention metrics (``messaging[/dup]``)."""
        return self.semconv_opt_in != OPT_IN_DEFAULT

    @classmethod
    def from_options(cls, options: Mapping[str, Any],
                     environ: Mapping[str, str] = os.environ) -> UnoJobsConfig:
        values: dict[str, Any] = {}
        for field in fields(cls):
            if field.name not in _OPTIONS:
                continue
            variable, parse = _OPTIONS[field.name]
            if field.name in options and options[field.name] is not None:
                raw, source = options[field.name], field.name
            elif environ.get(variable, "").strip():
                raw, source = environ[variable].strip(), variable
            else:
                continue
            try:
                values[field.name] = parse(raw)
            except Exception as exc:  # e.g. a redact hook whose module raises on import
                _log.warning("uno_jobs instrumentation: ignoring %s=%r (%s); using the default",
                             source, raw, exc)
        values["semconv_opt_in"] = messaging_opt_in(environ.get(OTEL_SEMCONV_STABILITY_OPT_IN))
        if values["semconv_opt_in"] == OPT_IN_MESSAGING_DUP:
            values.setdefault("semconv_mode", "dup")  # old and new span attributes too
        return cls(**values)


def messaging_opt_in(raw: str | None) -> str:
    """The messaging mode of an ``OTEL_SEMCONV_STABILITY_OPT_IN`` value, parsed as
    ``opentelemetry.instrumentation._semconv`` parses it for http and database."""
    opted = {part.strip() for part in (raw or "").split(",")}
    if OPT_IN_MESSAGING_DUP in opted:
        return OPT_IN_MESSAGING_DUP
    return OPT_IN_MESSAGING if OPT_IN_MESSAGING in opted else OPT_IN_DEFAULT


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("expected true or false")


def _seconds(raw: Any) -> float:
    """Seconds from an option value or environment text (``"30"``)."""
    return to_seconds(float(raw) if isinstance(raw, str) else raw, "seconds", positive=True)


def _max_length(raw: Any) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ValueError("expected an integer")
    value = int(raw)
    if value < 16:
        raise ValueError("expected an integer >= 16")
    return value


def _semconv_mode(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text not in SEMCONV_MODES:
        raise ValueError(f"expected one of {', '.join(SEMCONV_MODES)}")
    return text


def _hook(raw: Any) -> RedactHook:
    """A callable, or ``"module:attribute"`` naming one."""
    if callable(raw):
        return raw
    module_name, _, attribute = str(raw).partition(":")
    if not module_name or not attribute:
        raise ValueError("expected module:function")
    hook = importlib.import_module(module_name)
    for part in attribute.split("."):
        hook = getattr(hook, part)
    if not callable(hook):
        raise TypeError(f"{raw} is not callable")
    return hook


_OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "use_span_links": (env.OTEL_PYTHON_UNO_JOBS_USE_SPAN_LINKS, _bool),
    "capture_args": (env.OTEL_PYTHON_UNO_JOBS_CAPTURE_ARGS, _bool),
    "capture_max_length": (env.OTEL_PYTHON_UNO_JOBS_CAPTURE_MAX_LENGTH, _max_length),
    "redact": (env.OTEL_PYTHON_UNO_JOBS_REDACT_HOOK, _hook),
    "monitoring": (env.OTEL_PYTHON_UNO_JOBS_MONITORING, _bool),
    "collection_interval": (env.OTEL_PYTHON_UNO_JOBS_COLLECTION_INTERVAL, _seconds),
    "health_check_interval": (env.OTEL_PYTHON_UNO_JOBS_HEALTH_CHECK_INTERVAL, _seconds),
    "stall_timeout": (env.OTEL_PYTHON_UNO_JOBS_STALL_TIMEOUT, _seconds),
    "semconv_mode": (env.OTEL_PYTHON_UNO_JOBS_SEMCONV_MODE, _semconv_mode),
    "bridge_logs": (env.OTEL_PYTHON_UNO_JOBS_BRIDGE_LOGS, _bool),
    "progress_logs": (env.OTEL_PYTHON_UNO_JOBS_PROGRESS_LOGS, _bool),
}

OPTION_NAMES = frozenset(_OPTIONS)
