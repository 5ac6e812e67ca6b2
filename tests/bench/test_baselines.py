"""The baselines do what a clinic's alternatives do, and their thresholds are tuned fairly."""

from __future__ import annotations

import math

from bench.baselines import (
    BM25,
    KEYWORD,
    RAPIDFUZZ,
    Baseline,
    Bm25Scorer,
    FuzzyScorer,
    KeywordScorer,
    bigrams,
)
from bench.tuning import Tuned, tune
from bot.evaluate import LabelledQuestion
from faq.decision import Action
from faq.model import KnowledgeBase


def decided(baseline: Baseline, text: str) -> tuple[Action, str | None]:
    decision = baseline.decide(text)
    return decision.action, decision.faq_id


def test_keyword_reply_needs_the_keyword_verbatim(small_kb: KnowledgeBase) -> None:
    keyword = Baseline(KEYWORD, KeywordScorer(small_kb), 1.0)
    assert decided(keyword, "お酒は大丈夫？") == (Action.ANSWER, "alcohol")
    assert decided(keyword, "おさけは大丈夫？") == (Action.ESCALATE, None)


def test_keyword_reply_prefers_the_longest_keyword(small_kb: KnowledgeBase) -> None:
    keyword = Baseline(KEYWORD, KeywordScorer(small_kb), 1.0)
    assert decided(keyword, "ビールとお酒、どちらなら") == (Action.ANSWER, "beer")


def test_rapidfuzz_reads_half_width_kana_after_nfkc(small_kb: KnowledgeBase) -> None:
    fuzzy = Baseline(RAPIDFUZZ, FuzzyScorer(small_kb), 90.0)
    assert decided(fuzzy, "サンスクリーンは必要ですか") == (Action.ANSWER, "sun")


def test_a_baseline_escalates_below_its_threshold(small_kb: KnowledgeBase) -> None:
    fuzzy = Baseline(RAPIDFUZZ, FuzzyScorer(small_kb), 99.0)
    assert decided(fuzzy, "サンスクリーンって要る？") == (Action.ESCALATE, None)


def test_an_untuned_baseline_answers_nothing_but_still_ranks(small_kb: KnowledgeBase) -> None:
    bm25 = Baseline(BM25, Bm25Scorer(small_kb))
    assert math.isinf(bm25.threshold)
    assert decided(bm25, "お酒を飲んでもいいですか") == (Action.ESCALATE, None)
    assert bm25.rank("お酒を飲んでもいいですか")[0].id == "alcohol"


def test_bm25_scores_nothing_for_unknown_bigrams(small_kb: KnowledgeBase) -> None:
    assert Bm25Scorer(small_kb).best("駐車場") is None


def test_bigrams_skip_spaces_and_punctuation() -> None:
    assert bigrams("お酒、OK?") == ["お酒", "酒o", "ok"]
    assert bigrams("酒") == ["酒"]


def test_tuning_takes_the_threshold_with_most_right_minus_wrong(small_kb: KnowledgeBase) -> None:
    rows = [
        LabelledQuestion("1", "お酒を飲んでもいいですか", "alcohol"),  # exact: 100
        LabelledQuestion("2", "サンスクリーンは必要ですか", "sun"),  # 100 after NFKC
        LabelledQuestion("3", "お酒を飲んでもいいですか？駐車場", "escalate"),
    ]
    tuned = tune(FuzzyScorer(small_kb), rows)
    assert (tuned.right, tuned.wrong) == (2, 0)
    assert tuned.threshold == 100.0


def test_tuning_never_answers_when_every_answer_is_wrong(small_kb: KnowledgeBase) -> None:
    rows = [LabelledQuestion("1", "お酒を飲んでもいいですか", "escalate")]
    assert tune(FuzzyScorer(small_kb), rows) == Tuned(math.inf, 0, 0)
