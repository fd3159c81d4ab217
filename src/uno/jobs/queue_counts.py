"""``queue_counts()``: the queue x status view of a store's job counts, built
once for the status command, the admin API, the queue gauges and the queue
health check.

    counts = await storage.count_by_queue_and_status()
    view = queue_counts(counts, names={"emails"})      # every queue named or counted
    view["emails"].waiting                # PENDING + RETRYING
    view["emails"].by_value()             # {"pending": 3, "reserved": 0, ...} every status
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from uno.jobs.job import UNSUCCESSFUL_STATUSES, WAITING_STATUSES, JobStatus

StoreCounts = Mapping[tuple[str, JobStatus], int]


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """One queue's job counts, every status present (zeros included)."""

    name: str
    by_status: Mapping[JobStatus, int]

    @property
    def waiting(self) -> int:
        """Jobs waiting to be claimed: the queue's length."""
        return sum(self.by_status[status] for status in WAITING_STATUSES)

    @property
    def failed(self) -> int:
        """Jobs that finished unsuccessfully (FAILED or TIMEOUT)."""
        return sum(self.by_status[status] for status in UNSUCCESSFUL_STATUSES)

    def by_value(self, order: Sequence[JobStatus] = tuple(JobStatus)) -> dict[str, int]:
        """Counts keyed by status value (``"pending"`` ...), in ``order``."""
        return {status.value: self.by_status[status] for status in order}


def queue_counts(counts: StoreCounts, names: Iterable[str] = ()) -> dict[str, QueueCounts]:
    """Every queue in ``names`` or in ``counts``, sorted by name, x every status."""
    queues = sorted(set(names) | {queue for queue, _status in counts})
    return {queue: QueueCounts(queue, {status: counts.get((queue, status), 0)
                                       for status in JobStatus})
            for queue in queues}


__all__ = ["QueueCounts", "StoreCounts", "queue_counts"]
