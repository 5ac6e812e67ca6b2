"""The knowledge base as validated, frozen objects: what admins write in YAML."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Telegram's limit for one message; LINE allows 5,000, so this bounds both.
MAX_ANSWER_CHARS = 4096


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


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


class KnowledgeBase(_Frozen):
    """Everything loaded from a knowledge base's YAML files, validated."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    red_flags: tuple[RedFlag, ...] = ()
    handover: tuple[Handover, ...] = ()
    texts: Texts
    disclosures: Disclosures = Disclosures()
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
