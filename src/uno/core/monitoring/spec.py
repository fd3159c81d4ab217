"""The types that describe a metric: ``MetricSpec`` (name, kind, unit,
description, attribute keys, histogram buckets) and ``InstrumentKind``.

    from uno.core.monitoring.spec import InstrumentKind, MetricSpec

    JOBS = MetricSpec("job_enqueued", InstrumentKind.COUNTER, "{job}", "Jobs enqueued",
                      ("queue", "task"))
    JOBS.full_name()                      # "uno_jobs.job_enqueued"

The job package's own specs (names, units, attribute keys) live in
``uno.jobs.monitoring.semconv``; core only knows the shape of a spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

DEFAULT_NAMESPACE: Final = "uno_jobs"


class InstrumentKind(Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    OBSERVABLE_GAUGE = "observable_gauge"
    OBSERVABLE_COUNTER = "observable_counter"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric: its short name (without namespace), kind, unit, description,
    attribute keys and, for histograms, explicit bucket bounds."""

    name: str
    kind: InstrumentKind
    unit: str
    description: str
    attributes: tuple[str, ...]
    buckets: tuple[float, ...] | None = None
    namespaced: bool = True  # False: a semantic-convention name, used as is

    def full_name(self, namespace: str = DEFAULT_NAMESPACE) -> str:
        return f"{namespace}.{self.name}" if namespace and self.namespaced else self.name


__all__ = ["DEFAULT_NAMESPACE", "InstrumentKind", "MetricSpec"]
