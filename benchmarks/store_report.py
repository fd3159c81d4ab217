"""Options and the printed table of the store benchmarks (see ``store_harness``).

    options = parse_options(__doc__, argv)
    figures = measure(systems, options)     # store_harness
    print(table(figures, peer="pgqueuer"))

Columns: uno, uno instrumented, the peer, and the ratios uno/peer and
instrumented/peer (for the latencies too: lower is better there). ``goal`` is
the issue's target: enqueue and drain >= peer, instrumented drain >= 0.8 x peer
uninstrumented, p99 pickup <= 10 ms at 100 jobs/s (uno's; the instrumented
figure's verdict is printed beside it).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

UNO, OTEL = "uno", "uno+otel"


def parse_options(description: str, argv: Sequence[str] | None = None,
                  extra: Mapping[str, Any] | None = None) -> argparse.Namespace:
    """The common options, plus ``extra`` ones (name -> default; a bool is a flag)."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    for name, default in (extra or {}).items():
        if isinstance(default, bool):
            parser.add_argument(name, action="store_true")
        else:
            parser.add_argument(name, default=default, help=f"default: {default}")
    parser.add_argument("--jobs-one", type=int, default=2000, help="enqueued one by one")
    parser.add_argument("--jobs-batch", type=int, default=20000, help="enqueued in batches")
    parser.add_argument("--drain-jobs", type=int, default=10000)
    parser.add_argument("--processes", default="1,2,4", help="worker processes per drain row")
    parser.add_argument("--concurrency", type=int, default=20, help="per worker process")
    parser.add_argument("--rates", default="100,500",
                        help='jobs/s of the pickup rows ("": none)')
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat every figure; the table shows each one's median")
    parser.add_argument("--systems", default="", help="comma-separated subset: uno,uno+otel,PEER")
    options = parser.parse_args(argv)
    options.processes = [int(p) for p in options.processes.split(",") if p]  # "": no drains
    options.rates = [float(r) for r in options.rates.split(",") if r]  # "": no pickup rows
    options.systems = [s for s in options.systems.split(",") if s]
    return options


def goal(figure: str, values: dict[str, float], peer: str) -> str:
    def ratio(system: str) -> float | None:
        if system in values and values.get(peer):
            return values[system] / values[peer]
        return None

    def verdict(ok: bool | None) -> str:
        return "?" if ok is None else ("met" if ok else "MISSED")

    if figure.startswith("enqueue"):
        r = ratio(UNO)
        return f">= peer: {verdict(None if r is None else r >= 1.0)}"
    if figure.startswith("drain"):
        r, ri = ratio(UNO), ratio(OTEL)
        return (f">= peer: {verdict(None if r is None else r >= 1.0)}; "
                f"otel >= 0.8 peer: {verdict(None if ri is None else ri >= 0.8)}")
    if figure == "p99 ms @100/s":  # the goal is uno's; uno+otel's is shown beside it
        uno, otel = values.get(UNO), values.get(OTEL)
        return (f"<= 10 ms: {verdict(None if uno is None else uno <= 10.0)}; "
                f"otel <= 10 ms: {verdict(None if otel is None else otel <= 10.0)}")
    return ""


def table(figures: dict[str, dict[str, float]], peer: str) -> str:
    def cell(value: float | None, width: int = 10) -> str:
        if value is None:
            return f"{'-':>{width}}"
        return f"{value:>{width},.0f}" if value >= 100 else f"{value:>{width}.2f}"

    head = (f"{'figure':<16} {UNO:>10} {OTEL:>10} {peer:>10} {'uno/peer':>9} "
            f"{'otel/peer':>9}  goal")
    lines = [head, "-" * len(head)]
    for figure, values in figures.items():
        base = values.get(peer)
        ratios = [values[s] / base if base and s in values else None for s in (UNO, OTEL)]
        lines.append(f"{figure:<16} {cell(values.get(UNO))} {cell(values.get(OTEL))} "
                     f"{cell(base)} {cell(ratios[0], 9)} {cell(ratios[1], 9)}  "
                     f"{goal(figure, values, peer)}")
    return "\n".join(lines)
