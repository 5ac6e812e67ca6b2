"""Channel-agnostic messages: what the conversation core receives and what it answers.

Adapters (Telegram, LINE, the local chat) only translate to and from these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

AttachmentKind = Literal["photo", "document", "voice", "video"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo, document, voice or video message; `ref` is the channel's own file reference."""

    kind: AttachmentKind
    ref: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A patient's message.

    `kind="choice"`: `text` is a choice payload (a button press); `kind="command"`: `text`
    is a command name without the slash (start, help, menu, staff, forget). A photo or
    other file comes as `attachment`, its caption (if any) as `text`.
    """

    channel: str
    user_id: str
    chat_id: str
    # Patient text and names stay out of repr so an accidental log line cannot leak them.
    text: str = field(repr=False)
    message_id: str
    display_name: str | None = field(default=None, repr=False)
    kind: Literal["text", "choice", "command"] = "text"
    attachment: Attachment | None = None


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
    MENU = "menu"
    FORGET = "forget"
    CONSENT = "consent"  # what is stored and why, with the button to agree
    FLOOD = "flood"  # too many messages: the one notice before the rest are dropped
    # Messages for staff (the staff channel's outbox items).
    STAFF_NOTICE = "staff_notice"
    STAFF_URGENT = "staff_urgent"  # marked loudly: pinned or mentioned as configured


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
    attachment: Attachment | None = None


class AlertEvent(StrEnum):
    OPENED = "opened"  # a new ticket: staff get the question, the evidence, the conversation
    URGENT = "urgent"  # an open ticket became urgent (a red flag while waiting)
    MESSAGE = "message"  # the patient wrote again while the ticket is open


@dataclass(frozen=True, slots=True)
class StaffAlert:
    """A notification for staff about a ticket; `urgent` for red flags."""

    ticket_id: int
    urgent: bool
    text: str = field(repr=False)
    event: AlertEvent = AlertEvent.MESSAGE
    attachment: Attachment | None = None


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


@dataclass(frozen=True, slots=True)
class MenuChoice:
    category: int  # index into the knowledge base's categories, in order of appearance


@dataclass(frozen=True, slots=True)
class ForgetChoice:
    confirmed: bool


Payload = FaqChoice | FeedbackChoice | HandoverChoice | MenuChoice | ForgetChoice


def faq_payload(faq_id: str) -> str:
    return f"faq:{faq_id}"


def feedback_payload(question_id: int, *, helpful: bool) -> str:
    return f"feedback:{question_id}:{'helpful' if helpful else 'not_helpful'}"


def handover_payload(question_id: int | None = None) -> str:
    return "handover" if question_id is None else f"handover:{question_id}"


def menu_payload(category: int) -> str:
    return f"menu:{category}"


def forget_payload(*, confirmed: bool) -> str:
    return f"forget:{'yes' if confirmed else 'no'}"


def parse_payload(payload: str) -> Payload | None:
    """The choice a payload stands for, or None if it is not one we issue."""
    kind, _, rest = payload.strip().partition(":")
    if kind == "faq" and rest:
        return FaqChoice(rest)
    if kind == "menu" and rest.isdigit():
        return MenuChoice(int(rest))
    if kind == "forget" and rest in ("yes", "no"):
        return ForgetChoice(confirmed=rest == "yes")
    if kind == "handover":
        if not rest:
            return HandoverChoice(None)
        return HandoverChoice(int(rest)) if rest.isdigit() else None
    if kind == "feedback":
        question, _, verdict = rest.partition(":")
        if question.isdigit() and verdict in ("helpful", "not_helpful"):
            return FeedbackChoice(int(question), helpful=verdict == "helpful")
    return None
