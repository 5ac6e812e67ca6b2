"""Latency figures: percentiles of per-call times, and medians of them over runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    """One run's figures, in seconds and calls per second."""

    p50: float
    p99: float
    per_second: float
    calls: int

    @classmethod
    def of(cls, latencies: Sequence[float], elapsed: float) -> Timing:
        return cls(
            percentile(latencies, 50),
            percentile(latencies, 99),
            len(latencies) / elapsed if elapsed > 0 else 0.0,
            len(latencies),
        )


def percentile(values: Sequence[float], q: int) -> float:
    """The q-th percentile (1..99), interpolated between the values around it."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def median_timing(runs: Sequence[Timing]) -> Timing:
    """Each figure's median over several runs."""
    return Timing(
        statistics.median(t.p50 for t in runs),
        statistics.median(t.p99 for t in runs),
        statistics.median(t.per_second for t in runs),
        round(statistics.median(t.calls for t in runs)),
    )


def time_calls(call: Callable[[str], object], inputs: Iterable[str], *, budget: float) -> Timing:
    """Call once per input, timing each, until the inputs or the budget (seconds) run out."""
    latencies: list[float] = []
    start = time.perf_counter()
    for text in inputs:
        before = time.perf_counter()
        call(text)
        after = time.perf_counter()
        latencies.append(after - before)
        if after - start > budget:
            break
    return Timing.of(latencies, time.perf_counter() - start)
