"""Retrieval figures: SR@1, SR@5, MRR and MAP computed from real rank lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.baselines import KEYWORD, Baseline, KeywordScorer
from bench.retrieval import QueriesFileError, Query, load_queries, measure
from faq.model import KnowledgeBase


@pytest.fixture
def keyword(small_kb: KnowledgeBase) -> Baseline:
    return Baseline(KEYWORD, KeywordScorer(small_kb))


def test_a_relevant_entry_ranked_second_counts_half(keyword: Baseline) -> None:
    # the longest keyword wins: ビールとお酒 (beer) ranks above お酒 (alcohol)
    scores = measure(keyword, [Query("ビールとお酒どっちがいい", frozenset({"alcohol"}))])
    assert (scores.sr1, scores.sr5, scores.mrr, scores.map) == (0.0, 1.0, 0.5, 0.5)


def test_average_precision_counts_every_relevant_entry(keyword: Baseline) -> None:
    # ranked: beer (relevant), alcohol (not), then sun is never ranked
    query = Query("ビールとお酒", frozenset({"beer", "sun"}))
    scores = measure(keyword, [query])
    assert (scores.sr1, scores.mrr, scores.map) == (1.0, 1.0, 0.5)


def test_figures_are_means_over_queries(keyword: Baseline) -> None:
    queries = [Query("日焼けが心配", frozenset({"sun"})), Query("駐車場", frozenset({"sun"}))]
    scores = measure(keyword, queries)
    assert (scores.sr1, scores.sr5, scores.mrr, scores.map, scores.queries) == (
        0.5,
        0.5,
        0.5,
        0.5,
        2,
    )


def test_queries_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    path.write_text('{"text": "お酒", "relevant": ["alcohol"]}\n{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(QueriesFileError) as caught:
        load_queries(path, {"alcohol"})
    assert str(caught.value) == f'{path}:2: expected {{"text": "...", "relevant": ["id", ...]}}'


def test_queries_naming_an_unknown_entry_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    path.write_text('{"text": "お酒", "relevant": ["wine"]}\n', encoding="utf-8")
    with pytest.raises(QueriesFileError) as caught:
        load_queries(path, {"alcohol"})
    assert str(caught.value) == f"{path}:1: relevant id(s) wine not in the knowledge base"


def test_query_ids_are_renamed_as_the_import_mapped_them(tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    path.write_text('{"text": "お酒", "relevant": ["Q-1", 7]}\n', encoding="utf-8")
    [query] = load_queries(path, {"q_1", "q_7"}, {"Q-1": "q_1", "7": "q_7"})
    assert query.relevant == frozenset({"q_1", "q_7"})
