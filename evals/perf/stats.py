"""Small helpers shared by the benchmarks: percentiles and a fixed-width figure line."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) of values, by linear interpolation."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summary(name: str, ms: Sequence[float]) -> str:
    """One line: name, n, p50, p95, mean in milliseconds."""
    return (f"{name:<44} n={len(ms):<5} p50={pct(ms, 50):8.2f} ms  p95={pct(ms, 95):8.2f} ms  "
            f"mean={statistics.fmean(ms):8.2f} ms")
