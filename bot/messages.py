"""Channel-agnostic messages: what the conversation core receives and what it answers.

Adapters (Telegram, LINE, the local chat) only translate to and from these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A patient's message; `kind="choice"` means `text` is a choice payload (a button press)."""

    channel: str
    user_id: str
    chat_id: str
    # Patient text and names stay out of repr so an accidental log line cannot leak them.
    text: str = field(repr=False)
    message_id: str
    display_name: str | None = field(default=None, repr=False)
    kind: Literal["text", "choice"] = "text"


class ReplyKind(StrEnum):
    WELCOME = "welcome"
    ANSWER = "answer"
    CLARIFY = "clarify"
    URGENT = "urgent"
    ESCALATION = "escalation"
    HANDOVER = "handover"
    FOLLOWUP = "followup"
    FEEDBACK = "feedback"
    NOT_UNDERSTOOD = "not_understood"
    STAFF_REPLY = "staff_reply"
    TICKET_CLOSED = "ticket_closed"


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: `label` is shown, `payload` comes back as a choice message."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the patient, with the choices offered under it."""

    text: str
    choices: tuple[Choice, ...] = ()
    kind: ReplyKind = ReplyKind.ANSWER


@dataclass(frozen=True, slots=True)
class StaffAlert:
    """A notification for staff about a ticket; `urgent` for red flags."""

    ticket_id: int
    urgent: bool
    text: str = field(repr=False)


# Choice payloads. Kept short: Telegram allows 64 bytes of callback data.
@dataclass(frozen=True, slots=True)
class FaqChoice:
    faq_id: str


@dataclass(frozen=True, slots=True)
class FeedbackChoice:
    question_id: int
    helpful: bool


@dataclass(frozen=True, slots=True)
class HandoverChoice:
    question_id: int | None  # None: the patient's latest question


Payload = FaqChoice | FeedbackChoice | HandoverChoice


def faq_payload(faq_id: str) -> str:
    return f"faq:{faq_id}"


def feedback_payload(question_id: int, *, helpful: bool) -> str:
    return f"feedback:{question_id}:{'helpful' if helpful else 'not_helpful'}"


def handover_payload(question_id: int | None = None) -> str:
    return "handover" if question_id is None else f"handover:{question_id}"


def parse_payload(payload: str) -> Payload | None:
    """The choice a payload stands for, or None if it is not one we issue."""
    kind, _, rest = payload.strip().partition(":")
    if kind == "faq" and rest:
        return FaqChoice(rest)
    if kind == "handover":
        if not rest:
            return HandoverChoice(None)
        return HandoverChoice(int(rest)) if rest.isdigit() else None
    if kind == "feedback":
        question, _, verdict = rest.partition(":")
        if question.isdigit() and verdict in ("helpful", "not_helpful"):
            return FeedbackChoice(int(question), helpful=verdict == "helpful")
    return None
