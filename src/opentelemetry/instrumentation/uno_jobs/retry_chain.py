"""Retries as a chain: each attempt's consumer span links to the previous
attempt's span, in whichever process either ran.

    remember_attempt(job, span)          # fail_job, before the job is stored
    link = previous_attempt_link(job.metadata)   # start_job: a Link, or None

The failing attempt's span context travels in ``job.metadata`` under
``uno_jobs.previous_attempt`` as a W3C ``traceparent`` value
(``00-{trace id}-{span id}-{flags}``), whatever propagators are configured.
A missing or malformed value gives no link, never an error.
"""

from __future__ import annotations

import re
from typing import Any

from opentelemetry.trace import Link, Span, SpanContext, TraceFlags

from uno.jobs.job import Job, JobStatus
from uno.jobs.monitoring import semconv as sc

METADATA_KEY = "uno_jobs.previous_attempt"
PREVIOUS_ATTEMPT = "previous_attempt"  # the link's uno_jobs.link.kind
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_LINK_ATTRIBUTES = {sc.SPAN_LINK_KIND: PREVIOUS_ATTEMPT}


def remember_attempt(job: Job, span: Span | None) -> None:
    """Store ``span``'s context in the job's metadata (which the wrapped
    ``fail_job`` persists); with no span, forget an older attempt's."""
    metadata = getattr(job, "metadata", None)
    if not isinstance(metadata, dict):
        return
    context = span.get_span_context() if span is not None else None
    if context is None or not context.is_valid:
        metadata.pop(METADATA_KEY, None)
        return
    metadata[METADATA_KEY] = (f"00-{context.trace_id:032x}-{context.span_id:016x}-"
                              f"{int(context.trace_flags):02x}")


def previous_attempt_link(metadata: Any) -> Link | None:
    """The link to the attempt stored in ``metadata``; None if there is none or
    it does not parse."""
    if type(metadata) is dict and METADATA_KEY not in metadata:
        return None  # (a first attempt: the usual case)
    try:
        value = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        match = _TRACEPARENT.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            return None
        trace_id, span_id, flags = (int(group, 16) for group in match.groups())
        context = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags))
        return Link(context, _LINK_ATTRIBUTES) if context.is_valid else None
    except Exception:  # user data: never fail the job over it
        return None


def retries_exhausted(job: Job) -> bool:
    """``fail_job`` ended the job FAILED because it had used all its retries
    (``max_retries > 0`` and ``retry_count >= max_retries``). A first failure of
    a job without retries, a timeout (TIMEOUT) and a non-retryable error before
    the last retry are not counted."""
    max_retries = getattr(job, "max_retries", 0) or 0
    return (job.status is JobStatus.FAILED and max_retries > 0
            and job.retry_count >= max_retries)
