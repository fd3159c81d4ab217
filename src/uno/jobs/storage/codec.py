"""A job as stored by the stores that keep text: ``json.dumps(job.to_dict())``,
or a ``ValueError`` that names the field (and, in a batch, the job) that cannot
be stored; and back, or a ``JobDecodeError`` naming the job.

    data = encode_job(job)                 # ValueError: "job args are not JSON-serialisable: ..."
    data = encode_element(3, job)          # ValueError: "job 3 of the batch: job args ..."
    job, raw = decode_job(job.id, data)    # JobDecodeError when the text is corrupt
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from uno.jobs.errors import JobDecodeError
from uno.jobs.job import Job

logger = logging.getLogger(__name__)
_VALUE_FIELDS = ("args", "kwargs", "result", "metadata", "tags")
_encode = json.JSONEncoder(allow_nan=False).encode  # json.dumps(allow_nan=False) makes one a call


def encode_job(job: Job) -> str:
    """``json.dumps(job.to_dict())``, or ``ValueError`` naming the bad field."""
    try:
        return _encode(job.to_dict())
    except (TypeError, ValueError, RecursionError) as exc:
        for name in _VALUE_FIELDS:
            try:
                json.dumps(getattr(job, name), allow_nan=False)
            except (TypeError, ValueError, RecursionError) as field_exc:
                verb = "are" if name in ("args", "kwargs", "tags") else "is"
                msg = f"job {name} {verb} not JSON-serialisable: {field_exc}"
                raise ValueError(msg) from field_exc
        raise ValueError(f"job {job.id} is not JSON-serialisable: {exc}") from exc


def encode_element(index: int, job: Job) -> str:
    """``encode_job`` for the ``index``-th job of a batch (``add_many``)."""
    try:
        return encode_job(job)
    except ValueError as exc:
        raise ValueError(f"job {index} of the batch: {exc}") from exc


def decode_job(job_id: str, data: str | bytes | None,
               patch: str | bytes | None = None) -> tuple[Job, dict[str, Any]]:
    """The job stored as ``data`` (with the JSON object ``patch`` merged into
    its dict) and that dict; ``JobDecodeError`` naming ``job_id`` if it cannot
    be decoded."""
    try:
        raw = json.loads(data)  # type: ignore[arg-type]
        if patch is not None:
            raw.update(json.loads(patch))
        return Job.from_dict(raw), raw
    except Exception as exc:
        msg = f"stored job {job_id!r} could not be decoded: {type(exc).__name__}: {exc}"
        raise JobDecodeError(msg) from exc


def decode_jobs(rows: Iterable[tuple[Any, ...]]) -> list[Job]:
    """The decodable jobs of ``(id, data)`` or ``(id, data, patch)`` rows; the
    others are logged and skipped."""
    jobs = []
    for job_id, *text in rows:
        try:
            jobs.append(decode_job(job_id, *text)[0])
        except JobDecodeError as exc:
            logger.warning("skipping undecodable job: %s", exc)
    return jobs
