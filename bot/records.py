"""Stored rows as frozen dataclasses, and the conversions to and from SQLite values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.messages import Attachment, Choice, Reply, ReplyKind

# Outbox items for the staff channel are addressed to a ticket: chat_id "ticket:<id>",
# or STAFF_GENERAL for the staff room itself (answers to /pending in the main thread).
STAFF_TICKET_PREFIX = "ticket:"
STAFF_GENERAL = "general"


class TicketStatus(StrEnum):
    OPEN = "open"  # waiting for staff
    ANSWERED = "answered"  # staff replied; the patient may follow up
    CLOSED = "closed"


class Author(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"
    BOT = "bot"
    NOTE = "note"  # for staff only: the matcher's evidence, internal remarks


@dataclass(frozen=True, slots=True)
class Patient:
    id: int
    channel: str
    user_id: str
    chat_id: str
    created_at: datetime
    last_seen_at: datetime
    inactive_since: datetime | None = None  # the patient blocked the bot (LINE's unfollow)
    consented_at: datetime | None = None  # agreed to what is stored (bot/consent.py)


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    id: int
    patient_id: int
    text: str = field(repr=False)
    via: str  # 'text' typed, 'choice' picked from a button
    action: str
    faq_id: str | None
    score: float
    rule_id: str | None
    reason: str
    candidates: tuple[tuple[str, float], ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    patient_id: int
    channel: str
    chat_id: str
    question_id: int | None
    status: TicketStatus
    urgent: bool
    reason: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status is not TicketStatus.CLOSED


@dataclass(frozen=True, slots=True)
class ThreadFile:
    """A file a patient sent, kept in the thread as a reference on their messenger (no copy)."""

    channel: str
    attachment: Attachment


@dataclass(frozen=True, slots=True)
class TicketMessage:
    id: int
    ticket_id: int
    author: Author
    staff_name: str | None
    text: str = field(repr=False)
    created_at: datetime
    file: ThreadFile | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    channel: str
    chat_id: str
    reply: Reply = field(repr=False)
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    progress: int = 0  # parts of the message already delivered
    failure: str | None = None  # why it failed for good: 'quota' or an error's type name


def to_db_time(value: datetime) -> str:
    """UTC ISO-8601: sorts as text and reads back exactly."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def reply_payload(reply: Reply) -> str:
    """What the outbox keeps beside the text to rebuild the reply."""
    choices = [[c.label, c.payload] for c in reply.choices]
    payload: dict[str, object] = {"kind": reply.kind.value, "choices": choices}
    if reply.attachment is not None:
        payload["attachment"] = [reply.attachment.kind, reply.attachment.ref]
    return json.dumps(payload, ensure_ascii=False)


def patient_from_row(row: Any) -> Patient:
    return Patient(
        id=row["id"],
        channel=row["channel"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        created_at=_time(row["created_at"]),
        last_seen_at=_time(row["last_seen_at"]),
        inactive_since=from_db_time(row["inactive_since"]),
        consented_at=from_db_time(row["consented_at"]),
    )


def question_from_row(row: Any) -> QuestionRecord:
    candidates = tuple((str(c[0]), float(c[1])) for c in json.loads(row["candidates"]))
    return QuestionRecord(
        id=row["id"],
        patient_id=row["patient_id"],
        text=row["text"],
        via=row["via"],
        action=row["action"],
        faq_id=row["faq_id"],
        score=row["score"],
        rule_id=row["rule_id"],
        reason=row["reason"],
        candidates=candidates,
        created_at=_time(row["created_at"]),
    )


def ticket_from_row(row: Any) -> Ticket:
    return Ticket(
        id=row["id"],
        patient_id=row["patient_id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        question_id=row["question_id"],
        status=TicketStatus(row["status"]),
        urgent=bool(row["urgent"]),
        reason=row["reason"],
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
        first_response_at=from_db_time(row["first_response_at"]),
        closed_at=from_db_time(row["closed_at"]),
    )


def thread_file_from_db(value: str | None) -> ThreadFile | None:
    """The JSON {"channel", "kind", "ref"} of ticket_messages.attachment, if any."""
    if value is None:
        return None
    data = json.loads(value)
    return ThreadFile(data["channel"], Attachment(data["kind"], data["ref"]))


def ticket_message_from_row(row: Any) -> TicketMessage:
    return TicketMessage(
        id=row["id"],
        ticket_id=row["ticket_id"],
        author=Author(row["author"]),
        staff_name=row["staff_name"],
        text=row["text"],
        created_at=_time(row["created_at"]),
        file=thread_file_from_db(row["attachment"]),
    )


def outbox_from_row(row: Any) -> OutboxItem:
    payload = json.loads(row["payload"])
    attachment = payload.get("attachment")
    reply = Reply(
        text=row["text"],
        choices=tuple(Choice(label, data) for label, data in payload.get("choices", ())),
        kind=ReplyKind(payload.get("kind", ReplyKind.ANSWER.value)),
        attachment=Attachment(attachment[0], attachment[1]) if attachment else None,
    )
    return OutboxItem(
        id=row["id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        reply=reply,
        status=row["status"],
        attempts=row["attempts"],
        created_at=_time(row["created_at"]),
        sent_at=from_db_time(row["sent_at"]),
        progress=row["progress"],
        failure=row["failure"],
    )
