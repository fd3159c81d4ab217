"""The text stores keep: ``encode_batch`` decodes to exactly what
``encode_element`` does, however the jobs of a batch share their fields; job ids
are version-4 UUIDs."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from uno.jobs.job import Job, JobStatus, new_job_id, new_job_ids
from uno.jobs.storage.codec import decode_job, encode_batch, encode_element
from uno.jobs.tasks import make_definition
from uno.jobs.validation import build_jobs


def enqueue_many_batch(count: int) -> list[Job]:
    definition = make_definition("t", lambda *a: None, timeout=5)
    return build_jobs(definition, [[n] if n % 2 else [] for n in range(count)], None,
                      queue_name="q", priority=10, scheduled_at=None,
                      metadata={"traceparent": "00-1"})


def test_a_batch_decodes_as_each_job_encoded_alone() -> None:
    jobs = enqueue_many_batch(4)
    jobs[2].kwargs = {"name": "\u00e9\n", "nested": {"x": [None, True, 1.5]}}
    jobs[3].args = ("a", "tuple")
    loose = Job(task_name="other", id='quote"id', retry_delay=timedelta(seconds=3))
    mixed = [*jobs, loose, *enqueue_many_batch(2), jobs[0]]  # the shared fields change twice
    texts = encode_batch(mixed)
    assert [json.loads(text) for text in texts] == [
        json.loads(encode_element(n, job)) for n, job in enumerate(mixed)]
    assert [decode_job(job.id, text)[0] for job, text in zip(mixed, texts, strict=True)] == [
        decode_job(job.id, encode_element(0, job))[0] for job in mixed]


def test_a_job_that_differs_in_a_shared_field_is_encoded_in_full() -> None:
    jobs = enqueue_many_batch(4)
    jobs[1].metadata = {"traceparent": "00-1", "n": True}
    jobs[2].metadata = {"traceparent": "00-1", "n": 1}  # == the one before, encoded otherwise
    jobs[3].status = JobStatus.RUNNING
    decoded = [json.loads(text) for text in encode_batch(jobs)]
    assert [d["metadata"].get("n") for d in decoded] == [None, True, 1, None]
    assert [type(d["metadata"].get("n")) for d in decoded][1:3] == [bool, int]
    assert [d["status"] for d in decoded] == ["pending"] * 3 + ["running"]


def test_an_unstorable_job_is_named_by_its_place() -> None:
    jobs = enqueue_many_batch(3)
    jobs[2].kwargs = {"x": object()}
    with pytest.raises(ValueError, match="job 2 of the batch: job kwargs are not JSON"):
        encode_batch(jobs)
    jobs[2].kwargs = {"x": float("inf")}
    with pytest.raises(ValueError, match="job 2 of the batch: job kwargs"):
        encode_batch(jobs)


def test_job_ids_are_distinct_version_4_uuids() -> None:
    ids = [*new_job_ids(1000), new_job_id()]
    assert len(set(ids)) == len(ids)
    for job_id in ids:
        parsed = uuid.UUID(job_id)
        assert (parsed.hex, parsed.version, parsed.variant) == (job_id, 4, uuid.RFC_4122)
