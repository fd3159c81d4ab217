"""Running the burst app (``apps/burst.py``) under ``opentelemetry-instrument``
against a live, an unreachable or a hanging OTLP/HTTP collector, measuring what
the outage costs the job system: job time, peak RSS and how long the process
takes to exit after its last job.

    with collector("hanging") as endpoint:
        run = run_burst(endpoint, jobs=2000, **RECOMMENDED_ENV)
    run.completed, run.job_seconds, run.peak_rss_mb, run.exit_seconds

Used by ``test_outage.py`` (a small burst) and ``benchmarks/outage.py`` (5,000 jobs).
The peak RSS is the child's ``ru_maxrss`` as ``wait4`` reports it, so it covers
the SDK's shutdown at exit too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
KINDS = ("live", "closed", "hanging")

DELIVERY_ENV = {  # the README's "Keeping every span under load"
    "OTEL_BSP_MAX_QUEUE_SIZE": "65536", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048",
    "OTEL_BSP_SCHEDULE_DELAY": "500",
    "OTEL_BLRP_MAX_QUEUE_SIZE": "65536", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "2048",
    "OTEL_BLRP_SCHEDULE_DELAY": "500",
}
OUTAGE_ENV = {  # the README's "Collector outages": each export gives up after 2 s
    "OTEL_EXPORTER_OTLP_TIMEOUT": "2",
}
RECOMMENDED_ENV = {**DELIVERY_ENV, **OUTAGE_ENV}


@dataclass(frozen=True)
class BurstRun:
    returncode: int
    report: dict[str, Any]
    exit_seconds: float  # from the last job finished to the process gone
    peak_rss_kb: int
    output: str

    @property
    def completed(self) -> int:
        return int(self.report.get("completed", 0))

    @property
    def job_seconds(self) -> float:
        return float(self.report["job_seconds"])

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss_kb / 1024


class HangingCollector:
    """A TCP server that accepts every connection, reads what it is sent and never answers."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def __enter__(self) -> HangingCollector:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closed.set()
        self._server.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    @staticmethod
    def _drain(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while connection.recv(65536):
                pass


def closed_port_endpoint() -> str:
    """An endpoint nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def collector(kind: str, protocol: str = "http/protobuf") -> Iterator[str]:
    """The endpoint of a ``live`` receiver (of ``protocol``), a ``closed`` port
    or a ``hanging`` server."""
    if kind == "live":
        # tests/ is on sys.path (pytest's rootdir, or the benchmark puts it there)
        from plugin.otlp_http import OtlpHttpReceiver  # noqa: PLC0415

        receiver_type = OtlpHttpReceiver
        if protocol == "grpc":
            from deploy.otlp_grpc import OtlpGrpcReceiver  # noqa: PLC0415

            receiver_type = OtlpGrpcReceiver
        with receiver_type() as receiver:
            yield receiver.endpoint
    elif kind == "hanging":
        with HangingCollector() as hanging:
            yield hanging.endpoint
    elif kind == "closed":
        yield closed_port_endpoint()
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def burst_env(endpoint: str, **overrides: str) -> dict[str, str]:
    """No inherited OTEL_* settings; traces, metrics and logs over OTLP/HTTP to
    ``endpoint``, lifecycle logs included; then ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update({
        "OTEL_SERVICE_NAME": "outage-burst",
        "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "true",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
        **overrides,
    })
    return env


def run_burst(endpoint: str, jobs: int, timeout: float = 120.0, **env: str) -> BurstRun:
    """Run the burst app instrumented against ``endpoint`` (``env`` on top of
    ``burst_env``'s) and wait for it to exit."""
    command = [str(INSTRUMENT), sys.executable, "-m", "tests.hardening.apps.burst",
               "--jobs", str(jobs)]
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=burst_env(endpoint, **env),
                                stdout=out, stderr=subprocess.STDOUT, text=True)
        status, usage, exited_at = _wait4(proc, timeout)
        out.seek(0)
        output = out.read()
    report = _report(output)
    finished_at = float(report.get("finished_at", exited_at))
    return BurstRun(os.waitstatus_to_exitcode(status), report, exited_at - finished_at,
                    int(usage.ru_maxrss), output)


def _wait4(proc: subprocess.Popen, timeout: float) -> tuple[int, Any, float]:
    """The child's wait status and resource usage (``ru_maxrss``), and when it exited."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen quiet
            return status, usage, time.time()
        if time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
        time.sleep(0.02)


def _report(output: str) -> dict[str, Any]:
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return json.loads(line)
    return {}
