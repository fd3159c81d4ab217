"""examples/producer.py and examples/worker_app.py in two processes sharing a
SQLite file, both under ``opentelemetry-instrument`` exporting OTLP/HTTP, each
to its own in-test receiver: each job's consumer span (worker process) is in
its producer span's trace (producer process), with the producer span as its parent."""

from __future__ import annotations

import subprocess
from pathlib import Path

from plugin.otlp_http import OtlpHttpReceiver, Span  # tests/ is on sys.path under pytest

from .support import EXAMPLES, ROOT, instrumented, otlp_env, stop, subprocess_env, wait_until

PRODUCER, CONSUMER = 4, 5  # opentelemetry.proto.trace.v1.Span.SpanKind
JOBS = 4


def by_job(spans: list[Span], kind: int) -> dict[str, Span]:
    return {s.attributes["messaging.message.id"]: s for s in spans
            if s.kind == kind and "messaging.message.id" in s.attributes}


def test_worker_process_spans_join_the_producer_process_traces(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'jobs.db'}"
    worker_log = tmp_path / "worker.log"
    with OtlpHttpReceiver() as from_producer, OtlpHttpReceiver() as from_worker:
        with open(worker_log, "wb") as out:
            worker = subprocess.Popen(
                instrumented("-m", "uno.jobs", "worker", "--storage", storage,
                             "--app", "examples.worker_app", "--queues", "images",
                             "--name", "images-worker"),
                cwd=ROOT, env=subprocess_env(**otlp_env(from_worker.endpoint),
                                             OTEL_SERVICE_NAME="image-worker"),
                stdout=out, stderr=subprocess.STDOUT)
        try:
            producer = subprocess.run(
                instrumented(str(EXAMPLES / "producer.py"), "--storage", storage,
                             "--jobs", str(JOBS), "--timeout", "30"),
                cwd=ROOT, env=subprocess_env(**otlp_env(from_producer.endpoint),
                                             OTEL_SERVICE_NAME="image-producer"),
                capture_output=True, text=True, timeout=45)
        finally:
            worker_status = stop(worker, timeout=15)  # exits at once: the jobs are done
        worker_output = worker_log.read_text(errors="replace")
        assert producer.returncode == 0, f"{producer.stdout}\n{producer.stderr}\n{worker_output}"
        assert producer.stdout.count(" completed on images-worker") == JOBS, producer.stdout
        assert worker_status == 0, worker_output
        wait_until(lambda: len(by_job(from_producer.spans(), PRODUCER)) >= JOBS
                   and len(by_job(from_worker.spans(), CONSUMER)) >= JOBS,
                   timeout=10, what=f"{JOBS} producer and {JOBS} consumer spans")
        produced = by_job(from_producer.spans(), PRODUCER)
        consumed = by_job(from_worker.spans(), CONSUMER)

    assert set(produced) == set(consumed) and len(produced) == JOBS
    for job_id, producer_span in produced.items():
        consumer_span = consumed[job_id]
        assert producer_span.name == "enqueue resize_image"
        assert consumer_span.name == "process resize_image"
        assert consumer_span.trace_id == producer_span.trace_id, job_id
        assert consumer_span.parent_span_id == producer_span.span_id, job_id
    assert len({s.trace_id for s in produced.values()}) == JOBS, "one trace per job"
