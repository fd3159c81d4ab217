"""The harness of ``benchmarks/postgres.py`` and ``benchmarks/redis.py``: the same
measurements of uno (uninstrumented and instrumented) and of a peer queue, on
the same server in one run, printed as one table with ratios against the peer.

A ``System`` says how to get a fresh namespace (``reset``) and the commands of
its two roles: a worker process (concurrency C, running no-op jobs that call
``benchmarks.store_app.PROBE``) and a producer process (``one``: N jobs enqueued
one by one; ``batch``: in batches of 1,000; ``paced``: one by one at R jobs/s,
each carrying its enqueue time). Every figure comes from separate processes:

- enqueue/s: N over the producer's own timing (start-up left out);
- drain/s with 1, 2 and 4 worker processes: N jobs enqueued first, then the
  workers started; N over first job started -> last job run (from the probes);
- pickup p50/p99: one worker process idles, a producer enqueues at R jobs/s for
  S seconds; latency = job start - enqueue call (same host clock).

Instrumented: the uno processes run under ``opentelemetry-instrument`` — the
zero-code provider set-up (BatchSpanProcessor, a periodic metric reader, a
LoggerProvider on the root logger) exporting traces, metrics and logs over
OTLP/HTTP to a sink in this process that discards them, with the README's
recommended ``OTEL_BSP_*``/``OTEL_BLRP_*`` settings.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENT = Path(sys.executable).parent / "opentelemetry-instrument"
README_OTEL = {"OTEL_BSP_MAX_QUEUE_SIZE": "65536", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048",
               "OTEL_BSP_SCHEDULE_DELAY": "500", "OTEL_BLRP_MAX_QUEUE_SIZE": "65536",
               "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "2048", "OTEL_BLRP_SCHEDULE_DELAY": "500",
               "OTEL_EXPORTER_OTLP_TIMEOUT": "2"}


@dataclass
class System:
    name: str
    reset: Callable[[], str]  # a fresh, empty namespace: the target the roles get
    worker: Callable[[str, int], list[str]]  # (target, concurrency) -> command
    producer: Callable[[str, str, int, float], list[str]]  # (target, mode, jobs, rate)
    instrumented: bool = False


class Sink:
    """An OTLP/HTTP endpoint that answers 200 and drops what it gets."""

    def __enter__(self) -> Sink:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a Collector: no connection per export

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Bench:
    tmp: Path
    sink: str
    log: list[str] = field(default_factory=list)

    def env(self, system: System, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if system.instrumented:
            env.update(README_OTEL, OTEL_SERVICE_NAME="uno-bench",
                       OTEL_TRACES_EXPORTER="otlp", OTEL_METRICS_EXPORTER="otlp",
                       OTEL_LOGS_EXPORTER="otlp", OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                       OTEL_EXPORTER_OTLP_ENDPOINT=self.sink,
                       OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED="true",
                       PYTHONWARNINGS="ignore::DeprecationWarning")
        return {**env, **extra}

    def command(self, system: System, command: list[str]) -> list[str]:
        return [str(INSTRUMENT), *command] if system.instrumented else command

    def produce(self, system: System, target: str, mode: str, jobs: int,
                rate: float = 0.0) -> float:
        done = subprocess.run(self.command(system, system.producer(target, mode, jobs, rate)),
                              cwd=ROOT, env=self.env(system), capture_output=True, text=True,
                              timeout=600)
        if done.returncode:
            raise RuntimeError(f"{system.name} producer failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]

    def start_workers(self, system: System, target: str, count: int,
                      concurrency: int) -> list[tuple[subprocess.Popen, Path]]:
        workers = []
        for n in range(count):
            probe = self.tmp / f"probe-{time.monotonic_ns()}-{n}.json"
            log = open(self.tmp / f"{probe.stem}.log", "wb")  # noqa: SIM115 - child holds it
            proc = subprocess.Popen(self.command(system, system.worker(target, concurrency)),
                                    cwd=ROOT, env=self.env(system, BENCH_PROBE=str(probe)),
                                    stdout=log, stderr=subprocess.STDOUT)
            workers.append((proc, probe))
        return workers

    def wait_probes(self, workers: Sequence[tuple[subprocess.Popen, Path]], jobs: int,
                    timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            probes = [json.loads(p.read_text()) for _, p in workers if p.exists()]
            if sum(p["count"] for p in probes) >= jobs:
                time.sleep(0.2)  # a job run twice would show by now
                return [json.loads(p.read_text()) for _, p in workers if p.exists()]
            dead = [proc for proc, _ in workers if proc.poll() is not None]
            if dead or time.monotonic() > deadline:
                self.stop(workers)
                logs = "".join((self.tmp / f"{p.stem}.log").read_text()[-2000:]
                               for _, p in workers)
                raise RuntimeError(f"{sum(p['count'] for p in probes)}/{jobs} jobs ran "
                                   f"({'a worker died' if dead else 'timed out'}):\n{logs}")
            time.sleep(0.02)

    def stop(self, workers: Sequence[tuple[subprocess.Popen, Path]]) -> None:
        for proc, _ in workers:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # --- the measurements ---

    def enqueue_rate(self, system: System, mode: str, jobs: int) -> float:
        return jobs / self.produce(system, system.reset(), mode, jobs)

    def drain_rate(self, system: System, processes: int, jobs: int, concurrency: int) -> float:
        target = system.reset()
        self.produce(system, target, "fill", jobs)
        workers = self.start_workers(system, target, processes, concurrency)
        probes = self.wait_probes(workers, jobs, timeout=300)
        self.stop(workers)
        ran = sum(p["count"] for p in probes)
        if ran != jobs:
            self.log.append(f"{system.name}: {ran} runs of {jobs} jobs with {processes} procs")
        first = min(p["first"] for p in probes if p["count"])
        return jobs / (max(p["last"] for p in probes) - first)

    def pickup(self, system: System, rate: float, seconds: float,
               concurrency: int) -> tuple[float, float]:
        """(p50, p99) enqueue -> start in ms at ``rate`` jobs/s, one idle worker process."""
        target = system.reset()
        workers = self.start_workers(system, target, 1, concurrency)
        self.produce(system, target, "one", 1)  # warm-up: the worker is serving once it ran
        self.wait_probes(workers, 1, timeout=120)
        jobs = int(rate * seconds)
        self.produce(system, target, "paced", jobs, rate)
        [probe] = self.wait_probes(workers, 1 + jobs, timeout=120)
        self.stop(workers)
        cuts = statistics.quantiles(probe["latencies"], n=100, method="inclusive")
        return cuts[49] * 1000, cuts[98] * 1000


def measure(systems: Sequence[System], options: Any) -> dict[str, dict[str, float]]:
    """Figure name -> system name -> median value over ``options.rounds``; the
    systems take turns on each figure (a shared machine's load hits all alike)."""
    runs: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, Sink() as sink:
        bench = Bench(Path(tmp), sink.endpoint)

        def record(name: str, each: Callable[[System], float | tuple[float, ...]],
                   labels: Sequence[str] = ()) -> None:
            for system in systems:
                try:
                    values = each(system)
                except Exception as exc:  # one system failing still prints the others
                    print(f"  {system.name}: {name}: FAILED {str(exc)[:2000]}", file=sys.stderr)
                    continue
                for label, value in zip(labels or [name], values if labels else [values],
                                        strict=True):
                    runs.setdefault(label, {}).setdefault(system.name, []).append(value)
                print(f"  {system.name:<24} {name}: {values}", file=sys.stderr, flush=True)

        for _round in range(options.rounds):
            record("enqueue one/s", lambda s: bench.enqueue_rate(s, "one", options.jobs_one))
            record("enqueue batch/s",
                   lambda s: bench.enqueue_rate(s, "batch", options.jobs_batch))
            for procs in options.processes:
                record(f"drain {procs}p/s", lambda s, p=procs: bench.drain_rate(
                    s, p, options.drain_jobs, options.concurrency))
            for rate in options.rates:
                record(f"pickup @{rate:g}/s", lambda s, r=rate: bench.pickup(
                    s, r, options.latency_seconds, options.concurrency),
                    labels=[f"p50 ms @{rate:g}/s", f"p99 ms @{rate:g}/s"])
        for line in bench.log:
            print(f"WARNING: {line}", file=sys.stderr)
    return {figure: {system: statistics.median(values) for system, values in by_system.items()}
            for figure, by_system in runs.items()}


def uno_systems(new_url: Callable[[], str]) -> list[System]:
    """uno and uno instrumented, on a fresh namespace (``new_url()``) per measurement."""
    def worker(url: str, concurrency: int) -> list[str]:
        return [sys.executable, "-m", "uno.jobs", "worker", "--storage", url, "--app",
                "benchmarks.store_app", "--concurrency", str(concurrency), "--log-level", "WARNING"]

    def producer(url: str, mode: str, jobs: int, rate: float) -> list[str]:
        return [sys.executable, "-m", "benchmarks.store_app", "produce", url, mode, str(jobs),
                str(rate)]

    return [System("uno", new_url, worker, producer),
            System("uno+otel", new_url, worker, producer, instrumented=True)]


def peer_commands(script: str) -> tuple[Callable[..., list[str]], Callable[..., list[str]]]:
    """The worker and producer commands of a peer whose roles ``script`` runs."""
    def worker(target: str, concurrency: int) -> list[str]:
        return [sys.executable, "-m", f"benchmarks.{script}", "work", target, str(concurrency)]

    def producer(target: str, mode: str, jobs: int, rate: float) -> list[str]:
        return [sys.executable, "-m", f"benchmarks.{script}", "produce", target, mode,
                str(jobs), str(rate)]

    return worker, producer


def run_peer_role(work: Callable[[str, int], Any], produce: Callable[[str, str, int, float], Any],
                  main: Callable[[], None]) -> None:
    """A peer script's entry point: the roles ``peer_commands`` starts it in
    (``work TARGET CONCURRENCY``, ``produce TARGET MODE JOBS RATE``: the seconds
    as JSON), else ``main()``."""
    if sys.argv[1:2] == ["work"]:
        asyncio.run(work(sys.argv[2], int(sys.argv[3])))
    elif sys.argv[1:2] == ["produce"]:
        _, _, target, mode, jobs, rate = sys.argv
        seconds = asyncio.run(produce(target, mode, int(jobs), float(rate)))
        print(json.dumps({"seconds": seconds}))
    else:
        main()
