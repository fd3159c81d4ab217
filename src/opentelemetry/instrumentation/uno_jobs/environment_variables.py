"""Environment variables of the uno_jobs instrumentation, one per option of
``UnoJobsInstrumentor().instrument()`` (a keyword argument wins over its
variable). ``opentelemetry-instrument`` also accepts each as a flag, e.g.
``--uno_jobs_use_span_links true``. A value that does not parse logs a warning
and the default is used.
"""

OTEL_PYTHON_UNO_JOBS_USE_SPAN_LINKS = "OTEL_PYTHON_UNO_JOBS_USE_SPAN_LINKS"
"""``true``: a consumer span starts a trace of its own with a link to the producer
span, instead of being its child. Default ``false``."""

OTEL_PYTHON_UNO_JOBS_CAPTURE_ARGS = "OTEL_PYTHON_UNO_JOBS_CAPTURE_ARGS"
"""``true``: record job args, kwargs and results on spans as truncated JSON.
Default ``false`` (they may hold personal data)."""

OTEL_PYTHON_UNO_JOBS_CAPTURE_MAX_LENGTH = "OTEL_PYTHON_UNO_JOBS_CAPTURE_MAX_LENGTH"
"""Longest captured value, in characters (an int >= 16). Default ``1024``."""

OTEL_PYTHON_UNO_JOBS_REDACT_HOOK = "OTEL_PYTHON_UNO_JOBS_REDACT_HOOK"
"""``module:function`` called as ``function(name, value) -> value`` (name is
``args``, ``kwargs`` or ``result``) before a captured value is recorded. Default none."""

OTEL_PYTHON_UNO_JOBS_MONITORING = "OTEL_PYTHON_UNO_JOBS_MONITORING"
"""``true``: every started ``JobManager`` runs the metrics collector (queue and
worker gauges) and the health checker (health gauge and log records). Default ``true``."""

OTEL_PYTHON_UNO_JOBS_COLLECTION_INTERVAL = "OTEL_PYTHON_UNO_JOBS_COLLECTION_INTERVAL"
"""Seconds between refreshes of the queue and worker gauges. Default ``15``."""

OTEL_PYTHON_UNO_JOBS_HEALTH_CHECK_INTERVAL = "OTEL_PYTHON_UNO_JOBS_HEALTH_CHECK_INTERVAL"
"""Seconds between health evaluations. Default: the manager's ``health_check_interval``."""

OTEL_PYTHON_UNO_JOBS_STALL_TIMEOUT = "OTEL_PYTHON_UNO_JOBS_STALL_TIMEOUT"
"""Seconds after which the span of an attempt whose task is gone without
completing or failing the job is ended with an error. Default: the manager's
``stall_timeout``."""

OTEL_PYTHON_UNO_JOBS_SEMCONV_MODE = "OTEL_PYTHON_UNO_JOBS_SEMCONV_MODE"
"""Messaging attribute names: ``stable`` (``messaging.operation.type``/``.name``),
``legacy`` (``messaging.operation``) or ``dup`` (both). Default ``stable``, or ``dup``
when ``OTEL_SEMCONV_STABILITY_OPT_IN`` has ``messaging/dup`` (that variable, not one
of ours, also selects the messaging semantic-convention metrics)."""

OTEL_PYTHON_UNO_JOBS_BRIDGE_LOGS = "OTEL_PYTHON_UNO_JOBS_BRIDGE_LOGS"
"""``true``: when an OpenTelemetry logs pipeline is configured, the ``uno.jobs``
lifecycle records (INFO and up) reach it whatever level the root logger is at,
without reaching the application's other handlers below that level. Default ``true``."""

OTEL_PYTHON_UNO_JOBS_PROGRESS_LOGS = "OTEL_PYTHON_UNO_JOBS_PROGRESS_LOGS"
"""``true``: the ``enqueued`` and ``started`` lifecycle records reach the logs
pipeline too (two more records per job). Default ``false``: one record per
attempt outcome (INFO completed, with its wait and run time; WARNING failed or
retrying; ERROR failed after using every retry), plus cancellations."""
