"""Medical advertising rules: disclosures on advertising answers, no sales claims, fresh reviews."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot import replies
from faq.compliance import REQUIRED_DISCLOSURES, find_claims
from faq.loader import KnowledgeBaseError, Problem, load_kb, validate
from faq.model import KnowledgeBase
from tests.faq.conftest import ENTRIES

CLINIC_TEXT = Path("/work/shared/eval/isotretinoin.ja.txt")
CLINIC_PRICES = {"22,000円", "29,200円", "44,000円"}
TODAY = date(2026, 11, 25)
GOOD_DISCLAIMER = "一般的な情報で、診断ではありません。医師にご相談ください。"

DISCLOSURES = """\
disclosures:
  heading: 【ご案内】
  items:
    unapproved: 国内では未承認の医薬品です。
    sourcing: 入手経路はクリニックにお問い合わせください。
    domestic_equivalent: 国内で承認された同じ成分の薬はありません。
    overseas_safety: 欧米で使われており、重大な副作用として胎児への影響があります。
    cost: 1ヶ月22,000円です。
    risks: 主な副作用は乾燥です。
    duration: 最低4ヶ月ほど服用します。
"""
PRICE_ENTRY = """\
  - id: price
    category: 費用
    advertising: price
    reviewed_by: 院長
    reviewed_on: 2026-10-01
    question: いくらですか？
    phrasings: [値段は？]
    answer: |
      自由診療です。
      1ヶ月22,000円です。
"""


@pytest.fixture(scope="module")
def bundled() -> KnowledgeBase:
    return load_kb()


def errors(path: Path, **options: object) -> list[Problem]:
    return [p for p in validate(path, **options) if p.level == "error"]  # type: ignore[arg-type]


def advertising_kb(
    kb_dir: Path, *, disclosures: str = DISCLOSURES, disclaimer: str = GOOD_DISCLAIMER
) -> Path:
    """The fixture knowledge base with a price entry and what such an entry needs."""
    (kb_dir / "entries.yaml").write_text(ENTRIES + PRICE_ENTRY, encoding="utf-8")
    (kb_dir / "disclosures.yaml").write_text(disclosures, encoding="utf-8")
    texts = kb_dir / "texts.yaml"
    texts.write_text(
        texts.read_text(encoding="utf-8").replace("一般的な情報です。", disclaimer),
        encoding="utf-8",
    )
    return kb_dir


# ---------------------------------------------------------------- the bundled knowledge base


def test_bundled_knowledge_base_has_no_compliance_errors() -> None:
    assert [str(p) for p in validate(today=TODAY)] == []


def test_every_bundled_entry_records_its_review(bundled: KnowledgeBase) -> None:
    unreviewed = [e.id for e in bundled.entries if not (e.reviewed_by and e.reviewed_on)]
    assert unreviewed == []


def test_treatment_price_and_product_entries_are_marked(bundled: KnowledgeBase) -> None:
    marked = {e.id: e.advertising for e in bundled.entries if e.advertising}
    assert marked["price"] == "price"
    assert marked["products"] == "product"
    assert {"insurance", "mechanism", "eligibility", "treatment_duration"} <= set(marked)


def test_every_advertising_answer_as_sent_carries_every_disclosure(
    bundled: KnowledgeBase,
) -> None:
    for entry in (e for e in bundled.entries if e.advertising):
        sent = "\n".join(r.text for r in replies.answer(bundled, entry, 1))
        missing = [d.id for d in bundled.disclosures.items if d.text not in sent]
        assert (entry.id, missing) == (entry.id, [])
        assert bundled.disclosures.heading in sent


def test_every_medicine_answer_as_sent_carries_the_disclaimer(bundled: KnowledgeBase) -> None:
    faq_entries = [e for e in bundled.entries if e.kind == "faq"]
    assert faq_entries
    for entry in faq_entries:
        sent = "\n".join(r.text for r in replies.answer(bundled, entry, 1))
        assert bundled.texts.disclaimer.strip() in sent, entry.id
    assert "診断" in bundled.texts.disclaimer and "医師" in bundled.texts.disclaimer


def test_safety_answers_carry_no_disclosure_block(bundled: KnowledgeBase) -> None:
    sunscreen = bundled.entry("sunscreen")
    assert sunscreen is not None and sunscreen.advertising is None
    assert bundled.answer_text(sunscreen) == sunscreen.answer


def test_disclosures_state_only_the_clinics_figures(bundled: KnowledgeBase) -> None:
    clinic = CLINIC_TEXT.read_text(encoding="utf-8")
    cost = bundled.disclosures.text("cost") or ""
    assert set(re.findall(r"\d[\d,]*円", cost)) == CLINIC_PRICES
    assert all(price in clinic for price in CLINIC_PRICES)
    assert "国内では承認されておらず" in clinic
    assert "未承認" in (bundled.disclosures.text("unapproved") or "")
    assert "最低4ヶ月" in clinic and "最低4ヶ月" in (bundled.disclosures.text("duration") or "")
    assert "30年以上" in clinic and "30年以上" in (
        bundled.disclosures.text("overseas_safety") or ""
    )


# ---------------------------------------------------------------- sales claims


@pytest.mark.parametrize(
    "text",
    [
        "当院の治療は最高です。",
        "最強のニキビ治療薬",
        "日本一の実績",
        "症例数No.1",
        "満足度ＮＯ．１",
        "ナンバーワンの治療",
        "最も効果が高い治療です",
        "ニキビ治療の最後の切り札",
        "必ず治ります",
        "確実に改善します",
        "改善率100%",
        "効果１００％",
        "完治保証",
        "効果を保証します",
        "副作用は一切ありません",
        "絶対に治ります",
        "絶対に再発しません",
        "絶対安全な薬です",
        "Aさんの声：きれいになりました",
        "患者様の声",
        "お客様の声",
        "治療の体験談",
        "口コミで評判",
        "ビフォーアフター写真",
    ],
)
def test_sales_claims_are_found(text: str) -> None:
    assert list(find_claims(text)) != []


@pytest.mark.parametrize(
    "text",
    [
        "服用中は絶対に妊娠しないでください。",
        "絶対に献血をしてはいけません。",
        "自己判断で量を増やすことは絶対に避けてください。",
        "妊娠を考えている方は、必ず医師にご相談ください。",
        "90%以上の方に乾燥がみられます。",
        "再発しないことをお約束するものではありません。",
        "効果を保証するものではありません。",
        "飲酒は控えることをおすすめします。",
        "最高気温が高い日は日焼け止めを塗り直してください。",
    ],
)
def test_safety_wording_is_not_a_sales_claim(text: str) -> None:
    assert list(find_claims(text)) == []


def test_claim_is_reported_at_its_file_line_and_entry(kb_dir: Path) -> None:
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        ENTRIES.replace(
            "    answer: 服用中と服用後1ヶ月はできません。\n",
            "    answer: |\n      服用中と服用後1ヶ月はできません。\n      当院は症例数No.1です。\n",
        ),
        encoding="utf-8",
    )
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line, problem.entry_id) == (str(entries), 17, "blood_donation")
    assert problem.message == "answer: banned superlative (No.1)"
    assert str(problem) == (
        f"{entries}:17: [blood_donation] error: answer: banned superlative (No.1)"
    )


def test_claim_in_a_bot_text_is_reported(kb_dir: Path) -> None:
    texts = kb_dir / "texts.yaml"
    texts.write_text(
        texts.read_text(encoding="utf-8").replace("ようこそ", "患者様の声をご覧ください"),
        encoding="utf-8",
    )
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line) == (str(texts), 2)
    assert problem.message == "texts.welcome: banned testimonial (〜さんの声)"


def test_load_refuses_a_knowledge_base_with_a_sales_claim(kb_dir: Path) -> None:
    (kb_dir / "entries.yaml").write_text(
        ENTRIES.replace("控えてください。", "控えてください。必ず治ります。"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError, match=r"guarantee \(必ず治る …\)"):
        load_kb(kb_dir)


# ---------------------------------------------------------------- disclosures


def test_marked_entry_with_all_disclosures_passes(kb_dir: Path) -> None:
    kb = load_kb(advertising_kb(kb_dir))
    price = kb.entry("price")
    assert price is not None
    assert kb.answer_text(price) == (
        "自由診療です。\n1ヶ月22,000円です。\n\n【ご案内】\n・国内では未承認の医薬品です。\n"
        "・入手経路はクリニックにお問い合わせください。\n・国内で承認された同じ成分の薬はありません。\n"
        "・欧米で使われており、重大な副作用として胎児への影響があります。\n・1ヶ月22,000円です。\n"
        "・主な副作用は乾燥です。\n・最低4ヶ月ほど服用します。"
    )
    assert errors(kb_dir, today=TODAY) == []


def test_missing_disclosures_are_each_named(kb_dir: Path) -> None:
    only_two = "disclosures:\n  items:\n    unapproved: 未承認です。\n    cost: 22,000円です。\n"
    advertising_kb(kb_dir, disclosures=only_two)
    problems = errors(kb_dir)
    assert {p.entry_id for p in problems} == {"price"}
    assert {p.line for p in problems} == {18}  # the `advertising:` line
    assert sorted(re.findall(r"disclosures\.items\.(\w+)", " ".join(map(str, problems)))) == sorted(
        set(REQUIRED_DISCLOSURES) - {"unapproved", "cost"}
    )


def test_vague_disclosure_is_named_at_its_line(kb_dir: Path) -> None:
    advertising_kb(
        kb_dir, disclosures=DISCLOSURES.replace("1ヶ月22,000円です。", "お問い合わせください。")
    )
    [problem] = errors(kb_dir)
    assert (problem.file, problem.line) == (str(kb_dir / "disclosures.yaml"), 8)
    assert problem.message.startswith("disclosures.items.cost must state the cost")


def test_price_in_an_unmarked_answer_is_an_error(kb_dir: Path) -> None:
    advertising_kb(kb_dir)
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        entries.read_text(encoding="utf-8").replace("    advertising: price\n", ""),
        encoding="utf-8",
    )
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.line) == ("price", 24)
    assert problem.message == "answer states a price: mark it `advertising: price`"


def test_marked_entry_needs_a_review(kb_dir: Path) -> None:
    advertising_kb(kb_dir)
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        entries.read_text(encoding="utf-8").replace("    reviewed_by: 院長\n", ""),
        encoding="utf-8",
    )
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.message) == (
        "price",
        "advertising entries need reviewed_by and reviewed_on",
    )


@pytest.mark.parametrize(
    ("disclaimer", "missing"),
    [("一般的な情報です。", ["診断", "医師"]), ("診断ではありません。", ["医師"])],
    ids=["neither", "no doctor"],
)
def test_disclaimer_must_say_not_a_diagnosis_and_ask_the_doctor(
    kb_dir: Path, disclaimer: str, missing: list[str]
) -> None:
    advertising_kb(kb_dir, disclaimer=disclaimer)
    messages = [p.message for p in errors(kb_dir)]
    assert messages == [f"disclaimer: must mention {word}" for word in missing]


# ---------------------------------------------------------------- review age


@pytest.mark.parametrize(
    ("max_days", "warned"), [(30, True), (55, False), (None, False)], ids=["old", "fresh", "off"]
)
def test_old_review_is_a_warning(kb_dir: Path, max_days: int | None, warned: bool) -> None:
    advertising_kb(kb_dir)
    problems = validate(kb_dir, today=TODAY, review_max_days=max_days)
    expected = (
        [
            (
                "warning",
                "price",
                20,
                "last reviewed 2026-10-01, over 30 days ago:"
                " review the answer and update reviewed_by/reviewed_on",
            )
        ]
        if warned
        else []
    )
    assert [(p.level, p.entry_id, p.line, p.message) for p in problems] == expected


def test_cli_review_max_days_option(kb_dir: Path, tmp_path: Path) -> None:
    advertising_kb(kb_dir)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "faq", "validate", "--review-max-days", "1", kb_dir],
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "[price] warning: last reviewed 2026-10-01, over 1 days ago" in result.stdout
    assert result.stdout.endswith("; 1 warning(s)\n")


def test_answer_too_long_once_disclosures_are_added(kb_dir: Path) -> None:
    advertising_kb(kb_dir)
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        entries.read_text(encoding="utf-8").replace("自由診療です。", "あ" * 4_000),
        encoding="utf-8",
    )
    [problem] = errors(kb_dir)
    assert (problem.entry_id, problem.message) == (
        "price",
        "answer with the disclosures is over 4096 characters",
    )


def test_review_in_the_future_is_a_warning(kb_dir: Path) -> None:
    advertising_kb(kb_dir)
    [problem] = validate(kb_dir, today=date(2026, 9, 1))
    assert (problem.level, problem.message) == (
        "warning",
        "reviewed_on 2026-10-01 is in the future",
    )
