"""A job as stored by the SQL stores: ``json.dumps(job.to_dict())``, or a
``ValueError`` that names the field (and, in a batch, the job) that cannot be stored.

    data = encode_job(job)                 # ValueError: "job args are not JSON-serialisable: ..."
    data = encode_element(3, job)          # ValueError: "job 3 of the batch: job args ..."
"""

from __future__ import annotations

import json

from uno.jobs.job import Job

_VALUE_FIELDS = ("args", "kwargs", "result", "metadata", "tags")


def encode_job(job: Job) -> str:
    """``json.dumps(job.to_dict())``, or ``ValueError`` naming the bad field."""
    try:
        return json.dumps(job.to_dict(), allow_nan=False)
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
