"""Job args, kwargs and results in the admin API: hidden unless the app opts in,
shown through the same redaction hook the telemetry plugin's ``capture_args`` uses.

    from uno.jobs.admin.payloads import ShowPayloads
    app.state.job_payloads = ShowPayloads(redact=my_redact)     # opt in
    # or: app.dependency_overrides[get_payloads] = lambda: ShowPayloads()

A value whose redaction raises is shown as ``"<redaction failed>"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from uno.jobs.job import Job
from uno.jobs.redaction import RedactHook, RedactionError, redacted

HIDDEN = "<redaction failed>"


@dataclass(frozen=True)
class ShowPayloads:
    """Show job args, kwargs and results, each passed through ``redact`` first."""

    redact: RedactHook | None = None

    def of(self, job: Job) -> dict[str, Any]:
        return {name: self._value(name, getattr(job, name))
                for name in ("args", "kwargs", "result")}

    def _value(self, name: str, value: Any) -> Any:
        try:
            return redacted(name, value, self.redact)
        except RedactionError:
            return HIDDEN


def get_payloads(request: Request) -> ShowPayloads | None:
    """``app.state.job_payloads`` when the app opted in, else None (hidden)."""
    found = getattr(request.app.state, "job_payloads", None)
    return found if isinstance(found, ShowPayloads) else None


__all__ = ["HIDDEN", "ShowPayloads", "get_payloads"]
