"""Trace context in ``job.metadata``, through the configured propagators.

    metadata = inject(user_metadata, context)   # a copy, with traceparent & co.
    parent = extract(job.metadata)              # a Context; empty when absent or malformed

Metadata is user data that travels through storage, so extraction trusts
nothing: non-string values are ignored and a propagator that raises yields an
empty context (the consumer span then starts a fresh trace). A propagator
whose ``inject`` raises leaves the metadata without trace context. Either is
reported once (``report_error``), never per job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.instrumentation.uno_jobs.utils import report_error
from opentelemetry.propagators.textmap import Getter


class _MetadataGetter(Getter[Mapping[str, Any]]):
    """Reads only string values (or lists of strings) from a metadata mapping."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        if type(carrier) is not dict and not isinstance(carrier, Mapping):
            return None
        value = carrier.get(key)
        if value is None:
            return None
        if type(value) is str or isinstance(value, str):
            return [value]
        if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            return list(value)
        return None

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return [k for k in carrier if isinstance(k, str)] if isinstance(carrier, Mapping) else []


_GETTER = _MetadataGetter()


def inject(metadata: Mapping[str, Any] | None, context: Context) -> dict[str, Any]:
    """A copy of ``metadata`` carrying ``context`` (the caller's mapping is untouched)."""
    carrier = dict(metadata) if metadata else {}
    try:
        propagate.inject(carrier, context=context)
    except Exception as exc:  # the job goes out without trace context, never fails
        report_error("the propagator's inject", exc)
        return dict(metadata) if metadata else {}
    return carrier


def extract(metadata: Any) -> Context:
    """The context carried by ``metadata``; an empty one if there is none or it is malformed."""
    if (type(metadata) is not dict and not isinstance(metadata, Mapping)) or not metadata:
        return Context()
    try:
        return propagate.extract(metadata, context=Context(), getter=_GETTER)
    except Exception as exc:  # a propagator choking on user data must not fail the job
        report_error("the propagator's extract", exc)
        return Context()
