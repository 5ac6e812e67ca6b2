"""Tickets: handing a patient to staff, and the staff side (reply, close, reopen)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot import replies
from bot.attachments import ATTACHMENT_LABELS
from bot.clock import Clock
from bot.messages import Attachment
from bot.records import Author, QuestionRecord, Ticket, TicketMessage, TicketStatus
from bot.store import Session, Store
from faq.model import Texts


class TicketError(Exception):
    """A staff action that cannot be done (unknown ticket, already closed, ...)."""


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket with its thread and the question that opened it, for staff."""

    ticket: Ticket
    thread: list[TicketMessage]
    question: QuestionRecord | None


def evidence_note(question: QuestionRecord) -> str:
    """What the matcher saw, so staff can tell why the bot did not answer."""
    candidates = ", ".join(f"{cid} ({score:.2f})" for cid, score in question.candidates)
    lines = [f"判定: {question.action} (score {question.score:.2f})"]
    if question.rule_id:
        lines.append(f"ルール: {question.rule_id}")
    if question.reason:
        lines.append(f"理由: {question.reason}")
    lines.append(f"候補: {candidates or 'なし'}")
    return "\n".join(lines)


async def open_ticket(
    tx: Session,
    patient_id: int,
    question: QuestionRecord | None,
    *,
    reason: str,
    urgent: bool,
    now: datetime,
    attachment: Attachment | None = None,
) -> int:
    """Open a ticket holding the patient's question (and file) and the matcher's evidence."""
    question_id = question.id if question is not None else None
    ticket_id = await tx.tickets.open(
        patient_id, reason=reason, urgent=urgent, question_id=question_id, now=now
    )
    if question is not None:
        await tx.tickets.add_message(
            ticket_id, Author.PATIENT, question.text, now=now, attachment=attachment
        )
        await tx.tickets.add_message(ticket_id, Author.NOTE, evidence_note(question), now=now)
    return ticket_id


class TicketDesk:
    """Staff actions on tickets; anything the patient is told goes through the outbox."""

    def __init__(
        self, store: Store, texts: Callable[[], Texts], clinic_name: str, clock: Clock
    ) -> None:
        self._store = store
        self._texts = texts
        self._clinic_name = clinic_name
        self._clock = clock

    async def tickets(self, *, include_closed: bool = False) -> list[Ticket]:
        statuses = [TicketStatus.OPEN, TicketStatus.ANSWERED]
        if include_closed:
            statuses.append(TicketStatus.CLOSED)
        async with self._store.transaction(write=False) as tx:
            return await tx.tickets.in_status(statuses)

    async def view(self, ticket_id: int) -> TicketView:
        async with self._store.transaction(write=False) as tx:
            ticket = await _existing(tx, ticket_id)
            thread = await tx.tickets.messages(ticket_id)
            question = await tx.questions.get(ticket.question_id) if ticket.question_id else None
        return TicketView(ticket, thread, question)

    async def reply(
        self, ticket_id: int, text: str, staff_name: str, *, attachment: Attachment | None = None
    ) -> int:
        """Store a staff reply (text, or a file with a caption) and queue it for the patient.

        Returns the outbox id.
        """
        text = text.strip()
        if not text and attachment is None:
            raise TicketError("the reply is empty")
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await _existing(tx, ticket_id)
            if not ticket.active:
                raise TicketError(f"ticket #{ticket_id} is closed; reopen it first")
            reply = replies.staff_reply(self._texts(), self._clinic_name, text, attachment)
            # A file without words still shows in the thread, as what kind of file it was.
            kept = text or (ATTACHMENT_LABELS[attachment.kind] if attachment else "")
            await tx.tickets.add_message(
                ticket_id, Author.STAFF, kept, now=now, staff_name=staff_name
            )
            await tx.tickets.mark_responded(ticket_id, now)
            return await tx.outbox.enqueue(ticket.channel, ticket.chat_id, reply, now)

    async def close(self, ticket_id: int) -> int:
        """Close the ticket and queue the closing message; return the outbox id."""
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await _existing(tx, ticket_id)
            if not ticket.active:
                raise TicketError(f"ticket #{ticket_id} is already closed")
            reply = replies.ticket_closed(self._texts())
            await tx.tickets.set_status(ticket_id, TicketStatus.CLOSED, now)
            await tx.tickets.add_message(ticket_id, Author.BOT, reply.text, now=now)
            return await tx.outbox.enqueue(ticket.channel, ticket.chat_id, reply, now)

    async def reopen(self, ticket_id: int) -> None:
        """Reopen a closed ticket; the patient's next messages join it again."""
        now = self._clock()
        async with self._store.transaction() as tx:
            ticket = await _existing(tx, ticket_id)
            if ticket.active:
                raise TicketError(f"ticket #{ticket_id} is not closed")
            other = await tx.tickets.active_for(ticket.patient_id)
            if other is not None:
                raise TicketError(
                    f"the patient already has ticket #{other.id} open; close it first"
                )
            await tx.tickets.set_status(ticket_id, TicketStatus.OPEN, now)

    async def note(self, ticket_id: int, text: str, staff_name: str) -> None:
        """An internal note in the thread; the patient never sees it."""
        async with self._store.transaction() as tx:
            await _existing(tx, ticket_id)
            await tx.tickets.add_message(
                ticket_id, Author.NOTE, text, now=self._clock(), staff_name=staff_name
            )


async def _existing(tx: Session, ticket_id: int) -> Ticket:
    ticket = await tx.tickets.get(ticket_id)
    if ticket is None:
        raise TicketError(f"no ticket #{ticket_id}")
    return ticket
