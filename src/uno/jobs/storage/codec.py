"""A job as stored by the stores that keep text: ``json.dumps(job.to_dict())``,
or a ``ValueError`` that names the field (and, in a batch, the job) that cannot
be stored; and back, or a ``JobDecodeError`` naming the job.

    data = encode_job(job)                 # ValueError: "job args are not JSON-serialisable: ..."
    data = encode_element(3, job)          # ValueError: "job 3 of the batch: job args ..."
    texts = encode_batch(jobs)             # the same texts; what the jobs share encoded once
    job, raw = decode_job(job.id, data)    # JobDecodeError when the text is corrupt
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from operator import attrgetter, is_
from typing import Any

from uno.jobs.errors import JobDecodeError
from uno.jobs.job import FIELD_NAMES, Job

logger = logging.getLogger(__name__)
_VALUE_FIELDS = ("args", "kwargs", "result", "metadata", "tags")
_ENCODER = json.JSONEncoder(allow_nan=False)  # json.dumps(allow_nan=False) makes one per call
_OWN = ("id", "args", "kwargs")  # what each job of a batch has of its own
_SHARED = attrgetter(*(name for name in FIELD_NAMES if name not in _OWN))


def encode_job(job: Job) -> str:
    """``json.dumps(job.to_dict())``, or ``ValueError`` naming the bad field."""
    try:
        return _ENCODER.encode(job.to_dict())
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


def encode_batch(jobs: Sequence[Job]) -> list[str]:
    """``[encode_element(i, job) ...]``, decoding to the same jobs, faster: while
    a job holds the very same objects as the one before in every field but
    ``id``, ``args`` and ``kwargs`` (as the jobs of ``enqueue_many`` do), those
    fields are encoded once and each job adds only its own three."""
    texts: list[str] = []
    shared: tuple[Any, ...] = ()
    head = ""
    for index, job in enumerate(jobs):
        fields = _SHARED(job)
        if not shared or not all(map(is_, fields, shared)):
            texts.append(encode_element(index, job))  # checks (and names) every field
            common = job.to_dict()
            for name in _OWN:
                del common[name]
            shared, head = fields, _ENCODER.encode(common)[:-1] + ", "
            continue
        args, kwargs = job.args, job.kwargs
        if (not args and not kwargs and type(args) is list and type(kwargs) is dict
                and type(job.id) is str):
            texts.append(f'{head}"id": {encode_basestring_ascii(job.id)}, "args": [], '
                         '"kwargs": {}}')
            continue
        try:
            own = _ENCODER.encode({"id": job.id, "args": list(args), "kwargs": dict(kwargs)})
        except (TypeError, ValueError, RecursionError):
            own = encode_element(index, job)  # raises the ValueError that names the field
        texts.append(head + own[1:])
    return texts


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
