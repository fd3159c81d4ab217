"""What the telemetry costs per job under zero code, against what CeleryInstrumentor adds per task.

    pip install celery opentelemetry-instrumentation-celery   # the reference; benchmark only
    python benchmarks/overhead.py [--jobs 2000] [--rounds 5] [--concurrency 50]
                                  [--gc-freeze] [--profile cprofile|pyinstrument]

One process, the providers ``opentelemetry-instrument`` sets up
(``zero_code_providers``: BatchSpanProcessor, a PeriodicExportingMetricReader
collecting every ``--metric-interval`` seconds, a LoggerProvider with a
BatchLogRecordProcessor and a LoggingHandler on the root logger; exporters
that discard), and CPU time (``time.process_time``: every thread, the batch
processors' and Celery's worker included) per job. Rounds interleave the
modes, each figure is the median over rounds:

- ``uno`` / ``uno+otel``: N no-op jobs enqueued on an in-memory ``JobManager``
  and run by one ``AsyncWorker``, without and with ``UnoJobsInstrumentor``
  (instrumented as zero code does it: no arguments, the global providers);
- ``celery`` / ``celery+otel``: N no-op tasks sent with ``delay()`` to a real
  Celery worker in this process (memory broker, solo pool, Celery's default
  prefetch and log level; ``celery_reference`` says what is measured), without
  and with ``CeleryInstrumentor`` (producer and consumer sides);
  ``--celery-loglevel INFO`` as ``celery worker --loglevel=INFO`` (two records
  per task, reaching the OpenTelemetry handler);
- ``floor`` and ``floor in situ`` (``sdk_floor``): the same SDK calls as the
  plugin makes per job (counted in the census run), in a tight loop, and from
  the plugin's wrappers with none of its logic.

Printed: added µs/job for ours (``uno+otel - uno``) and Celery's, the ratio
(goal <= 0.6), ours against the floor in situ (plugin logic: goal <= 1.10),
and per job what each emits: spans, synchronous metric measurements, log
records (the OTel pipeline's count, from an untimed census run). The
``OTEL_BSP_*``/``OTEL_BLRP_*``/``OTEL_METRICS_EXEMPLAR_FILTER`` variables apply.
``--gc-freeze`` calls ``gc.freeze()`` after start-up; ``--encode`` makes the
exporters serialize to OTLP protobuf first (the OTLP exporters' CPU cost; the
census then shows spans the batch processor dropped); ``--profile`` profiles
one instrumented round of ours instead; ``--only uno,uno+otel`` times only
those modes; ``--components`` adds the floor in situ built up one kind of
SDK call at a time (spans with propagation, histogram points, the log record)
and prints what each adds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import statistics
import time
from collections.abc import Callable

try:
    from celery_reference import CeleryLoad
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
except ImportError as missing:  # the reference is installed for the benchmark only
    raise SystemExit(f"{missing}: pip install celery opentelemetry-instrumentation-celery "
                     "(into this venv, for the benchmark only)") from None
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor
from sdk_floor import FloorTelemetry, Shape
from zero_code_providers import ZeroCodeProviders

from uno.jobs import AsyncWorker, InMemoryJobStorage, JobManager

Measure = Callable[[int], float]  # jobs -> CPU seconds


async def _run_jobs(jobs: int, concurrency: int) -> float:
    manager = JobManager(storage=InMemoryJobStorage(),
                         workers=[AsyncWorker(concurrency=concurrency, poll_interval=0.01)])

    @manager.task(max_retries=0)
    async def noop() -> None:
        return None

    async with manager:
        started = time.process_time()
        ids = [(await manager.enqueue("noop")).value for _ in range(jobs)]
        for job_id in ids:
            await manager.wait_for_job(job_id, timeout=120)
        return time.process_time() - started


def modes(options: argparse.Namespace, celery: CeleryLoad, floor: FloorTelemetry
          ) -> dict[str, Measure]:
    def uno(jobs: int) -> float:
        return asyncio.run(_run_jobs(jobs, options.concurrency))

    def uno_otel(jobs: int) -> float:
        UnoJobsInstrumentor().instrument()
        try:
            return uno(jobs)
        finally:
            UnoJobsInstrumentor().uninstrument()

    def celery_otel(jobs: int) -> float:
        CeleryInstrumentor().instrument()
        try:
            return celery.run(jobs)
        finally:
            CeleryInstrumentor().uninstrument()

    in_situ = in_situ_of(floor, uno)
    measures = {"uno": uno, "uno+otel": uno_otel, "celery": celery.run,
                "celery+otel": celery_otel, "floor": floor.run, "floor in situ": in_situ}
    if options.components:  # the floor in situ built up one kind of SDK call at a time
        for name, shape in COMPONENTS.items():
            measures[f"in situ: {name}"] = in_situ_of(FloorTelemetry(shape), uno)
    return measures


COMPONENTS = {"2 spans + propagation": Shape(0, 0, 0), "+ 2 histogram points": Shape(0, 2, 0),
              "+ 1 log record": Shape(0, 2, 1)}


def in_situ_of(floor: FloorTelemetry, run: Measure) -> Measure:
    def measure(jobs: int) -> float:
        names = floor.install_in_situ()
        try:
            return run(jobs)
        finally:
            floor.uninstall_in_situ(names)

    return measure


def census(telemetry: ZeroCodeProviders, measure: Measure, jobs: int) -> dict[str, float]:
    """What one mode emits per job (an untimed run)."""
    telemetry.flush()
    before = telemetry.counts()
    with telemetry.census() as found:
        measure(jobs)
    telemetry.flush()
    after = telemetry.counts()
    emitted = {what: (after[what] - before[what]) / jobs for what in after}
    emitted["metric measurements"] = found.measurements / jobs
    emitted["histogram records"] = sum(
        n for name, n in found.by_instrument.items() if name in found.histograms) / jobs
    return emitted


def profile(kind: str, measure: Measure, jobs: int) -> None:
    if kind == "pyinstrument":
        from pyinstrument import Profiler  # noqa: PLC0415 - optional

        profiler = Profiler(interval=0.0002)
        profiler.start()
        measure(jobs)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    profiler = cProfile.Profile()
    profiler.runcall(measure, jobs)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(45)


def report(options: argparse.Namespace, results: dict[str, list[float]],
           emitted: dict[str, dict[str, float]]) -> None:
    median = {mode: statistics.median(values) for mode, values in results.items()}
    print(f"{options.jobs} no-op jobs x {options.rounds} rounds, CPU µs per job "
          f"(median; each round in brackets){', gc.freeze()' if options.gc_freeze else ''}:")
    width = max(14, *(len(mode) for mode in results))
    for mode, values in results.items():
        print(f"  {mode:<{width}} {median[mode]:8.1f}   "
              f"({', '.join(f'{v:.0f}' for v in values)})")
    if "uno+otel" in median and "floor in situ" in median:
        floor_added = median["floor in situ"] - median["uno"]
        paired = [(ours - alone) / (floor - alone) for alone, ours, floor in zip(
            results["uno"], results["uno+otel"], results["floor in situ"], strict=True)]
        print(f"  floor in situ added {floor_added:.1f}: ours / floor in situ "
              f"{(median['uno+otel'] - median['uno']) / floor_added:.2f} (goal <= 1.10; "
              f"per round: {', '.join(f'{r:.2f}' for r in paired)})")
    steps = [mode for mode in median if mode.startswith("in situ: ")]
    for before, after in zip(["uno", *steps], steps, strict=False):
        print(f"  {after[len('in situ: '):]:<22} +{median[after] - median[before]:6.1f}")
    if {"uno", "uno+otel", "celery", "celery+otel", "floor"} <= set(median):  # (--only)
        compare(results, median)
    print("  emitted per job (census run):")
    for mode, counts in emitted.items():
        print(f"    {mode:<12} " + ", ".join(f"{v:.2f} {k}" for k, v in counts.items()))


def compare(results: dict[str, list[float]], median: dict[str, float]) -> None:
    ours = median["uno+otel"] - median["uno"]
    celery = median["celery+otel"] - median["celery"]
    paired = [(u1 - u0) / (c1 - c0) for u0, u1, c0, c1 in zip(
        results["uno"], results["uno+otel"], results["celery"], results["celery+otel"],
        strict=True)]
    print(f"  ours added     {ours:8.1f}   (uno+otel - uno)")
    print(f"  celery added   {celery:8.1f}   (celery+otel - celery)")
    print(f"  ours / celery  {ours / celery:8.2f}   (goal <= 0.60; per round: "
          f"{', '.join(f'{r:.2f}' for r in paired)})")
    print(f"  tight-loop floor {median['floor']:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--metric-interval", type=float, default=1.0)
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--encode", action="store_true",
                        help="exporters serialize to OTLP protobuf before discarding")
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--only", help="comma-separated modes to time (default: all)")
    parser.add_argument("--celery-loglevel", default="WARNING", choices=("WARNING", "INFO"),
                        help="the celery loggers' level (INFO: 2 records per task)")
    parser.add_argument("--components", action="store_true",
                        help="also time the floor in situ built up call kind by call kind")
    options = parser.parse_args()
    telemetry = ZeroCodeProviders.install(options.metric_interval, options.encode)
    celery = CeleryLoad.start(log_level=getattr(logging, options.celery_loglevel))
    try:
        measures = modes(options, celery, FloorTelemetry(Shape()))
        emitted = {mode: census(telemetry, measures[mode], options.jobs)
                   for mode in ("uno+otel", "celery+otel")}
        ours = emitted["uno+otel"]
        shape = Shape(counter_adds=round(ours["metric measurements"] - ours["histogram records"]),
                      histogram_records=round(ours["histogram records"]),
                      log_records=round(ours["log records"]))
        measures = modes(options, celery, FloorTelemetry(shape))
        if options.only:
            measures = {mode: measures[mode] for mode in options.only.split(",")}
        for measure in measures.values():  # warm-up: imports, caches, first-use paths
            measure(min(options.jobs, 500))
        if options.gc_freeze:
            gc.collect()
            gc.freeze()
        if options.profile:
            profile(options.profile, measures["uno+otel"], options.jobs)
            return
        results: dict[str, list[float]] = {mode: [] for mode in measures}
        for _ in range(options.rounds):
            for mode, measure in measures.items():
                gc.collect()
                results[mode].append(measure(options.jobs) / options.jobs * 1e6)
        report(options, results, emitted)
    finally:
        celery.stop()


if __name__ == "__main__":
    main()
