"""Shared pieces of the deployment tests: paths, free ports, subprocess
environments and a polling helper.

    env = subprocess_env(OTEL_SERVICE_NAME="producer")
    proc = subprocess.Popen([*instrumented(), "python-args..."], cwd=ROOT, env=env)
    wait_until(lambda: ready(proc), timeout=10, what="the app to start")
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent  # the venv's scripts: opentelemetry-instrument, uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(**overrides: str) -> dict[str, str]:
    """This environment, with the repo root importable (``examples.*``, ``tests.*``),
    the venv's scripts first on PATH, no inherited OTEL_* settings, and ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def instrumented(*command: str) -> list[str]:
    """``opentelemetry-instrument <this python> command...``"""
    return [str(BIN / "opentelemetry-instrument"), sys.executable, *command]


def otlp_env(endpoint: str, protocol: str = "http/protobuf") -> dict[str, str]:
    """Environment that sends a process's traces to ``endpoint`` (metrics and logs off)."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "200"}


def wait_until(condition: Callable[[], object], timeout: float, what: str,
               interval: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after ``timeout``; the exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def run_example(*command: str, timeout: float = 50, **env: str) -> subprocess.CompletedProcess:
    """Run ``command`` from the repo root; fail with its output if it exits non-zero."""
    proc = subprocess.run(list(command), cwd=ROOT, env=subprocess_env(**env), text=True,
                          capture_output=True, timeout=timeout)
    assert proc.returncode == 0, (f"{' '.join(command)} exited {proc.returncode}\n"
                                  f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc
