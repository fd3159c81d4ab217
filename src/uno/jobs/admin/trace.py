"""A job's trace, read from the W3C ``traceparent`` the plugin writes into
``job.metadata`` (no OpenTelemetry import), and its link in a trace UI.

    trace_id_of({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    # '4bf92f3577b34da6a3ce929d0e0e4736'
    trace_link("http://localhost:16686/trace/{trace_id}", trace_id)   # Jaeger
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

# version (not ff) - trace id (32 hex, not all zero) - parent id (16 hex) - flags
_TRACEPARENT = re.compile(
    r"^(?!ff)[0-9a-f]{2}-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$")


def trace_id_of(metadata: Any) -> str | None:
    """The trace id a job carries, or None (no or malformed trace context)."""
    if not isinstance(metadata, Mapping):
        return None
    value = metadata.get("traceparent")
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    return match.group(1) if match else None


def trace_link(template: str | None, trace_id: str | None) -> str | None:
    """``template`` with ``{trace_id}`` filled in; None without either."""
    if not template or not trace_id:
        return None
    return template.replace("{trace_id}", quote(trace_id, safe=""))


__all__ = ["trace_id_of", "trace_link"]
