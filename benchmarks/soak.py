"""Soak: 200,000 jobs through the instrumented runtime, memory sampled as it goes.

    python benchmarks/soak.py [--jobs 200000] [--every 10000] [--warm-up 20000]
                              [--trace-memory]

In-memory storage, one ``AsyncWorker`` (concurrency 50), the plugin on SDK
providers whose exporters drop everything (traces, metrics read after every
batch of 500, and the lifecycle log records through the log bridge); one job in
ten fails once and is retried. Finished jobs are deleted after each batch (as
the manager's cleanup would), so growth is telemetry state. Prints, every
``--every`` jobs: seconds elapsed, jobs/s over the interval, RSS, the live
Python objects (``sys.getallocatedblocks``), tracemalloc's heap with
``--trace-memory`` (about 3x slower), and the plugin's in-flight attempts;
then the overall jobs/s and the growth after ``--warm-up`` jobs.
The workload is ``tests/hardening/soak.py`` (``test_soak.py`` runs 20,000).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hardening.soak import Sample, Soak  # noqa: E402

MIB = 1 << 20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--warm-up", type=int, default=20_000)
    parser.add_argument("--trace-memory", action="store_true")
    options = parser.parse_args()
    soak = Soak()
    printed: list[Sample] = []
    warm: list[Sample] = []
    print(f"{'jobs':>8} {'seconds':>8} {'jobs/s':>7} {'RSS MiB':>8} {'objects':>9} "
          f"{'heap KiB':>9} {'in flight':>9}")

    def on_batch(sample: Sample) -> None:
        if sample.jobs == options.warm_up:
            warm.append(sample)
        if sample.jobs % options.every:
            return
        previous = printed[-1] if printed else Sample(0, 0.0, 0, 0, 0, 0)
        rate = (sample.jobs - previous.jobs) / (sample.seconds - previous.seconds)
        heap = f"{sample.traced_bytes / 1024:9.0f}" if options.trace_memory else f"{'-':>9}"
        print(f"{sample.jobs:>8} {sample.seconds:>8.1f} {rate:>7.0f} "
              f"{sample.rss_bytes / MIB:>8.1f} {sample.blocks:>9} {heap} "
              f"{sample.in_flight:>9}", flush=True)
        printed.append(sample)

    try:
        [last] = asyncio.run(soak.run(options.jobs, trace_memory=options.trace_memory,
                                      keep=False, on_batch=on_batch))
    finally:
        soak.close()
    print(f"\n{last.jobs} jobs in {last.seconds:.1f} s: {last.jobs / last.seconds:.0f} jobs/s; "
          f"in flight at the end: {last.in_flight}")
    if warm:
        [base] = warm
        jobs = last.jobs - base.jobs
        print(f"after the {base.jobs}-job warm-up, over {jobs} more jobs: RSS "
              f"{(last.rss_bytes - base.rss_bytes) / MIB:+.1f} MiB, objects "
              f"{last.blocks - base.blocks:+d} ({(last.blocks - base.blocks) / jobs:+.4f} per job)"
              + (f", heap {(last.traced_bytes - base.traced_bytes) / 1024:+.0f} KiB"
                 if options.trace_memory else ""))
    return 0 if last.in_flight == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
