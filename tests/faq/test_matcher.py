"""The matcher's decisions on a small knowledge base: each band, triage first, explainable."""

import itertools
from pathlib import Path

import pytest

from faq.decision import Action
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.risk import Bands


@pytest.fixture
def matcher(kb_dir: Path) -> Matcher:
    return Matcher(load_kb(kb_dir))


def test_close_question_is_answered_with_its_evidence(matcher: Matcher) -> None:
    decision = matcher.decide("お酒って飲んでもいいですか")
    assert (decision.action, decision.faq_id) == (Action.ANSWER, "alcohol")
    assert decision.score >= matcher.thresholds.answer
    assert decision.candidates[0].phrasing == "お酒を飲んでもいいですか？"
    # the reason names the features that spoke for the entry
    assert decision.reason.startswith(f"model {decision.score:.2f}: ")
    assert "飲酒" in decision.reason


def test_kana_typed_question_finds_its_entry(matcher: Matcher) -> None:
    assert matcher.decide("けんけつ できますか").candidates[0].id == "blood_donation"


def test_unrelated_message_escalates(matcher: Matcher) -> None:
    decision = matcher.decide("駐車場はありますか")
    assert (decision.action, decision.faq_id) == (Action.ESCALATE, None)


def test_middle_band_offers_choices(kb_dir: Path) -> None:
    never_sure = Bands(answer=1.01, clarify=0.05, urgent=0.99)
    strict = Matcher(load_kb(kb_dir), thresholds=never_sure)
    decision = strict.decide("献血")
    assert decision.action is Action.CLARIFY
    assert decision.choices[0] == "blood_donation"


def test_thresholds_come_from_cross_validation() -> None:
    trained = Matcher(load_kb()).trained  # entries of enough texts to cross-validate
    bands, curve = trained.bands, trained.curve
    assert 0 < bands.clarify <= bands.answer < 1
    # the answer threshold is on the curve, and answering less is never riskier
    assert bands.answer in {p.threshold for p in curve}
    assert all(a.wrong >= b.wrong for a, b in itertools.pairwise(curve))


def test_keyword_with_a_typo_is_repaired(matcher: Matcher) -> None:
    typo, exact = matcher.decide("アルコーロ平気？"), matcher.decide("アルコール平気？")
    assert typo.candidates[0].id == exact.candidates[0].id == "alcohol"
    assert typo.score == pytest.approx(exact.score)
    assert (typo.action, typo.faq_id) == (exact.action, exact.faq_id)


def test_red_flag_wins_over_a_matching_entry(matcher: Matcher) -> None:
    decision = matcher.decide("お酒を飲んだら胸が痛い")
    assert (decision.action, decision.rule_id) == (Action.URGENT, "chest")
    assert decision.reason == "red flag: 胸が痛"


@pytest.mark.parametrize(
    "typed", ["むねがいたい", "ﾑﾈｶﾞｲﾀｲ", "胸がいたい"], ids=["kana", "half-width", "mixed"]
)
def test_kana_term_matches_any_spelling_of_its_reading(matcher: Matcher, typed: str) -> None:
    assert matcher.decide(typed).rule_id == "chest"


def test_kanji_term_does_not_fire_on_a_homophone(matcher: Matcher) -> None:
    # 有人 (staffed) and 友人 (friend) are both read ゆうじん
    assert matcher.decide("友人と同じ量を飲みます").rule_id is None


def test_all_groups_must_be_present(matcher: Matcher) -> None:
    assert matcher.decide("頭痛がします").rule_id is None
    assert matcher.decide("頭痛がして物が二重に見える").rule_id == "headache"


def test_handover_request_escalates_with_its_rule(matcher: Matcher) -> None:
    decision = matcher.decide("スタッフと話したいです")
    assert (decision.action, decision.rule_id) == (Action.ESCALATE, "person")


def test_json_line_has_the_documented_shape(matcher: Matcher) -> None:
    line = matcher.decide("お酒を飲んでもいいですか", top=1).as_json()
    assert list(line) == ["action", "faq_id", "score", "candidates"]
    assert line["action"] == "answer"
    assert line["candidates"] == [{"id": "alcohol", "score": line["score"]}]
