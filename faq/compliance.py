"""Medical advertising checks: required disclosures, banned sales claims, stale reviews.

Japan's medical advertising guideline lets a clinic describe an unapproved drug,
self-paid, only next to stated disclosures, and forbids superlatives, guarantees
and patient testimonials outright. Entries marked `advertising:` get the knowledge
base's `disclosures:` block appended (KnowledgeBase.answer_text); these checks make
sure that block says what the guideline requires and that no text sells.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from faq.loader import DEFAULT_REVIEW_MAX_DAYS, Problem
from faq.model import MAX_ANSWER_CHARS, Entry, KnowledgeBase

# Where a text is: ("entries.price.answer", 2) → file and line of the text's third line.
Locate = Callable[[str, int], tuple[str, int | None]]

# The guideline's disclosures for an unapproved drug in self-paid care, by id; the
# pattern is what the statement must at least mention, so a vague rewrite fails.
REQUIRED_DISCLOSURES: dict[str, tuple[str, re.Pattern[str]]] = {
    "unapproved": ("that it is an unapproved drug", re.compile(r"未承認|承認されて(?:い|お)")),
    "sourcing": ("how the clinic obtains it", re.compile(r"入手|輸入")),
    "domestic_equivalent": (
        "whether an approved equivalent exists in Japan",
        re.compile(r"国内"),
    ),
    "overseas_safety": (
        "the safety information known abroad",
        re.compile(r"(?:欧米|海外|諸外国|外国).*(?:副作用|安全|リスク)", re.DOTALL),
    ),
    "cost": ("the cost (self-pay)", re.compile(r"\d[\d,]*円")),
    "risks": ("the risks and side effects", re.compile(r"副作用|リスク")),
    "duration": ("the standard duration", re.compile(r"\d+\s*(?:ヶ月|か月|カ月|ヵ月|週|年)")),
}
# A disclaimer must say both halves: this is not a diagnosis, ask the doctor.
_DISCLAIMER = (re.compile(r"診断"), re.compile(r"医師"))
_PRICE = re.compile(r"\d[\d,]*\s*円")


@dataclass(frozen=True, slots=True)
class Claim:
    """A sales claim the guideline forbids, as a pattern over NFKC-folded text."""

    label: str
    pattern: re.Pattern[str]


def _claim(label: str, pattern: str) -> Claim:
    return Claim(label, re.compile(pattern))


# Matched line by line against NFKC, case-folded text (so Ｎｏ．１ and １００％ count).
CLAIMS: tuple[Claim, ...] = (
    _claim("superlative (最高)", r"最高(?!気温|血圧|値)"),
    _claim("superlative (最強)", r"最強"),
    _claim("superlative (日本一/世界一)", r"日本一|世界一|業界一"),
    _claim("superlative (No.1)", r"no\.?\s*1(?!\d)|ナンバーワン|ナンバー1|第1位"),
    _claim(
        "superlative (最も/一番 …)",
        r"(?:最も|もっとも|一番|いちばん)(?:よく)?(?:効|高い効果|優れ|安全|人気|おすすめ)",
    ),
    _claim("superlative (最先端)", r"最先端"),
    _claim("sales claim (切り札/奇跡/夢の薬)", r"切り札|奇跡|夢の(?:薬|治療)"),
    _claim("sales claim (効果抜群)", r"効果抜群|抜群の効果"),
    _claim(
        "guarantee (必ず治る …)",
        r"必ず(?:治|効|改善|きれい|綺麗|消え|なくな|良くな|よくな|完治)",
    ),
    _claim("guarantee (確実に治る …)", r"確実に(?:治|効|改善|完治)"),
    _claim("guarantee (100%)", r"100\s*%|百パーセント"),
    _claim("guarantee (完治 …)", r"完治(?:します|できます|を?保証|を?約束|確実)"),
    _claim("guarantee (保証)", r"保証(?!する(?:もの|こと)では|はでき|できま|いたしかね)"),
    _claim(
        "guarantee (副作用がない)",
        r"副作用(?:は|が)?(?:一切|全く|まったく)(?:ない|ありません|なし|出ません)",
    ),
    _claim("testimonial (〜さんの声)", r"(?:さん|様|さま|患者)の(?:声|感想|体験)"),
    _claim("testimonial (お客様の声)", r"(?:お客|喜び|感謝)(?:様|さま)?の声"),
    _claim("testimonial (体験談/口コミ)", r"体験談|体験記|口コミ|クチコミ|くちこみ|レビュー"),
    _claim("before/after photos", r"ビフォー・?アフター|before\s*(?:and|&|/)?\s*after"),
)
# 絶対 sells ("絶対に治る") unless its clause forbids something ("絶対に妊娠しないで").
_ABSOLUTE = re.compile(r"絶対")
_ABSOLUTE_CLAUSE = re.compile(r"[^。！？!?\n]{0,30}")
_PROHIBITION = re.compile(
    r"ないで|ないこと|避け|控え|やめ|止め|中止|禁止|いけません|いけない|ダメ|だめ|ng"
)


def find_claims(text: str) -> Iterator[tuple[int, str]]:
    """(line offset, label) of every banned sales claim in a text."""
    for offset, raw in enumerate(text.splitlines()):
        line = unicodedata.normalize("NFKC", raw).casefold()
        for claim in CLAIMS:
            if claim.pattern.search(line):
                yield offset, claim.label
        for match in _ABSOLUTE.finditer(line):
            clause = _ABSOLUTE_CLAUSE.match(line, match.end())
            if clause is None or not _PROHIBITION.search(clause[0]):
                yield offset, "guarantee (絶対 not as a prohibition)"
                break


def check(
    kb: KnowledgeBase,
    locate: Locate,
    *,
    today: date | None = None,
    review_max_days: int | None = DEFAULT_REVIEW_MAX_DAYS,
) -> list[Problem]:
    """Every compliance problem: errors for claims and missing disclosures, review warnings."""
    problems = [*_claims(kb, locate), *_disclosures(kb, locate)]
    if review_max_days is not None:
        problems += _reviews(kb, locate, today or date.today(), review_max_days)
    return problems


def _claims(kb: KnowledgeBase, locate: Locate) -> Iterator[Problem]:
    texts: list[tuple[str, str | None, str]] = [
        *((f"entries.{e.id}.answer", e.id, e.answer) for e in kb.entries),
        # questions are shown to patients too, as buttons
        *((f"entries.{e.id}.question", e.id, e.question) for e in kb.entries),
        *((f"texts.{k}", None, v) for k, v in kb.texts.model_dump().items()),
        *((f"red_flags.{r.id}.message", r.id, r.message) for r in kb.red_flags),
        *((f"disclosures.items.{d.id}", None, d.text) for d in kb.disclosures.items),
        ("disclosures.heading", None, kb.disclosures.heading),
    ]
    for path, owner, text in texts:
        for offset, label in find_claims(text):
            file, line = locate(path, offset)
            shown = path.split(".", 2)[-1] if owner else path  # the entry id is shown apart
            yield Problem(file, line, owner, f"{shown}: banned {label}")


def _disclosures(kb: KnowledgeBase, locate: Locate) -> Iterator[Problem]:
    yield from _unmarked_prices(kb, locate)
    advertising = [e for e in kb.entries if e.advertising is not None]
    if advertising:
        yield from _missing_statements(kb, locate, advertising[0].id)
        for entry in advertising:
            yield from _advertising_entry(kb, locate, entry)


def _unmarked_prices(kb: KnowledgeBase, locate: Locate) -> Iterator[Problem]:
    """A price in an unmarked answer would reach patients without the disclosures."""
    for entry in kb.entries:
        price = _PRICE.search(entry.answer)
        if entry.advertising is None and price:
            offset = entry.answer.count("\n", 0, price.start())
            file, line = locate(f"entries.{entry.id}.answer", offset)
            yield Problem(
                file, line, entry.id, "answer states a price: mark it `advertising: price`"
            )


def _missing_statements(kb: KnowledgeBase, locate: Locate, first_id: str) -> Iterator[Problem]:
    """The disclaimer and every required disclosure, each saying what it must."""
    for pattern in _DISCLAIMER:
        if not pattern.search(kb.texts.disclaimer):
            file, line = locate("texts.disclaimer", 0)
            yield Problem(file, line, None, f"disclaimer: must mention {pattern.pattern}")
    for disclosure_id, (what, must_mention) in REQUIRED_DISCLOSURES.items():
        text = kb.disclosures.text(disclosure_id)
        path = f"disclosures.items.{disclosure_id}"
        if text is None:
            file, line = locate(f"entries.{first_id}.advertising", 0)
            message = f"advertising entries need {path} ({what})"
            yield Problem(file, line, first_id, message)
        elif not must_mention.search(text):
            file, line = locate(path, 0)
            message = f"{path} must state {what} (mention {must_mention.pattern})"
            yield Problem(file, line, None, message)


def _advertising_entry(kb: KnowledgeBase, locate: Locate, entry: Entry) -> Iterator[Problem]:
    file, line = locate(f"entries.{entry.id}.advertising", 0)
    if entry.reviewed_by is None or entry.reviewed_on is None:
        yield Problem(file, line, entry.id, "advertising entries need reviewed_by and reviewed_on")
    if len(kb.answer_text(entry)) > MAX_ANSWER_CHARS:
        message = f"answer with the disclosures is over {MAX_ANSWER_CHARS} characters"
        yield Problem(file, line, entry.id, message)


def _reviews(kb: KnowledgeBase, locate: Locate, today: date, max_days: int) -> Iterator[Problem]:
    oldest = today - timedelta(days=max_days)
    for entry in kb.entries:
        reviewed = entry.reviewed_on
        if reviewed is None:
            continue
        file, line = locate(f"entries.{entry.id}.reviewed_on", 0)
        if reviewed < oldest:
            yield Problem(
                file,
                line,
                entry.id,
                f"last reviewed {reviewed.isoformat()}, over {max_days} days ago:"
                " review the answer and update reviewed_by/reviewed_on",
                "warning",
            )
        elif reviewed > today:
            yield Problem(
                file,
                line,
                entry.id,
                f"reviewed_on {reviewed.isoformat()} is in the future",
                "warning",
            )
