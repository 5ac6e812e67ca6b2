"""Where our matcher's time goes at one knowledge-base size: cProfile over its decisions."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Sequence
from pathlib import Path

from bench.scale import Growth
from bench.synthetic import grow
from faq.loader import load_kb
from faq.matcher import Matcher


def profile_matcher(
    size: int, texts: Sequence[str], *, growth: Growth, kb_path: Path | None, top: int
) -> str:
    """The build time, then the `top` functions by own time over one decision per text."""
    kb = grow(load_kb(kb_path), size, phrasings=growth.phrasings, keywords=growth.keywords)
    started = time.perf_counter()
    matcher = Matcher(kb)
    built = time.perf_counter() - started
    matcher.decide(texts[0])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for text in texts:
        matcher.decide(text)
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return (
        f"{len(kb.entries):,} entries: built in {built:.2f} s; {len(texts)} decisions in"
        f" {elapsed:.2f} s under the profiler ({elapsed / len(texts) * 1000:.2f} ms each)\n"
        f"{out.getvalue()}"
    )
