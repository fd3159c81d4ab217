"""A real Prometheus (the Debian package) scrapes an app instrumented with zero
code and exporting with ``OTEL_METRICS_EXPORTER=prometheus``; its HTTP API then
answers the job counters, histogram buckets, gauges and health series."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .support import ROOT, free_port, instrumented, stop, subprocess_env, wait_until

APP = ROOT / "tests" / "deploy" / "apps" / "steady_load.py"
DEADLINE = 40.0  # seconds for every series to show up in Prometheus

# query -> label names each returned series must carry
EXPECTED = {
    "uno_jobs_job_enqueued_total": {"queue", "task", "priority"},
    "uno_jobs_job_completed_total": {"queue", "task", "worker"},
    'uno_jobs_job_failed_total{error_type="ValueError", task="broken"}':
        {"queue", "task", "worker", "error_type"},
    'uno_jobs_job_retry_total{task="flaky"}': {"queue", "task"},
    # the last bounds of each histogram (Prometheus 3 writes le="600", 2.x keeps "600.0")
    'uno_jobs_execution_time_seconds_bucket{le=~"600(.0)?"}': {"queue", "task", "le"},
    'uno_jobs_wait_time_seconds_bucket{le=~"3600(.0)?"}': {"queue", "task", "priority", "le"},
    'uno_jobs_queue_length{queue="emails"}': {"queue", "status"},
    "uno_jobs_worker_busy": {"worker_type"},
    "uno_jobs_worker_idle": {"worker_type"},
    'uno_jobs_health{check="queue:emails"}': {"check", "status"},
}


def find_prometheus() -> str:
    exe = shutil.which("prometheus") or ("/usr/bin/prometheus"
                                         if Path("/usr/bin/prometheus").exists() else None)
    if exe is None:
        pytest.fail("prometheus not found: install Debian's package (`apt-get install "
                    "prometheus`, done by scripts/test.sh) to run the real-Prometheus test",
                    pytrace=False)
    return exe


def query(port: int, promql: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return []
    return body["data"]["result"] if body.get("status") == "success" else []


def http_text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return ""


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def test_prometheus_scrapes_job_counters_histograms_gauges_and_health(tmp_path: Path) -> None:
    prometheus = find_prometheus()
    app_port, prom_port = free_port(), free_port()
    env = subprocess_env(
        OTEL_SERVICE_NAME="steady-load", OTEL_METRICS_EXPORTER="prometheus",
        OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT=str(app_port),
        OTEL_TRACES_EXPORTER="none", OTEL_LOGS_EXPORTER="none",
        OTEL_PYTHON_UNO_JOBS_COLLECTION_INTERVAL="1",  # queue/worker gauges every second
    )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: uno_jobs_app\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{app_port}']\n")
    app_log, prom_log = tmp_path / "app.log", tmp_path / "prometheus.log"
    procs: list[subprocess.Popen] = []
    try:
        with open(app_log, "wb") as out:
            procs.append(subprocess.Popen(instrumented(str(APP), "--duration", "55"), cwd=ROOT,
                                          env=env, stdout=out, stderr=subprocess.STDOUT))
        with open(prom_log, "wb") as out:
            procs.append(subprocess.Popen(
                [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT))
        started = time.monotonic()
        try:
            wait_until(lambda: procs[0].poll() is not None or "uno_jobs_job_completed_total"
                       in http_text(f"http://127.0.0.1:{app_port}/metrics"),
                       timeout=20, what="the app's /metrics")
            assert procs[0].poll() is None, f"the app exited with {procs[0].returncode}"
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- app log\n{log_tail(app_log)}") from None

        found: dict[str, list[dict]] = {}

        def all_series_present() -> bool:
            for promql in EXPECTED:
                if promql not in found and (result := query(prom_port, promql)):
                    found[promql] = result
            return len(found) == len(EXPECTED)

        try:
            wait_until(all_series_present, timeout=DEADLINE - (time.monotonic() - started),
                       what="every series in Prometheus", interval=0.5)
        except AssertionError as exc:
            missing = sorted(set(EXPECTED) - set(found))
            raise AssertionError(
                f"{exc}; missing {missing}\n--- app /metrics (uno_jobs lines)\n"
                + "\n".join(line for line in http_text(f"http://127.0.0.1:{app_port}/metrics")
                            .splitlines() if line.startswith("uno_jobs"))[:4000]
                + f"\n--- prometheus log\n{log_tail(prom_log)}") from None

        for promql, labels in EXPECTED.items():
            for series in found[promql]:
                missing_labels = labels - set(series["metric"])
                assert not missing_labels, f"{promql}: {series['metric']} lacks {missing_labels}"
        counts = {s["metric"]["task"]: float(s["value"][1])
                  for s in found["uno_jobs_job_completed_total"]}
        assert counts.get("send_email", 0) > 0 and counts.get("flaky", 0) > 0, counts
        statuses = {s["metric"]["status"]: float(s["value"][1])
                    for s in found['uno_jobs_health{check="queue:emails"}']}
        assert set(statuses) == {"healthy", "degraded", "unhealthy"}, statuses
        assert sum(statuses.values()) == 1.0, statuses
        queue_statuses = {s["metric"]["status"]
                          for s in found['uno_jobs_queue_length{queue="emails"}']}
        assert {"pending", "running", "completed"} <= queue_statuses, queue_statuses
    finally:
        for proc in procs:
            stop(proc)
