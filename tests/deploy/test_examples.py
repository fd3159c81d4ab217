"""Each example runs as its docstring says and ends by itself (the producer and
worker pair: test_trace_join.py; the FastAPI app in-process: test_fastapi_example.py)."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from .otlp_grpc import OtlpGrpcReceiver
from .support import BIN, EXAMPLES, ROOT, free_port, run_example, stop, subprocess_env, wait_until

PRODUCER, CONSUMER = 4, 5  # opentelemetry.proto.trace.v1.Span.SpanKind


def test_examples_readme_lists_every_example() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix in (".py", ".sh"):
            assert path.name in readme, f"examples/README.md does not mention {path.name}"
    assert "collector-config" in readme


def test_quickstart_runs_jobs_and_prints_their_telemetry() -> None:
    out = run_example(sys.executable, "examples/quickstart.py", COLUMNS="200").stdout
    for text in ("Jobs", "Spans", "Metrics", "enqueue send_email", "process build_report",
                 "PRODUCER", "CONSUMER", "completed", "failed", "uno_jobs.job_completed",
                 "uno_jobs.execution_time"):
        assert text in out, f"{text!r} missing from the quickstart's output:\n{out}"


def test_alerting_alerts_fire_and_resolve_during_the_run() -> None:
    out = run_example(sys.executable, "examples/alerting.py").stdout
    lines = out.splitlines()
    for alert in ("reports_backlog", "payment_failure_ratio"):
        fired = [i for i, line in enumerate(lines) if "FIRING" in line and alert in line]
        resolved = [i for i, line in enumerate(lines) if "RESOLVED" in line and alert in line]
        assert fired and resolved, f"{alert} should fire then resolve:\n{out}"
        assert fired[0] < resolved[-1], out
    assert "still firing at the end: none" in out, out


def test_fastapi_app_serves_under_uvicorn_as_written(tmp_path) -> None:
    port = free_port()
    log = tmp_path / "uvicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(BIN / "uvicorn"), "examples.fastapi_app:app",
                                   "--port", str(port)], cwd=ROOT, env=subprocess_env(),
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.poll() is not None or "Application startup complete"
                   in log.read_text(), timeout=15, what="uvicorn to start")
        assert server.poll() is None, log.read_text()
        with httpx.Client(base_url=base, timeout=5) as client:
            response = client.post("/signup", json={"email": "ada@example.com"})
            assert response.status_code == 202, response.text
            job_id = response.json()["job_id"]
            wait_until(lambda: client.get(f"/jobs/{job_id}").json()["status"] == "completed",
                       timeout=10, what="the welcome email job")
            assert client.get("/jobs/health").status_code == 200
            assert client.get("/jobs/queues").json()["queues"]["emails"]["by_status"][
                "completed"] == 1
    finally:
        status = stop(server)
    # uvicorn re-raises the SIGTERM after its graceful shutdown
    assert status in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete" in log.read_text()


def test_zero_code_script_sends_traces_metrics_and_logs_over_otlp_grpc() -> None:
    with OtlpGrpcReceiver() as receiver:
        # as written (OTLP/gRPC), but to the in-test receiver instead of localhost:4317, and
        # exporting metrics while the app runs, so the live gauges are seen
        run_example("bash", "examples/zero_code.sh", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                    OTEL_METRIC_EXPORT_INTERVAL="300")
        wait_until(lambda: any(s.kind == CONSUMER for s in receiver.spans()), timeout=10,
                   what="consumer spans")
        spans = receiver.spans()
        producers = {s.span_id: s for s in spans if s.kind == PRODUCER}
        joined = [s for s in spans if s.kind == CONSUMER and s.parent_span_id in producers
                  and producers[s.parent_span_id].trace_id == s.trace_id]
        assert joined, "no consumer span is the child of a producer span"
        for name in ("uno_jobs.job_enqueued", "uno_jobs.job_completed", "uno_jobs.job_failed",
                     "uno_jobs.execution_time", "uno_jobs.queue_length", "uno_jobs.health"):
            assert receiver.metric_points(name), f"no {name} points"
        lifecycle = [log for log in receiver.logs() if " completed (" in log.body]
        assert lifecycle and all(log.trace_id.strip("0") for log in lifecycle), lifecycle
