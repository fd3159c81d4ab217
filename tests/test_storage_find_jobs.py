"""``JobStorage.find_jobs`` (what the console lists): every filter, newest
first, paging — on every backend of the storage contract suite."""

from __future__ import annotations

from datetime import timedelta

from test_storage_contract import T0, _fresh_loop, run, storage  # noqa: F401 - fixtures
from uno.jobs.job import Job, JobStatus
from uno.jobs.storage.base import JobStorage


def add_jobs(store: JobStorage) -> list[Job]:
    jobs = [
        Job(task_name="send", queue_name="emails", created_at=T0),
        Job(task_name="send", queue_name="emails", created_at=T0 + timedelta(seconds=1),
            status=JobStatus.FAILED),
        Job(task_name="report", queue_name="reports", created_at=T0 + timedelta(seconds=2)),
        Job(task_name="send", queue_name="emails", created_at=T0 + timedelta(seconds=3),
            status=JobStatus.COMPLETED),
    ]
    for job in jobs:
        run(store.add(job))
    return jobs


def ids(found: list[Job]) -> list[str]:
    return [job.id for job in found]


def test_find_jobs_lists_newest_first(storage: JobStorage) -> None:  # noqa: F811
    jobs = add_jobs(storage)
    assert ids(run(storage.find_jobs())) == ids(jobs[::-1])


def test_find_jobs_filters_by_status_queue_and_task(storage: JobStorage) -> None:  # noqa: F811
    a, failed, report, done = add_jobs(storage)
    assert ids(run(storage.find_jobs(statuses=[JobStatus.FAILED]))) == [failed.id]
    assert ids(run(storage.find_jobs(statuses=[JobStatus.PENDING, JobStatus.COMPLETED],
                                     queue_name="emails"))) == [done.id, a.id]
    assert ids(run(storage.find_jobs(task_name="report"))) == [report.id]
    assert run(storage.find_jobs(statuses=[])) == []
    assert run(storage.find_jobs(queue_name="nowhere")) == []


def test_find_jobs_pages_with_limit_and_offset(storage: JobStorage) -> None:  # noqa: F811
    jobs = add_jobs(storage)[::-1]
    assert ids(run(storage.find_jobs(limit=2, offset=1))) == ids(jobs[1:3])
    assert run(storage.find_jobs(limit=0)) == []
    assert ids(run(storage.find_jobs(offset=3))) == ids(jobs[3:])
