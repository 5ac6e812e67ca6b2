"""The knowledge base as validated, frozen objects: what admins write in YAML."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Telegram's limit for one message; LINE allows 5,000, so this bounds both.
MAX_ANSWER_CHARS = 4096


# Control characters other than tab and newline: invisible in an editor, garbled in a chat.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _no_control_characters(value: object) -> object:
    texts = value if isinstance(value, tuple) else (value,)
    for text in texts:
        if isinstance(text, str) and (found := _CONTROL.search(text)):
            raise ValueError(f"contains the control character U+{ord(found.group()):04X}")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: object) -> object:
        return _no_control_characters(value)


class Entry(_Frozen):
    """One FAQ entry: a question patients ask and the clinic's answer."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    category: str = Field(min_length=1)
    question: str = Field(min_length=1)
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    related: tuple[str, ...] = ()
    # smalltalk entries (greetings, thanks) are answered but never offered as choices
    kind: Literal["faq", "smalltalk"] = "faq"
    # Describes the unapproved treatment, its price or its products: under the medical
    # advertising guideline such an answer carries the knowledge base's disclosures.
    advertising: Literal["treatment", "price", "product"] | None = None
    reviewed_by: str | None = Field(default=None, min_length=1)
    reviewed_on: date | None = None

    @field_validator("phrasings", "keywords")
    @classmethod
    def _no_blank_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item.strip() for item in value):
            raise ValueError("must not contain empty items")
        return value


class Rule(_Frozen):
    """A term rule: fires when any `any` term occurs, or one term of every `all` group.

    Terms match the normalised text or its kana reading, so admins may write them
    in kanji or kana. `unless` terms suppress the rule.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    any: tuple[str, ...] = ()
    all: tuple[tuple[str, ...], ...] = ()
    unless: tuple[str, ...] = ()


class RedFlag(Rule):
    """A red-flag report: the fixed safety message is sent and staff are alerted."""

    label: str = Field(min_length=1)
    message: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)


class Handover(Rule):
    """A request that is staff work (a person, the patient's own data, off-topic)."""

    reason: str = Field(min_length=1)


class Texts(_Frozen):
    """Every sentence the bot says that is not an FAQ answer."""

    welcome: str
    disclaimer: str
    clarify: str
    escalation: str
    handover: str
    ticket_followup: str
    ticket_closed: str
    staff_reply_header: str
    feedback_thanks: str
    not_understood: str
    feedback_prompt: str
    button_helpful: str = Field(max_length=20)
    button_not_helpful: str = Field(max_length=20)
    button_ask_staff: str = Field(max_length=20)
    button_none_of_these: str = Field(max_length=20)
    menu_prompt: str
    category_prompt: str  # {category} is the category's name
    help: str
    forget_confirm: str
    button_forget_yes: str = Field(max_length=20)
    button_forget_no: str = Field(max_length=20)
    forget_done: str
    forget_cancelled: str
    # Consent and flood texts have defaults so knowledge bases written before them load.
    # {retention} is how long patients' words are kept (from privacy.retention_days).
    consent_notice: str = (
        "ご質問にお答えする前に、保存する情報についてご確認ください。\n"
        "このチャットでは、ご質問などのメッセージ、自動応答の判定結果、スタッフとのやりとりを"
        "保存します。ご質問への回答と、必要なときにクリニックのスタッフへ引き継ぐためです。\n"
        "保存期間: {retention}。/forget でいつでも削除できます。\n"
        "同意いただける場合は「同意する」を押してください。"
    )
    button_consent: str = Field(default="同意する", max_length=20)
    consent_thanks: str = "ご同意ありがとうございます。"
    flood_notice: str = (
        "短時間に多くのメッセージが届いたため、しばらくお待ちください。"
        "少し時間をおいてから、もう一度お送りください。"
    )


class Disclosure(_Frozen):
    """One statement the guideline requires next to an advertising answer."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1)


class Disclosures(_Frozen):
    """The block appended to every advertising answer: a heading and its statements."""

    heading: str = ""
    items: tuple[Disclosure, ...] = ()

    @field_validator("items", mode="before")
    @classmethod
    def _from_mapping(cls, value: Any) -> Any:
        # admins write `id: text` pairs; the model keeps their order
        if isinstance(value, dict):
            return [{"id": k, "text": v} for k, v in value.items()]
        return value

    def block(self) -> str:
        """The heading and one bullet per statement, as sent to patients."""
        lines = [self.heading] if self.heading else []
        return "\n".join([*lines, *(f"・{d.text}" for d in self.items)])

    def text(self, disclosure_id: str) -> str | None:
        """The statement with this id, or None."""
        return next((d.text for d in self.items if d.id == disclosure_id), None)


# Labels of training examples that are not entry ids.
ESCALATE, URGENT, NOT_URGENT = "escalate", "urgent", "not_urgent"
EXAMPLE_LABELS = (ESCALATE, URGENT, NOT_URGENT)


class Example(_Frozen):
    """A patient message the models learn from, with what it should lead to: an entry
    id, `escalate` (staff work or out of scope), `urgent` (a red flag) or `not_urgent`
    (a near miss the red-flag detector must let pass)."""

    label: str = Field(min_length=1)
    text: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)


class KnowledgeBase(_Frozen):
    """Everything loaded from a knowledge base's YAML files, validated."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    red_flags: tuple[RedFlag, ...] = ()
    handover: tuple[Handover, ...] = ()
    texts: Texts
    disclosures: Disclosures = Disclosures()
    examples: tuple[Example, ...] = ()
    # bundled red-flag rules the clinic switched off by name (reported at start and by
    # `faq validate`)
    red_flags_off: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        return next((e for e in self.entries if e.id == entry_id), None)

    def answer_text(self, entry: Entry) -> str:
        """The entry's answer as patients get it: with the disclosures if it advertises."""
        block = self.disclosures.block()
        if entry.advertising is None or not block:
            return entry.answer
        return f"{entry.answer}\n\n{block}"
