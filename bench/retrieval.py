"""Generic FAQ retrieval: SR@1, SR@5, MRR and MAP of each matcher's rank list."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.baselines import baselines
from bench.matchers import BenchMatcher, Ours
from bench.table import markdown
from bot.evaluate import LabelledQuestion
from faq.importer import bundled_texts, read_faq, to_knowledge_base
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.model import KnowledgeBase


class QueriesFileError(Exception):
    """The queries file cannot be used; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    relevant: frozenset[str]


@dataclass(frozen=True, slots=True)
class RetrievalScores:
    sr1: float  # share of queries with a relevant entry ranked first
    sr5: float  # … among the first five
    mrr: float  # mean reciprocal rank of the first relevant entry
    map: float  # mean average precision over all relevant entries
    queries: int


def load_queries(
    path: str | Path, known: set[str], id_map: Mapping[str, str] | None = None
) -> list[Query]:
    """Read lines of {"text", "relevant": [ids]} whose ids are all `known`;
    `id_map` renames ids first (as an import mapped them)."""
    rename = id_map or {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QueriesFileError(f"{path}: cannot read: {exc}") from None
    queries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QueriesFileError(f"{path}:{number}: not JSON ({exc.msg})") from None
        text = row.get("text") if isinstance(row, dict) else None
        relevant = row.get("relevant") if isinstance(row, dict) else None
        if not isinstance(text, str) or not isinstance(relevant, list) or not relevant:
            raise QueriesFileError(
                f'{path}:{number}: expected {{"text": "...", "relevant": ["id", ...]}}'
            )
        ids = frozenset(rename.get(str(r), str(r)) for r in relevant)
        unknown = sorted(ids - known)
        if unknown:
            raise QueriesFileError(
                f"{path}:{number}: relevant id(s) {', '.join(unknown)} not in the knowledge base"
            )
        queries.append(Query(text, ids))
    if not queries:
        raise QueriesFileError(f"{path}: no queries")
    return queries


def queries_from(rows: Sequence[LabelledQuestion], entry_ids: set[str]) -> list[Query]:
    """The labelled rows an entry answers, as retrieval queries."""
    return [Query(row.text, frozenset({row.expect})) for row in rows if row.expect in entry_ids]


def measure(matcher: BenchMatcher, queries: Sequence[Query]) -> RetrievalScores:
    rr_sum = ap_sum = 0.0
    top1 = top5 = 0
    for query in queries:
        ranked = [c.id for c in matcher.rank(query.text)]
        hits = [n for n, entry_id in enumerate(ranked, start=1) if entry_id in query.relevant]
        if hits:
            top1 += hits[0] == 1
            top5 += hits[0] <= 5
            rr_sum += 1 / hits[0]
            ap_sum += sum(k / rank for k, rank in enumerate(hits, start=1)) / len(query.relevant)
    n = len(queries)
    return RetrievalScores(top1 / n, top5 / n, rr_sum / n, ap_sum / n, n)


def retrieval_table(scores: Mapping[str, RetrievalScores]) -> str:
    rows = [
        [name, f"{s.sr1:.3f}", f"{s.sr5:.3f}", f"{s.mrr:.3f}", f"{s.map:.3f}", str(s.queries)]
        for name, s in scores.items()
    ]
    return markdown(["matcher", "SR@1", "SR@5", "MRR", "MAP", "queries"], rows)


def run_retrieval(kb_path: Path, queries_path: Path) -> str:
    """The retrieval table of all four matchers for a knowledge base and a queries file.

    `kb_path` is a knowledge base (YAML file or directory) or an FAQ collection in
    `faqbot faq import`'s JSONL, imported in memory with its ids mapped as needed.
    """
    kb, renamed = _kb(kb_path)
    queries = load_queries(queries_path, {e.id for e in kb.entries}, renamed)
    matchers: list[BenchMatcher] = [Ours(Matcher(kb)), *baselines(kb)]
    scores = {m.name: measure(m, queries) for m in matchers}
    note = f" ({len(renamed)} ids mapped as `faqbot faq import --map-ids` would)" if renamed else ""
    return (
        f"## Retrieval: {queries_path.name} against {kb_path.name},"
        f" {len(kb.entries):,} entries{note}\n\n{retrieval_table(scores)}"
    )


def _kb(path: Path) -> tuple[KnowledgeBase, dict[str, str]]:
    if path.suffix == ".jsonl":
        imported = read_faq(path, map_ids=True)
        return to_knowledge_base(imported, bundled_texts()), imported.renamed
    return load_kb(path), {}
