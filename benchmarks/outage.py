"""What a collector outage costs the job system: a burst of no-op jobs run under
``opentelemetry-instrument`` (traces, metrics and logs over OTLP) against a
live receiver, a closed port and a server that accepts and never answers.

    python benchmarks/outage.py [--jobs 5000] [--settings recommended|sdk|delivery|all]
                                [--protocol http/protobuf|grpc]

Settings: ``recommended`` is the README's (bigger batch queues for delivery
under load, and ``OTEL_EXPORTER_OTLP_TIMEOUT=2``); ``sdk`` is the SDK's defaults
(queues of 2048, 10 s export timeout); ``delivery`` is the README's queues with
the default 10 s timeout. For each run: jobs completed, job time (first enqueue
to last job finished) and jobs/s, peak RSS (``wait4``'s ``ru_maxrss``, which
covers the SDK's flush at exit) and its ratio to the live run, and the seconds
from the last job to the process gone. The goal (issue #6): every job
completes, job time and peak RSS within 1.5x of live, exit within 20 s.
The app is ``tests/hardening/apps/burst.py``; the harness ``tests/hardening/outage.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hardening.outage import (  # noqa: E402
    DELIVERY_ENV,
    KINDS,
    RECOMMENDED_ENV,
    BurstRun,
    collector,
    run_burst,
)

SETTINGS = {"recommended": RECOMMENDED_ENV, "sdk": {}, "delivery": DELIVERY_ENV}


def run_settings(name: str, jobs: int, protocol: str) -> dict[str, BurstRun]:
    runs = {}
    for kind in KINDS:
        with collector(kind, protocol) as endpoint:
            runs[kind] = run_burst(endpoint, jobs, timeout=300,
                                   OTEL_EXPORTER_OTLP_PROTOCOL=protocol, **SETTINGS[name])
    return runs


def report(name: str, jobs: int, runs: dict[str, BurstRun]) -> bool:
    live = runs["live"]
    print(f"\n{name} settings: {SETTINGS[name] or 'SDK defaults'}")
    print(f"  {'collector':<9} {'done':>5} {'job s':>6} {'jobs/s':>7} {'x live':>6} "
          f"{'RSS MiB':>7} {'x live':>6} {'exit s':>6}")
    ok = True
    for kind, run in runs.items():
        if not run.report:
            print(f"  {kind:<9} no report (exit status {run.returncode}):\n{run.output[-2000:]}")
            ok = False
            continue
        time_ratio = run.job_seconds / live.job_seconds
        rss_ratio = run.peak_rss_kb / live.peak_rss_kb
        print(f"  {kind:<9} {run.completed:>5} {run.job_seconds:>6.2f} "
              f"{jobs / run.job_seconds:>7.0f} {time_ratio:>6.2f} {run.peak_rss_mb:>7.1f} "
              f"{rss_ratio:>6.2f} {run.exit_seconds:>6.1f}")
        ok &= (run.returncode == 0 and run.completed == jobs and time_ratio <= 1.5
               and rss_ratio <= 1.5 and run.exit_seconds < 20)
    print(f"  goal met: {'yes' if ok else 'NO'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--settings", choices=[*SETTINGS, "all"], default="recommended")
    parser.add_argument("--protocol", choices=["http/protobuf", "grpc"], default="http/protobuf")
    options = parser.parse_args()
    names = list(SETTINGS) if options.settings == "all" else [options.settings]
    print(f"{options.jobs} no-op jobs under opentelemetry-instrument, OTLP {options.protocol}")
    results = [report(name, options.jobs, run_settings(name, options.jobs, options.protocol))
               for name in names]
    return 0 if results[0] else 1


if __name__ == "__main__":
    sys.exit(main())
