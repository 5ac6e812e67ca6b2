"""CSV exports of questions and tickets with personal identifiers removed.

What is removed: patient, user and chat ids (a patient is a pseudonym, an HMAC under a key
made for the export, so rows of one patient can be grouped but not traced), channel chat
handles, staff names, ticket threads and database row ids (they lead back to the console).
Question text is NFKC-normalised and scrubbed of URLs, e-mail addresses, phone numbers and
any run of five or more digits (card and patient numbers, postal codes), but it is what
the patient typed: it may still name them or describe their body. `include_text=False`
leaves the column out; share that file when the words are not needed.

The result is a `str` starting with a BOM: written as UTF-8 it opens in Japanese Excel.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from bot.store import Store

BOM = "\ufeff"

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Five or more digits, allowing the separators people type between groups (the katakana
# 「ー」 is what a Japanese IME often gives for a hyphen).
_DIGITS = re.compile(r"\d(?:[\s\-‐‑‒–—―−ー()]*\d){4,}")
# Excel runs a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_VIA = {"text": "入力", "choice": "ボタン"}
_ACTION = {"answer": "回答", "clarify": "聞き返し", "escalate": "スタッフへ", "urgent": "緊急"}
_STATUS = {"open": "対応待ち", "answered": "返信済み", "closed": "終了"}
_HELPFUL = {True: "役に立った", False: "役に立たなかった", None: ""}

QUESTION_COLUMNS = (
    "日時",
    "相談者",
    "チャネル",
    "入力方法",
    "判定",
    "FAQ ID",
    "スコア",
    "ルール",
    "評価",
)
TEXT_COLUMN = "質問"
TICKET_COLUMNS = (
    "受付日時",
    "相談者",
    "チャネル",
    "状態",
    "緊急",
    "理由",
    "きっかけの判定",
    "FAQ ID",
    "患者メッセージ数",
    "スタッフ返信数",
    "初回返信まで(分)",
    "初回返信日時",
    "終了日時",
)


def scrub(text: str) -> str:
    """The text without URLs, e-mail addresses, phone numbers and long digit runs."""
    text = unicodedata.normalize("NFKC", text)  # full-width ０９０ and ＠ become ASCII
    text = _URL.sub("[URL]", text)
    text = _EMAIL.sub("[メール]", text)
    return _DIGITS.sub("[番号]", text)


class Pseudonyms:
    """Stable short names for patients within one export; unlinkable across exports."""

    def __init__(self, key: bytes | None = None) -> None:
        # Pass the same key to two exports to make their pseudonyms match.
        self._key = key if key is not None else secrets.token_bytes(32)

    def __call__(self, patient_id: int) -> str:
        digest = hmac.new(self._key, str(patient_id).encode(), hashlib.sha256)
        return "P-" + digest.hexdigest()[:12]


async def questions_csv(
    store: Store,
    since: datetime,
    until: datetime,
    *,
    clinic_tz: tzinfo,
    include_text: bool = True,
    key: bytes | None = None,
) -> str:
    """Questions asked in [since, until) (aware datetimes), oldest first, in local time."""
    async with store.transaction(write=False) as tx:
        facts = await tx.analytics.questions(since, until, with_text=include_text)
    pseudonym = Pseudonyms(key)
    header = (*QUESTION_COLUMNS, TEXT_COLUMN) if include_text else QUESTION_COLUMNS
    rows = []
    for q in facts:
        row: list[object] = [
            _local(q.created_at, clinic_tz),
            pseudonym(q.patient_id),
            q.channel,
            _VIA.get(q.via, q.via),
            _ACTION.get(q.action, q.action),
            q.faq_id or "",
            f"{q.score:.3f}",
            q.rule_id or "",
            _HELPFUL[q.helpful],
        ]
        if include_text:
            row.append(scrub(q.text))
        rows.append(row)
    return _csv(header, rows)


async def tickets_csv(
    store: Store,
    since: datetime,
    until: datetime,
    *,
    clinic_tz: tzinfo,
    key: bytes | None = None,
) -> str:
    """Tickets opened in [since, until), oldest first; no thread text, no staff names."""
    async with store.transaction(write=False) as tx:
        facts = await tx.analytics.tickets(since, until)
    pseudonym = Pseudonyms(key)
    rows = []
    for t in facts:
        first = t.first_response_at
        wait = "" if first is None else f"{(first - t.created_at).total_seconds() / 60:.1f}"
        action = t.question_action
        rows.append(
            [
                _local(t.created_at, clinic_tz),
                pseudonym(t.patient_id),
                t.channel,
                _STATUS.get(t.status.value, t.status.value),
                "はい" if t.urgent else "いいえ",
                scrub(t.reason),
                _ACTION.get(action, action) if action is not None else "",
                t.question_faq_id or "",
                t.patient_messages,
                t.staff_messages,
                wait,
                _local(first, clinic_tz),
                _local(t.closed_at, clinic_tz),
            ]
        )
    return _csv(TICKET_COLUMNS, rows)


def _local(value: datetime | None, tz: tzinfo) -> str:
    return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _cell(value: object) -> object:
    """A text cell that Excel would run as a formula is quoted to stay text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return BOM + out.getvalue()
