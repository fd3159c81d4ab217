"""Every metric name, unit, description, bucket list and attribute key of the
project, in one place. The plugin, ``JobMetrics``, the Prometheus export, the
collector config and the alert rules all use these names.

    from uno.jobs.monitoring import semconv
    counter = semconv.create_instrument(meter, semconv.JOB_ENQUEUED)
    counter.add(1, {semconv.ATTR_QUEUE: "emails", semconv.ATTR_TASK: "send"})

Metric names are ``{namespace}.{name}`` with the namespace ``uno_jobs``; in
Prometheus they read ``uno_jobs_job_enqueued_total``,
``uno_jobs_execution_time_seconds_bucket``, ``uno_jobs_queue_length`` ...
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE

from uno.core.monitoring.spec import DEFAULT_NAMESPACE as DEFAULT_NAMESPACE
from uno.core.monitoring.spec import InstrumentKind as InstrumentKind
from uno.core.monitoring.spec import MetricSpec as MetricSpec

MESSAGING_SYSTEM: Final = "uno_jobs"

# --- metric attribute keys (the uno labels; bounded values only) ---
ATTR_QUEUE: Final = "queue"
ATTR_TASK: Final = "task"
ATTR_PRIORITY: Final = "priority"
ATTR_WORKER: Final = "worker"
ATTR_ERROR_TYPE: Final = "error_type"
ATTR_STATUS: Final = "status"
ATTR_WORKER_TYPE: Final = "worker_type"
ATTR_CHECK: Final = "check"
ATTR_ALERT: Final = "alert"
ATTR_SEVERITY: Final = "severity"
ATTR_SCHEDULE: Final = "schedule"

# --- span attribute keys: the semantic conventions' where they define one, then ours ---
SPAN_MESSAGING_SYSTEM: Final = messaging.MESSAGING_SYSTEM
SPAN_OPERATION_TYPE: Final = messaging.MESSAGING_OPERATION_TYPE
SPAN_OPERATION_NAME: Final = messaging.MESSAGING_OPERATION_NAME
SPAN_DESTINATION: Final = messaging.MESSAGING_DESTINATION_NAME
SPAN_MESSAGE_ID: Final = messaging.MESSAGING_MESSAGE_ID
SPAN_BATCH_MESSAGE_COUNT: Final = messaging.MESSAGING_BATCH_MESSAGE_COUNT  # enqueue_many
SPAN_CONSUMER_GROUP: Final = messaging.MESSAGING_CONSUMER_GROUP_NAME
SPAN_ERROR_TYPE: Final = ERROR_TYPE
SPAN_TASK: Final = "uno_jobs.task.name"
SPAN_PRIORITY: Final = "uno_jobs.job.priority"
SPAN_RETRY_COUNT: Final = "uno_jobs.job.retry_count"
SPAN_ATTEMPT: Final = "uno_jobs.job.attempt"
SPAN_MAX_RETRIES: Final = "uno_jobs.job.max_retries"
SPAN_WORKER: Final = "uno_jobs.worker.name"
SPAN_STATUS: Final = "uno_jobs.job.status"
SPAN_ARGS: Final = "uno_jobs.job.args"
SPAN_KWARGS: Final = "uno_jobs.job.kwargs"
SPAN_RESULT: Final = "uno_jobs.job.result"
SPAN_WAIT_TIME: Final = "uno_jobs.job.wait_time"

EXECUTION_TIME_BUCKETS: Final = (0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)
WAIT_TIME_BUCKETS: Final = EXECUTION_TIME_BUCKETS + (1800.0, 3600.0)


_C, _H, _G = InstrumentKind.COUNTER, InstrumentKind.HISTOGRAM, InstrumentKind.OBSERVABLE_GAUGE
_OC = InstrumentKind.OBSERVABLE_COUNTER

JOB_ENQUEUED: Final = MetricSpec(
    "job_enqueued", _C, "{job}", "Number of jobs enqueued", (ATTR_QUEUE, ATTR_TASK, ATTR_PRIORITY)
)
JOB_STARTED: Final = MetricSpec(
    "job_started", _C, "{job}", "Number of jobs started", (ATTR_QUEUE, ATTR_TASK, ATTR_WORKER)
)
JOB_COMPLETED: Final = MetricSpec(
    "job_completed", _C, "{job}", "Number of jobs completed successfully",
    (ATTR_QUEUE, ATTR_TASK, ATTR_WORKER),
)
JOB_FAILED: Final = MetricSpec(
    "job_failed", _C, "{job}", "Number of jobs that failed",
    (ATTR_QUEUE, ATTR_TASK, ATTR_WORKER, ATTR_ERROR_TYPE),
)
JOB_RETRY: Final = MetricSpec(
    "job_retry", _C, "{job}", "Number of job retries", (ATTR_QUEUE, ATTR_TASK)
)
JOB_CANCELLED: Final = MetricSpec(
    "job_cancelled", _C, "{job}", "Number of jobs cancelled", (ATTR_QUEUE, ATTR_TASK)
)
JOB_RETRIES_EXHAUSTED: Final = MetricSpec(
    "job_retries_exhausted", _C, "{job}",
    "Number of jobs that failed for good after using all their retries (max_retries > 0)",
    (ATTR_QUEUE, ATTR_TASK, ATTR_ERROR_TYPE),
)
EXECUTION_TIME: Final = MetricSpec(
    "execution_time", _H, "s", "Job execution time in seconds", (ATTR_QUEUE, ATTR_TASK),
    EXECUTION_TIME_BUCKETS,
)
WAIT_TIME: Final = MetricSpec(
    "wait_time", _H, "s", "Time from when a job became due to when it started, in seconds",
    (ATTR_QUEUE, ATTR_TASK, ATTR_PRIORITY), WAIT_TIME_BUCKETS,
)
QUEUE_LENGTH: Final = MetricSpec(
    "queue_length", _G, "{job}", "Number of jobs in queue", (ATTR_QUEUE, ATTR_STATUS)
)
WORKER_BUSY: Final = MetricSpec(
    "worker_busy", _G, "{worker}", "Number of busy workers", (ATTR_WORKER_TYPE,)
)
WORKER_IDLE: Final = MetricSpec(
    "worker_idle", _G, "{worker}", "Number of idle workers", (ATTR_WORKER_TYPE,)
)
HEALTH: Final = MetricSpec(
    "health", _G, "", "1 for a health check's current status, 0 for the others",
    (ATTR_CHECK, ATTR_STATUS),
)
ALERTS: Final = MetricSpec(
    "alerts", _G, "", "1 while an alert fires, 0 otherwise", (ATTR_ALERT, ATTR_SEVERITY)
)

# --- ages and lags (issue #7): what operators page on ---
QUEUE_OLDEST_JOB_AGE: Final = MetricSpec(
    "queue_oldest_job_age", _G, "s",
    "Seconds since the oldest due waiting (pending or retrying) job of a queue became due;"
    " 0 when none waits", (ATTR_QUEUE,),
)
SCHEDULER_LAG: Final = MetricSpec(
    "scheduler_lag", _G, "s", "Seconds the last run of a schedule started after it was due",
    (ATTR_SCHEDULE,),
)
SCHEDULER_MISSED_RUNS: Final = MetricSpec(
    "scheduler_missed_runs", _OC, "{run}",
    "Runs of a schedule skipped because the scheduler was late past them (cumulative)",
    (ATTR_SCHEDULE,),
)
WORKER_HEARTBEAT_AGE: Final = MetricSpec(
    "worker_heartbeat_age", _G, "s", "Seconds since a worker's last heartbeat", (ATTR_WORKER,)
)

COUNTERS: Final = (JOB_ENQUEUED, JOB_STARTED, JOB_COMPLETED, JOB_FAILED, JOB_RETRY, JOB_CANCELLED,
                   JOB_RETRIES_EXHAUSTED)
HISTOGRAMS: Final = (EXECUTION_TIME, WAIT_TIME)
GAUGES: Final = (QUEUE_LENGTH, WORKER_BUSY, WORKER_IDLE, HEALTH, ALERTS,
                  QUEUE_OLDEST_JOB_AGE, SCHEDULER_LAG, WORKER_HEARTBEAT_AGE)
OBSERVABLE_COUNTERS: Final = (SCHEDULER_MISSED_RUNS,)
ALL_METRICS: Final = COUNTERS + HISTOGRAMS + GAUGES + OBSERVABLE_COUNTERS

# --- span attribute keys added by the instrumentation plugin ---
SPAN_OPERATION_LEGACY: Final = messaging.MESSAGING_OPERATION
"""Pre-1.26 messaging semconv (``publish``/``process``); set in the ``legacy`` and ``dup`` modes."""
SPAN_SCHEDULE: Final = "uno_jobs.schedule.name"
"""The schedule that created the job (scheduler producer spans)."""
SPAN_LINK_KIND: Final = "uno_jobs.link.kind"
"""On a consumer span's link: ``previous_attempt`` for the link to the job's previous attempt."""

# --- messaging semantic-convention metrics (OTEL_SEMCONV_STABILITY_OPT_IN=messaging[/dup]) ---
# The plugin creates them (on JobMetrics' MetricsManager) only when opted in; not in ALL_METRICS.
MESSAGING_DURATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0,
                                     2.5, 5.0, 7.5, 10.0)
MESSAGING_ATTRIBUTES: Final = (SPAN_MESSAGING_SYSTEM, SPAN_OPERATION_NAME, SPAN_OPERATION_TYPE,
                               SPAN_DESTINATION, SPAN_ERROR_TYPE)
"""``error.type`` only on failure; ``messaging.destination.name`` when the queue is known."""

MESSAGING_CLIENT_SENT_MESSAGES: Final = MetricSpec(
    "messaging.client.sent.messages", _C, "{message}",
    "Number of messages producer attempted to send to the broker.", MESSAGING_ATTRIBUTES,
    namespaced=False,
)
"""Counter, ``{message}``: one per ``enqueue`` call (operation ``enqueue``/``send``)."""
MESSAGING_CLIENT_OPERATION_DURATION: Final = MetricSpec(
    "messaging.client.operation.duration", _H, "s",
    "Duration of messaging operation initiated by a producer or consumer client.",
    MESSAGING_ATTRIBUTES, MESSAGING_DURATION_BUCKETS, namespaced=False,
)
"""Histogram, ``s``: how long each ``enqueue`` call took."""
MESSAGING_CLIENT_CONSUMED_MESSAGES: Final = MetricSpec(
    "messaging.client.consumed.messages", _C, "{message}",
    "Number of messages that were delivered to the application.", MESSAGING_ATTRIBUTES,
    namespaced=False,
)
"""Counter, ``{message}``: one per attempt started (operation ``process``)."""
MESSAGING_PROCESS_DURATION: Final = MetricSpec(
    "messaging.process.duration", _H, "s", "Duration of processing operation.",
    MESSAGING_ATTRIBUTES, MESSAGING_DURATION_BUCKETS, namespaced=False,
)
"""Histogram, ``s``: each attempt's run time, with ``error.type`` when it failed."""
MESSAGING_METRICS: Final = (MESSAGING_CLIENT_SENT_MESSAGES, MESSAGING_CLIENT_OPERATION_DURATION,
                            MESSAGING_CLIENT_CONSUMED_MESSAGES, MESSAGING_PROCESS_DURATION)
UNO_METRICS_REPLACED_BY_MESSAGING: Final = (JOB_ENQUEUED, JOB_STARTED, JOB_COMPLETED,
                                             JOB_FAILED, EXECUTION_TIME)
"""Not recorded with ``OTEL_SEMCONV_STABILITY_OPT_IN=messaging`` (``messaging/dup``: both)."""

# --- the telemetry pipeline itself ---
TELEMETRY_DROPPED_SPANS: Final = MetricSpec(
    "telemetry.dropped_spans", _OC, "{span}",
    "Spans the SDK's batch span processors dropped (queue full, or ended after shutdown)",
    (ATTR_ERROR_TYPE,),
)
"""Observable counter, ``{span}``; ``error_type`` is ``queue_full`` or ``already_shutdown``.
Created by the plugin when the tracer provider is the SDK's; not in ALL_METRICS."""
