"""The redaction hook shared by the telemetry plugin (``capture_args``) and the
admin console (job payloads): one function decides what of a job's args,
kwargs and result may leave the process.

    def redact(name: str, value: Any) -> Any:       # name: "args", "kwargs" or "result"
        if name == "kwargs":
            return {k: "***" if k in {"password", "token"} else v for k, v in value.items()}
        return value

    UnoJobsInstrumentor().instrument(capture_args=True, redact=redact)
    app.state.job_payloads = ShowPayloads(redact=redact)     # uno.jobs.admin.payloads

A hook that raises hides the value (``RedactionError``), never shows it unredacted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RedactHook = Callable[[str, Any], Any]
"""``hook(name, value) -> value to show``; ``name`` is ``"args"``, ``"kwargs"`` or ``"result"``."""


class RedactionError(RuntimeError):
    """The redaction hook raised: the value must not be shown."""


def redacted(name: str, value: Any, hook: RedactHook | None) -> Any:
    """``value`` as ``hook`` lets it be shown; ``RedactionError`` if the hook raised."""
    if hook is None:
        return value
    try:
        return hook(name, value)
    except Exception as exc:
        raise RedactionError(f"the redact hook raised on {name}: {exc!r}") from exc


__all__ = ["RedactHook", "RedactionError", "redacted"]
