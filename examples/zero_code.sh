#!/usr/bin/env bash
# Run a Python program under `opentelemetry-instrument`, exporting traces, metrics
# and logs over OTLP/gRPC to the collector of collector-config/ (localhost:4317):
#
#   otelcol-contrib --config collector-config/otel-collector.yaml   # the collector
#   bash examples/zero_code.sh                       # runs examples/zero_code_app.py
#   bash examples/zero_code.sh python -m uno.jobs worker --storage sqlite:///jobs.db \
#       --app examples.worker_app --queues images   # any command line (from the repo root)
#
# No code changes: the uno_jobs plugin is loaded through its entry point. Every
# setting below is a default: export your own value (e.g. OTEL_SERVICE_NAME, or
# OTEL_EXPORTER_OTLP_ENDPOINT for a remote collector) to override it.
set -euo pipefail

# Where and how to send: the collector's OTLP gRPC receiver.
export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-uno-jobs-example}"
export OTEL_EXPORTER_OTLP_ENDPOINT="${OTEL_EXPORTER_OTLP_ENDPOINT:-http://localhost:4317}"
export OTEL_EXPORTER_OTLP_PROTOCOL="${OTEL_EXPORTER_OTLP_PROTOCOL:-grpc}"
export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-otlp}"
export OTEL_METRICS_EXPORTER="${OTEL_METRICS_EXPORTER:-otlp}"
export OTEL_LOGS_EXPORTER="${OTEL_LOGS_EXPORTER:-otlp}"
export OTEL_METRIC_EXPORT_INTERVAL="${OTEL_METRIC_EXPORT_INTERVAL:-10000}"
# Log records carry the job's trace and span ids.
export OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED="${OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED:-true}"
# Keep every span when jobs finish faster than the default batch processor
# exports (queue 2048, batch 512, 5 s delay would drop them under load).
export OTEL_BSP_MAX_QUEUE_SIZE="${OTEL_BSP_MAX_QUEUE_SIZE:-65536}"
export OTEL_BSP_MAX_EXPORT_BATCH_SIZE="${OTEL_BSP_MAX_EXPORT_BATCH_SIZE:-2048}"
export OTEL_BSP_SCHEDULE_DELAY="${OTEL_BSP_SCHEDULE_DELAY:-500}"

if [ "$#" -eq 0 ]; then
  set -- python "$(dirname "$0")/zero_code_app.py"
fi
exec opentelemetry-instrument "$@"
