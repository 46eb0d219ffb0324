"""The bench command's tables: p50, p95 and p99 of timings, printed the same way by every scenario."""

from __future__ import annotations

import statistics


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of at least two values."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94], cuts[98]


def write_table(out, what: str, rows: list[tuple[str, list[float]]], width: int = 44) -> None:
    """Count, p50, p95, p99 and max of each row's timings (ms), under a header naming `what`."""
    header = f"{what:<{width}} {'count':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    out.write(header + "\n" + "-" * len(header))
    for name, values in rows:
        if len(values) >= 2:
            p50, p95, p99 = percentiles(values)
            out.write(f"{name:<{width}} {len(values):5d} {p50:7.1f} {p95:7.1f} {p99:7.1f} {max(values):7.1f}")
        elif values:
            out.write(f"{name:<{width}} {len(values):5d} {values[0]:7.1f}")
