"""Speed and memory of every matcher as the knowledge base grows, one process per size.

A fresh process per size keeps the memory figures honest: what one size built and
freed is not reused by the next. Within a size, all four matchers are built and timed
in the same process, in turn, on the same questions.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.baselines import (
    BM25,
    KEYWORD,
    RAPIDFUZZ,
    Baseline,
    Bm25Scorer,
    FuzzyScorer,
    KeywordScorer,
)
from bench.matchers import OURS, BenchMatcher, Ours
from bench.synthetic import COPY_KEYWORDS, COPY_PHRASINGS, grow
from bench.table import markdown, ratio
from bench.timing import Timing, median_timing, time_calls
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.normalize import Normalizer

MATCHERS = (OURS, KEYWORD, RAPIDFUZZ, BM25)
# `python -m bench` runs from the repository (the bench is not installed with faqbot).
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Thresholds:
    rapidfuzz: float
    bm25: float


@dataclass(frozen=True, slots=True)
class Growth:
    """How copies are made: at most this many phrasings and keywords each (None: all)."""

    phrasings: int | None = COPY_PHRASINGS
    keywords: int | None = COPY_KEYWORDS


@dataclass(frozen=True, slots=True)
class SizeResult:
    """What one knowledge-base size costs each matcher."""

    entries: int
    phrasings: int
    keywords: int
    grow_seconds: float
    build_seconds: dict[str, float]
    memory_mb: dict[str, float]  # resident anonymous memory the build added
    timings: dict[str, Timing]  # medians over the runs

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SizeResult:
        timings = {name: Timing(**figures) for name, figures in data["timings"].items()}
        return cls(**{**data, "timings": timings})


def measure_size(
    size: int,
    texts: Sequence[str],
    thresholds: Thresholds,
    *,
    kb_path: Path | None = None,
    growth: Growth = Growth(),
    repeat: int = 3,
    budget: float = 5.0,
) -> SizeResult:
    """Grow the knowledge base to `size` entries, build each matcher, time each on `texts`."""
    Normalizer().analyse("準備")  # load SudachiPy's dictionary before anything is measured
    started = time.perf_counter()
    kb = grow(load_kb(kb_path), size, phrasings=growth.phrasings, keywords=growth.keywords)
    grow_seconds = time.perf_counter() - started
    builders: dict[str, Callable[[], BenchMatcher]] = {
        OURS: lambda: Ours(Matcher(kb)),
        KEYWORD: lambda: Baseline(KEYWORD, KeywordScorer(kb), 1.0),
        RAPIDFUZZ: lambda: Baseline(RAPIDFUZZ, FuzzyScorer(kb), thresholds.rapidfuzz),
        BM25: lambda: Baseline(BM25, Bm25Scorer(kb), thresholds.bm25),
    }
    matchers: dict[str, BenchMatcher] = {}
    build_seconds: dict[str, float] = {}
    memory: dict[str, float] = {}
    for name, build in builders.items():
        gc.collect()
        before, started = resident_bytes(), time.perf_counter()
        matchers[name] = build()
        build_seconds[name] = time.perf_counter() - started
        gc.collect()
        memory[name] = (resident_bytes() - before) / 2**20
    runs: dict[str, list[Timing]] = {name: [] for name in matchers}
    names = list(matchers)
    for run in range(repeat):
        for name in names[run % len(names) :] + names[: run % len(names)]:  # vary the order
            matchers[name].decide(texts[0])  # warm caches
            runs[name].append(time_calls(matchers[name].decide, texts, budget=budget))
    return SizeResult(
        entries=len(kb.entries),
        phrasings=sum(1 + len(e.phrasings) for e in kb.entries),
        keywords=sum(len(e.keywords) for e in kb.entries),
        grow_seconds=grow_seconds,
        build_seconds=build_seconds,
        memory_mb=memory,
        timings={name: median_timing(t) for name, t in runs.items()},
    )


def resident_bytes() -> int:
    """This process's resident anonymous memory (Linux /proc): its heap, not the pages
    of SudachiPy's memory-mapped dictionary, which are shared and grow with every new
    word looked up."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    return 0


def measure_in_subprocess(
    size: int,
    queries_file: Path,
    thresholds: Thresholds,
    *,
    kb_path: Path | None,
    growth: Growth,
    repeat: int,
    budget: float,
) -> SizeResult:
    """`measure_size` in a fresh `python -m bench scale` process."""
    command = [
        *(sys.executable, "-m", "bench", "scale", "--size", str(size)),
        *("--queries", str(queries_file), "--repeat", str(repeat), "--budget", str(budget)),
        *("--rapidfuzz-threshold", str(thresholds.rapidfuzz)),
        *("--bm25-threshold", str(thresholds.bm25)),
        *(("--kb", str(kb_path)) if kb_path is not None else ()),
        *("--copy-phrasings", _limit(growth.phrasings), "--copy-keywords", _limit(growth.keywords)),
    ]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench scale --size {size} failed:\n{done.stderr}")
    return SizeResult.from_json(json.loads(done.stdout))


def _limit(value: int | None) -> str:
    return "all" if value is None else str(value)


def as_json(result: SizeResult) -> str:
    return json.dumps(asdict(result))


def scale_tables(results: Sequence[SizeResult]) -> str:
    """Our matcher's cost per size, then every matcher's latency with ours as a ratio."""
    ours = [
        [
            f"{r.entries:,}",
            f"{r.phrasings:,}",
            f"{r.keywords:,}",
            f"{r.timings[OURS].p50 * 1000:.2f}",
            f"{r.timings[OURS].p99 * 1000:.2f}",
            f"{r.timings[OURS].per_second:,.0f}",
            f"{r.build_seconds[OURS]:.2f}",
            f"{r.memory_mb[OURS]:.1f}",
            str(r.timings[OURS].calls),
        ]
        for r in results
    ]
    first = markdown(
        [
            "entries",
            "phrasings",
            "keywords",
            "p50 ms",
            "p99 ms",
            "queries/s",
            "build s",
            "memory MB",
            "queries timed",
        ],
        ours,
    )
    latency = [
        [
            f"{r.entries:,}",
            *(_latency(r.timings[m], r.timings[OURS] if m != OURS else None) for m in MATCHERS),
        ]
        for r in results
    ]
    second = markdown(["entries", *MATCHERS], latency)
    costs = [
        [
            f"{r.entries:,}",
            *(f"{r.build_seconds[m]:.2f} s, {r.memory_mb[m]:.1f} MB" for m in MATCHERS[1:]),
        ]
        for r in results
    ]
    third = markdown(["entries", *(f"{m} build, memory" for m in MATCHERS[1:])], costs)
    return (
        f"{first}\n\nLatency p50 / p99 in ms; in brackets, ours ÷ the baseline's p50"
        f" (below 1: ours is faster).\n\n{second}\n\nThe baselines' build time and memory."
        f"\n\n{third}"
    )


def _latency(timing: Timing, ours: Timing | None) -> str:
    cell = f"{timing.p50 * 1000:.2f} / {timing.p99 * 1000:.2f}"
    return cell if ours is None else f"{cell} ({ratio(ours.p50, timing.p50)})"
