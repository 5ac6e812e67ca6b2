"""The ticket queue as staff see it: order, the patient's question, the bot's best guesses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.records import Author, QuestionRecord, Ticket, TicketMessage, TicketStatus
from bot.store import Store
from faq.model import KnowledgeBase

GUESSES = 3


@dataclass(frozen=True, slots=True)
class Guess:
    """An entry the matcher thought close, with its score."""

    faq_id: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class QueueRow:
    ticket: Ticket
    question: str = field(repr=False)
    guesses: tuple[Guess, ...]


def queue_order(tickets: Iterable[Ticket]) -> list[Ticket]:
    """Waiting for staff first, urgent on top of each group, then oldest first."""
    return sorted(tickets, key=lambda t: (t.status is not TicketStatus.OPEN, not t.urgent, t.id))


def guesses(question: QuestionRecord | None, kb: KnowledgeBase) -> tuple[Guess, ...]:
    """The matcher's candidates for the question, as entries staff can pick."""
    if question is None:
        return ()
    found = []
    for faq_id, score in question.candidates[:GUESSES]:
        entry = kb.entry(faq_id)
        if entry is not None:  # gone since a reload: nothing to offer
            found.append(Guess(faq_id, entry.question, score))
    return tuple(found)


def patient_question(question: QuestionRecord | None, thread: list[TicketMessage]) -> str:
    """What the patient asked: the opening question, else their first message."""
    if question is not None:
        return question.text
    return next((m.text for m in thread if m.author is Author.PATIENT), "")


async def queue_rows(store: Store, kb: KnowledgeBase) -> list[QueueRow]:
    """Tickets not closed, in queue order."""
    rows = []
    async with store.transaction(write=False) as tx:
        tickets = await tx.tickets.in_status([TicketStatus.OPEN, TicketStatus.ANSWERED])
        for ticket in queue_order(tickets):
            question = await tx.questions.get(ticket.question_id) if ticket.question_id else None
            thread = [] if question is not None else await tx.tickets.messages(ticket.id)
            rows.append(QueueRow(ticket, patient_question(question, thread), guesses(question, kb)))
    return rows
