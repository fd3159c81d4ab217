"""``JobRecorder``: turns lifecycle calls into spans and metrics. The wrappers
only call into it (start before the wrapped call, stop or fail after).

    call = recorder.producer.start(manager, args, kwargs)  # PRODUCER span (producer.py)
    recorder.producer.end(call, result)
    attempt = recorder.start_attempt(manager, job, worker) # CONSUMER span, made current
    recorder.attempt_started(attempt, job)
    finish = recorder.begin_finish(job)    # complete_job (fail_job: begin_fail)
    recorder.completed(finish, job, result)  # or recorder.failed(finish, job, exc)

Metrics go through the one ``JobMetrics`` of the instrumentation (the uno ones
and/or the messaging ones via ``JobEventMetrics``), recorded while the span is
current so histogram points carry it as an exemplar; span attributes through
``SpanAttributes``; the attempts in flight live in ``InFlight``; each attempt
links to the previous one (``retry_chain``).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.uno_jobs.attributes import (
    PROCESS_SPAN,
    SpanAttributes,
    capture,
    set_error,
    span_name,
)
from opentelemetry.instrumentation.uno_jobs.config import UnoJobsConfig
from opentelemetry.instrumentation.uno_jobs.inflight import Attempt, InFlight, current_task_ref
from opentelemetry.instrumentation.uno_jobs.job_event_metrics import JobEventMetrics
from opentelemetry.instrumentation.uno_jobs.producer import EnqueueRecorder
from opentelemetry.instrumentation.uno_jobs.propagation import extract
from opentelemetry.instrumentation.uno_jobs.retry_chain import (
    previous_attempt_link,
    remember_attempt,
    retries_exhausted,
)
from opentelemetry.instrumentation.uno_jobs.utils import built_once, priority_name
from opentelemetry.trace import Link, Span, SpanKind, Tracer

from uno.jobs.job import Job, JobStatus, utcnow
from uno.jobs.monitoring import semconv as sc
from uno.jobs.monitoring.job_metrics import JobMetrics
from uno.jobs.monitoring.job_series import JobSeries

if TYPE_CHECKING:
    from uno.jobs.manager import JobManager


@dataclass(frozen=True, slots=True)
class _Kind:
    """The span name, span attributes (shared: copied per span, with the job's
    own) and metric series of the attempts of one (queue, task, priority, worker)."""

    name: str
    attributes: dict[str, Any]
    queue: str
    task: str
    priority: str
    worker: str
    series: JobSeries | None


@dataclass(slots=True)
class Finish:
    job_id: str
    attempt: Attempt | None
    token: Any  # the span made current for this call, outside the attempt's own task
    queue: str
    task: str
    worker: str
    priority: str
    owner: bool  # called in the task that started the attempt (its token detaches here)
    series: JobSeries | None = None  # the attempt's, when the worker is the same


class JobRecorder:
    def __init__(self, tracer: Tracer, metrics: JobMetrics, config: UnoJobsConfig) -> None:
        self.tracer = tracer
        self.metrics = metrics
        self.config = config
        self.in_flight = InFlight(self.stall_timeout)
        self._kinds: dict[tuple[Any, ...], _Kind] = {}
        self._attributes = SpanAttributes(config.semconv_mode)
        self.job_event_metrics = JobEventMetrics(metrics, config)
        self.producer = EnqueueRecorder(tracer, self.job_event_metrics, config, self._attributes)

    # --- attempts: the consumer span ---

    def start_attempt(self, manager: JobManager | None, job: Job, worker: object,
                      start_time: int | None = None) -> Attempt:
        """Start the attempt's span (parent from the job's metadata, never the
        current context; linked to the previous attempt's) and make it current here."""
        parent = extract(job.metadata)
        links = []
        if self.config.use_span_links:
            producer = trace.get_current_span(parent).get_span_context()
            links = [Link(producer)] if producer.is_valid else []
            parent = Context()
        previous = previous_attempt_link(job.metadata)
        if previous is not None:
            links.append(previous)
        kind = built_once(self._kinds, (job.queue_name, job.task_name, job.priority, worker),
                          self._new_kind)
        span = self.tracer.start_span(
            kind.name, context=parent, kind=SpanKind.CONSUMER, links=links or None,
            attributes={**kind.attributes, sc.SPAN_MESSAGE_ID: job.id,
                        sc.SPAN_RETRY_COUNT: job.retry_count,
                        sc.SPAN_ATTEMPT: job.retry_count + 1},
            start_time=start_time)
        if self.config.capture_args and span.is_recording():
            self._capture(span, sc.SPAN_ARGS, "args", job.args)
            self._capture(span, sc.SPAN_KWARGS, "kwargs", job.kwargs)
        attempt = Attempt(span, kind.queue, kind.task, kind.worker, kind.priority,
                          time.perf_counter(), owner=current_task_ref(),
                          manager=weakref.ref(manager) if manager is not None else None,
                          series=kind.series)
        self.in_flight.add(job.id, attempt)
        attempt.token = otel_context.attach(trace.set_span_in_context(span, parent))
        return attempt

    def _new_kind(self, queue: str, task: str, priority: Any, worker: object) -> _Kind:
        """What every attempt of (queue, task, priority) on ``worker`` shares."""
        priority, worker = priority_name(priority), str(worker)
        return _Kind(span_name(PROCESS_SPAN, task),
                     self._attributes.shared_consumer(queue, task, priority, worker),
                     queue, task, priority, worker,
                     self.job_event_metrics.series(queue, task, priority, worker))

    def attempt_started(self, attempt: Attempt, job: Job) -> None:
        wait = (job.started_at - job.due_at).total_seconds() if job.started_at else None
        self.job_event_metrics.started(attempt.queue, attempt.task, attempt.priority,
                                       attempt.worker, wait, attempt.series)

    def start_raised(self, job: Job, attempt: Attempt, exc: BaseException) -> None:
        self.in_flight.pop(job.id, attempt)
        set_error(attempt.span, exc)
        self._end(attempt, attempt.owned_by_current_task())

    # --- complete_job / fail_job ---

    def begin_finish(self, job: Job) -> Finish:
        """Before the wrapped call: the attempt's span is current while it runs
        (so its log record belongs to the span), in whichever task calls it."""
        attempt = self.in_flight.get(job.id)
        token = None
        owner = attempt is not None and attempt.owned_by_current_task()
        if attempt is not None and not owner:
            token = otel_context.attach(trace.set_span_in_context(attempt.span))
        if attempt is not None:
            worker = str(job.worker_id or attempt.worker)
            return Finish(job.id, attempt, token, job.queue_name, job.task_name, worker,
                          attempt.priority, owner,
                          attempt.series if worker == attempt.worker else None)
        return Finish(job.id, None, token, job.queue_name, job.task_name,
                      str(job.worker_id or ""), priority_name(job.priority), owner)

    def begin_fail(self, job: Job) -> Finish:
        """``begin_finish`` for ``fail_job``; the attempt's span context goes into
        the job's metadata before the wrapped call stores the job, for the next
        attempt's link."""
        if job.id not in self.in_flight:
            self._adopt_orphan(job)
        finish = self.begin_finish(job)
        remember_attempt(job, finish.attempt.span if finish.attempt is not None else None)
        return finish

    def _adopt_orphan(self, job: Job) -> None:
        """``fail_job`` of a job RUNNING with no attempt here: a process that died
        mid-job took its span along, and the stalled-job maintenance fails the
        job here. Its CONSUMER span starts now, dated from ``job.started_at``, and
        ``failed`` ends it. Not for an attempt this process already ended as
        abandoned (the sweep, or a stopped manager): that span exists."""
        if (job.status is not JobStatus.RUNNING or job.started_at is None
                or self.in_flight.forget_abandoned(job.id)):
            return
        elapsed = max(0.0, (utcnow() - job.started_at).total_seconds())
        attempt = self.start_attempt(None, job, job.worker_id or "",
                                     start_time=time.time_ns() - int(elapsed * 1e9))
        attempt.started -= elapsed  # the run time is the dead attempt's
        attempt.detach_if_owner()  # begin_finish makes it current for the call instead,
        attempt.owner = None  # and no task owns it: if fail_job raises, the sweep ends it

    def finish_raised(self, finish: Finish) -> None:
        """The wrapped call raised: the span stays open (``fail_job`` may follow)."""
        self._release(finish)

    def completed(self, finish: Finish, job: Job, result: Any) -> None:
        try:  # metrics first, inside the span: exemplars point at it
            self.job_event_metrics.processed(finish.queue, finish.task, finish.priority,
                                             finish.worker, self._run_time(finish, job), None,
                                             finish.series)
        finally:
            self._close(finish, self._result_capture(result) if self.config.capture_args
                        else None)

    def failed(self, finish: Finish, job: Job, exc: BaseException) -> None:
        try:
            self.job_event_metrics.processed(finish.queue, finish.task, finish.priority,
                                             finish.worker, self._run_time(finish, job), exc)
            if job.status is JobStatus.RETRYING:
                self.metrics.record_job_retry(finish.queue, finish.task)
            elif retries_exhausted(job):
                self.metrics.record_job_retries_exhausted(finish.queue, finish.task,
                                                          type(exc).__name__)
        finally:
            self._close(finish, lambda span: set_error(span, exc, job.status.value))

    # --- cancel_job / retry_job ---

    @staticmethod
    def enter_job_context(job: Job) -> Any:
        """Make the job's trace context (from its metadata) current; the token."""
        return otel_context.attach(extract(job.metadata))

    def cancelled(self, job: Job) -> None:
        self.metrics.record_job_cancelled(job.queue_name, job.task_name)

    def requeued(self, job: Job) -> None:
        self.metrics.record_job_retry(job.queue_name, job.task_name)

    # --- helpers ---

    def stall_timeout(self, manager: JobManager) -> float:
        if self.config.stall_timeout is not None:
            return self.config.stall_timeout
        return manager.stall_timeout.total_seconds()

    @staticmethod
    def _run_time(finish: Finish, job: Job) -> float | None:
        """The attempt's run time in seconds; None when unknown."""
        if finish.attempt is not None:
            seconds = time.perf_counter() - finish.attempt.started
        elif job.started_at is not None:
            seconds = ((job.completed_at or job.updated_at) - job.started_at).total_seconds()
        else:
            return None
        return max(0.0, seconds)

    def _capture(self, span: Span, key: str, name: str, value: Any) -> None:
        capture(span, key, name, value, self.config)

    def _result_capture(self, result: Any) -> Callable[[Span], None]:
        def mark(span: Span) -> None:
            if span.is_recording():
                self._capture(span, sc.SPAN_RESULT, "result", result)

        return mark

    def _close(self, finish: Finish, mark: Callable[[Span], None] | None) -> None:
        """End the attempt's span (after ``mark``) and restore the contexts, whatever raises."""
        try:
            attempt = finish.attempt
            if attempt is not None and self.in_flight.pop(finish.job_id, attempt):
                try:
                    if mark is not None:
                        mark(attempt.span)
                finally:
                    self._end(attempt, finish.owner)
        finally:
            self._release(finish)

    @staticmethod
    def _end(attempt: Attempt, owner: bool) -> None:
        attempt.closed = True
        attempt.span.end()
        if owner and attempt.token is not None:
            token, attempt.token = attempt.token, None
            otel_context.detach(token)

    @staticmethod
    def _release(finish: Finish) -> None:
        if finish.token is not None:
            token, finish.token = finish.token, None
            otel_context.detach(token)
