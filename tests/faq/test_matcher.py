"""The matcher's decisions on a small knowledge base: each band, triage first, explainable."""

from pathlib import Path

import pytest

from faq.decision import Action
from faq.loader import load_kb
from faq.matcher import Matcher, Thresholds


@pytest.fixture
def matcher(kb_dir: Path) -> Matcher:
    return Matcher(load_kb(kb_dir))


def test_close_question_is_answered_with_its_evidence(matcher: Matcher) -> None:
    decision = matcher.decide("お酒って飲んでもいいですか")
    assert (decision.action, decision.faq_id) == (Action.ANSWER, "alcohol")
    assert decision.score >= matcher.thresholds.answer
    assert decision.candidates[0].phrasing == "お酒を飲んでもいいですか？"
    assert decision.reason == "matched: お酒を飲んでもいいですか？"


def test_kana_typed_question_is_answered(matcher: Matcher) -> None:
    assert matcher.decide("けんけつ できますか").faq_id == "blood_donation"


def test_unrelated_message_escalates(matcher: Matcher) -> None:
    decision = matcher.decide("駐車場はありますか")
    assert (decision.action, decision.faq_id) == (Action.ESCALATE, None)


def test_middle_band_offers_choices(kb_dir: Path) -> None:
    never_sure = Thresholds(
        answer=0.99, margin=0.5, answer_alone=0.99, margin_alone=0.5, clarify=0.2
    )
    strict = Matcher(load_kb(kb_dir), thresholds=never_sure)
    decision = strict.decide("献血")
    assert decision.action is Action.CLARIFY
    assert decision.choices[0] == "blood_donation"


def test_lower_score_is_enough_when_nothing_else_is_close(kb_dir: Path) -> None:
    bands = Thresholds(answer=0.99, margin=0.0, answer_alone=0.5, margin_alone=0.3, clarify=0.2)
    decision = Matcher(load_kb(kb_dir), thresholds=bands).decide("献血")
    assert (decision.action, decision.faq_id) == (Action.ANSWER, "blood_donation")


def test_keyword_with_a_typo_still_counts(matcher: Matcher) -> None:
    typo, exact = matcher.decide("アルコーロ平気？"), matcher.decide("アルコール平気？")
    assert typo.faq_id == exact.faq_id == "alcohol"
    assert typo.score < exact.score  # a typo'd keyword is weaker evidence


def test_red_flag_wins_over_a_matching_entry(matcher: Matcher) -> None:
    decision = matcher.decide("お酒を飲んだら胸が痛い")
    assert (decision.action, decision.rule_id) == (Action.URGENT, "chest_pain")
    assert decision.reason == "red flag: 胸が痛"


@pytest.mark.parametrize(
    "typed", ["むねがいたい", "ﾑﾈｶﾞｲﾀｲ", "胸がいたい"], ids=["kana", "half-width", "mixed"]
)
def test_kana_term_matches_any_spelling_of_its_reading(matcher: Matcher, typed: str) -> None:
    assert matcher.decide(typed).rule_id == "chest_pain"


def test_kanji_term_does_not_fire_on_a_homophone(matcher: Matcher) -> None:
    # 有人 (staffed) and 友人 (friend) are both read ゆうじん
    assert matcher.decide("友人と同じ量を飲みます").rule_id is None


def test_all_groups_must_be_present(matcher: Matcher) -> None:
    assert matcher.decide("頭痛がします").action is not Action.URGENT
    assert matcher.decide("頭痛がして物が二重に見える").rule_id == "headache"


def test_handover_request_escalates_with_its_rule(matcher: Matcher) -> None:
    decision = matcher.decide("スタッフと話したいです")
    assert (decision.action, decision.rule_id) == (Action.ESCALATE, "person")


def test_json_line_has_the_documented_shape(matcher: Matcher) -> None:
    line = matcher.decide("お酒を飲んでもいいですか", top=1).as_json()
    assert list(line) == ["action", "faq_id", "score", "candidates"]
    assert line["action"] == "answer"
    assert line["candidates"] == [{"id": "alcohol", "score": line["score"]}]


def test_large_knowledge_base_shortlist_decides_like_the_full_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from faq import matcher as matcher_module

    def decisions(m: Matcher) -> list[tuple[object, ...]]:
        return [
            (d.action, d.faq_id, d.rule_id, d.candidates[0] if d.candidates else None)
            for d in map(m.decide, messages)
        ]

    kb = load_kb()
    messages = ["リバンウドする？", "けんけつ いつから", "日焼け止めはいる？", "駐車場はありますか"]
    full = decisions(Matcher(kb))
    # as in a knowledge base of 20,000+ phrasings: edit distance only on shortlisted entries
    monkeypatch.setattr(matcher_module, "RATIO_SCAN_ALL", 0)
    monkeypatch.setattr(matcher_module, "SHORTLIST", 20)
    assert decisions(Matcher(kb)) == full
