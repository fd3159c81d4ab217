"""Small helpers: error reporting that never floods the log, priority names and
argument capture.

    value = guarded("complete_job", recorder.completed, finish, job)   # None if it raised
    kind = built_once(cache, (queue, task), make_kind)   # make_kind(queue, task), once per key
    capture_value("kwargs", {"to": "a@b.c"}, max_length=64, redact=None)   # '{"to": "a@b.c"}'
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from uno.jobs.job import Priority
from uno.jobs.redaction import RedactHook, RedactionError, redacted

_log = logging.getLogger("opentelemetry.instrumentation.uno_jobs")
_reported: set[tuple[str, type[BaseException]]] = set()
_reported_lock = threading.Lock()
T = TypeVar("T")
_ELLIPSIS = "..."
CACHE_LIMIT = 1024  # entries per built_once cache


def built_once(cache: dict[Any, T], key: tuple[Any, ...], build: Callable[..., T]) -> T:
    """``cache[key]``, made by ``build(*key)`` the first time. A full cache
    (``CACHE_LIMIT``: unbounded task or worker names, a misuse) starts over; an
    unhashable key (a bad argument the runtime rejects) is built, not cached."""
    try:
        value = cache.get(key)
    except TypeError:
        return build(*key)
    if value is None:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        value = cache[key] = build(*key)
    return value


def report_error(kind: str, exc: BaseException) -> None:
    """Log an instrumentation error: in full the first time for each (kind,
    exception type), at debug level afterwards (a broken hook must not log per job)."""
    key = (kind, type(exc))
    with _reported_lock:
        first = key not in _reported
        _reported.add(key)
    if first:
        _log.warning("uno_jobs instrumentation: %s failed (the job is unaffected; "
                     "further errors like this are logged at debug level)", kind, exc_info=exc)
    else:
        _log.debug("uno_jobs instrumentation: %s failed: %r", kind, exc)


def guarded(kind: str, function: Callable[..., T], *args: Any) -> T | None:
    """``function(*args)``, or None (and a report) if it raised."""
    try:
        return function(*args)
    except Exception as exc:
        report_error(kind, exc)
        return None


_PRIORITY_NAMES = {int(p): p.name for p in Priority}


def priority_name(value: Any) -> str:
    """``"NORMAL"`` for ``Priority.NORMAL``, ``20`` or ``"normal"``; ``str(value)`` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _PRIORITY_NAMES.get(int(value), str(value))
    if isinstance(value, str) and value.upper() in Priority.__members__:
        return value.upper()
    return str(value)


def capture_value(name: str, value: Any, max_length: int,
                  redact: RedactHook | None) -> str | None:
    """``value`` through ``redact``, as JSON (``repr`` for what JSON cannot hold),
    cut to ``max_length`` characters. None when the redaction hook raised: a
    value that could not be redacted is not recorded."""
    try:
        value = redacted(name, value, redact)
    except RedactionError as exc:
        report_error("the redact hook", exc.__cause__ or exc)
        return None
    try:
        text = json.dumps(value, default=repr, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    if len(text) > max_length:
        text = text[: max_length - len(_ELLIPSIS)] + _ELLIPSIS
    return text
