"""One mode of ``overhead.py`` for ``valgrind --tool=callgrind``: instruction
counts per job, repeatable on a busy machine where CPU times are not.

    valgrind --tool=callgrind --callgrind-out-file=/tmp/a python benchmarks/instructions.py otel 200
    # then the same with 1200 jobs into /tmp/b
    # instructions per job: (Collected of b - Collected of a) / 1000

Modes: ``uno`` (no telemetry), ``otel`` (``UnoJobsInstrumentor``), ``floor``
(the same SDK calls made bare from the wrappers: ``floor in situ``). Each
runs 300 jobs first (imports, caches, first-use paths), then ``jobs`` jobs;
the difference of two job counts leaves out start-up and shutdown. The metric
reader collects every hour only: under valgrind a second of wall time holds
far fewer jobs, and collections would weigh more per job than they do.
"""

from __future__ import annotations

import argparse
import asyncio
import gc

from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
from overhead import _run_jobs, in_situ_of
from sdk_floor import FloorTelemetry, Shape
from zero_code_providers import ZeroCodeProviders


def uno(jobs: int) -> float:
    return asyncio.run(_run_jobs(jobs, 50))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("uno", "otel", "floor"))
    parser.add_argument("jobs", type=int)
    options = parser.parse_args()
    ZeroCodeProviders.install(3600.0)
    run = uno
    if options.mode == "otel":
        UnoJobsInstrumentor().instrument()
    elif options.mode == "floor":
        run = in_situ_of(FloorTelemetry(Shape(0, 2, 1)), uno)
    run(300)
    gc.collect()
    run(options.jobs)


if __name__ == "__main__":
    main()
