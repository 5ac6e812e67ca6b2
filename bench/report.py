"""`python -m bench`: every section in one run, printed as Markdown as it is measured."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.accuracy import accuracy_table, in_scope, score
from bench.baselines import BM25, RAPIDFUZZ, Baseline, baselines
from bench.conversation import conversation_table, measure_conversation, plan, pools_of
from bench.machine import describe_machine
from bench.matchers import OURS, BenchMatcher, Ours
from bench.retrieval import measure, queries_from, retrieval_table
from bench.scale import Growth, Thresholds, measure_in_subprocess, scale_tables
from bench.startup import measure_startup, startup_table
from bench.tuning import Tuned, tune
from bot.evaluate import LabelledQuestion, load_labelled
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.model import KnowledgeBase

SECTIONS = ("accuracy", "retrieval", "scale", "startup", "conversation")
# Thresholds when there is no labelled file to tune on (speed runs only).
UNTUNED_RAPIDFUZZ, UNTUNED_BM25 = 80.0, 10.0
NO_RULES = f"{OURS}, no rules"


@dataclass(frozen=True, slots=True)
class Options:
    evals: tuple[Path, ...]
    tune_file: Path | None
    kb: Path | None
    sizes: tuple[int, ...]
    growth: Growth
    repeat: int
    budget: float
    patients: int
    per_patient: int
    startup_runs: int
    skip: frozenset[str]
    command: str


def run_all(options: Options, out: Callable[[str], None]) -> None:
    """Measure every section not skipped, printing each as soon as it is done."""
    sets = {path.name: load_labelled(path) for path in options.evals}
    out(f"# faqbot benchmarks\n\n{describe_machine()}\n\n`{options.command}`\n")
    kb = load_kb(options.kb)
    ours = Ours(Matcher(kb))
    tune_file = options.tune_file or next(iter(options.evals), None)
    tuned = _tune(kb, load_labelled(tune_file) if tune_file else [])
    matchers: list[BenchMatcher] = [ours, *tuned.baselines]
    if "accuracy" not in options.skip:
        out(_thresholds_note(tuned.figures, tune_file.name if tune_file else ""))
        no_rules = Ours(Matcher(kb.model_copy(update={"red_flags": (), "handover": ()})), NO_RULES)
        for name, rows in sets.items():
            out(_accuracy_section(name, rows, matchers, no_rules))
    if "retrieval" not in options.skip:
        ids = {e.id for e in kb.entries}
        for name, rows in sets.items():
            scores = {m.name: measure(m, queries_from(rows, ids)) for m in matchers}
            out(f"## Retrieval: {name}, in-scope questions\n\n{retrieval_table(scores)}\n")
    texts = [row.text for rows in sets.values() for row in rows] or [e.question for e in kb.entries]
    if "scale" not in options.skip:
        out(_scale_section(options, list(dict.fromkeys(texts)), tuned.figures))
    if "startup" not in options.skip:
        startup = measure_startup(options.startup_runs, kb_path=options.kb)
        out(f"## Start-up\n\n{startup_table(startup)}\n")
    if "conversation" not in options.skip:
        out(_conversation_section(options, kb, ours.matcher, texts))


@dataclass(frozen=True, slots=True)
class _Tuned:
    baselines: tuple[Baseline, Baseline, Baseline]
    figures: dict[str, Tuned]


def _tune(kb: KnowledgeBase, rows: Sequence[LabelledQuestion]) -> _Tuned:
    """The baselines with rapidfuzz's and BM25's thresholds tuned on `rows`."""
    keyword, fuzzy, bm25 = baselines(kb)
    figures = {
        RAPIDFUZZ: tune(fuzzy.scorer, rows) if rows else Tuned(UNTUNED_RAPIDFUZZ, 0, 0),
        BM25: tune(bm25.scorer, rows) if rows else Tuned(UNTUNED_BM25, 0, 0),
    }
    return _Tuned(
        (
            keyword,
            Baseline(RAPIDFUZZ, fuzzy.scorer, figures[RAPIDFUZZ].threshold),
            Baseline(BM25, bm25.scorer, figures[BM25].threshold),
        ),
        figures,
    )


def _thresholds_note(tuned: dict[str, Tuned], tune_name: str) -> str:
    parts = "; ".join(
        f"{name} ≥ {t.threshold:.4g} (right {t.right}, wrong {t.wrong})"
        for name, t in tuned.items()
    )
    if not tune_name:
        return f"## Baseline thresholds\n\nNo labelled file to tune on; untuned: {parts}.\n"
    return (
        f"## Baseline thresholds\n\nTuned on {tune_name} to maximise in-scope right answers"
        f" minus wrong answers: {parts}. On {tune_name} itself the rapidfuzz and bm25 figures"
        " are therefore an upper bound for those baselines.\n"
    )


def _accuracy_section(
    name: str,
    rows: Sequence[LabelledQuestion],
    matchers: Sequence[BenchMatcher],
    no_rules: BenchMatcher,
) -> str:
    everything = accuracy_table(score(matchers, rows))
    subset = accuracy_table(score([*matchers, no_rules], in_scope(rows)))
    return (
        f"## Accuracy: {name}\n\n{everything}\n\n"
        f"### {name}, in-scope questions only (no triage needed)\n\n{subset}\n"
    )


def _scale_section(options: Options, texts: list[str], tuned: dict[str, Tuned]) -> str:
    thresholds = Thresholds(tuned[RAPIDFUZZ].threshold, tuned[BM25].threshold)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        queries = Path(folder) / "queries.jsonl"
        queries.write_text(
            "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
            encoding="utf-8",
        )
        for size in options.sizes:
            print(f"bench: measuring {size:,} entries …", file=sys.stderr, flush=True)
            results.append(
                measure_in_subprocess(
                    size,
                    queries,
                    thresholds,
                    kb_path=options.kb,
                    growth=options.growth,
                    repeat=options.repeat,
                    budget=options.budget,
                )
            )
    growth = options.growth
    copies = (
        f"{growth.phrasings or 'all'} phrasings and {growth.keywords or 'all'} keywords"
        " (including its own topic word)"
    )
    return (
        f"## Speed and scale\n\n{len(texts)} distinct questions; medians of {options.repeat}"
        f" runs of at most {options.budget:g} s of questions per matcher; beyond the bundled"
        f" entries, each synthetic copy has its question, {copies}.\n\n"
        f"{scale_tables(results)}\n"
    )


def _conversation_section(
    options: Options, kb: KnowledgeBase, matcher: Matcher, texts: list[str]
) -> str:
    candidates = [*texts, *(p for e in kb.entries for p in (e.question, *e.phrasings))]
    messages = plan(pools_of(matcher, candidates), options.patients, options.per_patient)
    result = measure_conversation(kb, matcher, messages, repeat=options.repeat)
    return f"## Conversation core, SQLite on disk\n\n{conversation_table(result)}\n"
