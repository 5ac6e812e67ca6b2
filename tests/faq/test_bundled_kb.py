"""The bundled knowledge base as patients meet it: one message per band, and its facts."""

import re

import pytest

from faq.decision import Action
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.model import KnowledgeBase

# Figures the clinic's own text gives; an answer may state no other price or dose.
CLINIC_PRICES = {"22,000円", "29,200円", "44,000円"}
CLINIC_DOSES = {"20mg", "40mg"}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.mark.parametrize(
    ("message", "entry"),
    [
        ("日焼け止めって毎日ぬらないとだめ？", "sunscreen"),
        ("ｹﾝｹﾂ ﾃﾞｷﾙ?", "blood_donation"),
        ("さぷりめんとは一緒にのんでも平気ですか", "supplements"),
        ("ふくさようが しんぱい", "side_effects"),
        ("保健はきかないんですか", "insurance"),
        ("ひと月の値段を教えてください", "price"),
        ("のみわすれたときは次の日2回分のむ？", "missed_dose"),
        ("こんばんは！", "greeting"),
        ("ありがとうございました🙏", "thanks"),
    ],
    ids=[
        "casual",
        "half-width",
        "kana",
        "kana-only",
        "homophone typo",
        "price",
        "kana verb",
        "greeting",
        "thanks",
    ],
)
def test_answers(matcher: Matcher, message: str, entry: str) -> None:
    decision = matcher.decide(message)
    assert (decision.action, decision.faq_id) == (Action.ANSWER, entry)


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        ("予約の日にちを変更したいです", "booking"),
        ("先週の採血の結果はどうでしたか", "own_data"),
        ("担当の方と直接話せますか", "ask_person"),
        ("父が飲んでいる薬について聞きたい", "someone_else"),
    ],
    ids=["booking", "own results", "a person", "someone else's medicine"],
)
def test_staff_work_is_handed_over(matcher: Matcher, message: str, rule: str) -> None:
    decision = matcher.decide(message)
    assert (decision.action, decision.rule_id) == (Action.ESCALATE, rule)


@pytest.mark.parametrize(
    "message", ["明日って雨ふるかな", "qwertyuiop", "おいしいパン屋さん知ってる？"]
)
def test_off_topic_escalates(matcher: Matcher, message: str) -> None:
    assert matcher.decide(message).action is Action.ESCALATE


def test_red_flag_wins_over_a_matching_answer(matcher: Matcher) -> None:
    decision = matcher.decide("日焼け止めを塗ってたら急に息が苦しくなってきた")
    assert decision.action is Action.URGENT


def test_general_pregnancy_question_is_not_a_report(matcher: Matcher) -> None:
    decision = matcher.decide("服用中はどれくらい避妊しないといけないですか")
    assert (decision.action, decision.faq_id) == (Action.ANSWER, "pregnancy")


def test_prices_and_doses_are_the_clinics_own(kb: KnowledgeBase) -> None:
    text = "\n".join(e.answer for e in kb.entries)
    assert set(re.findall(r"[\d,]+円", text)) <= CLINIC_PRICES
    assert {m.replace(" ", "").lower() for m in re.findall(r"\d+\s*mg", text, re.I)} <= CLINIC_DOSES
