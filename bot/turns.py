"""What a recorded question leads to: an answer, a clarification, a ticket (urgent or
not), or, while the patient is with staff, a message in their open ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot import replies
from bot.config import Clinic
from bot.hours import eta_text
from bot.messages import AlertEvent, Attachment, Reply, StaffAlert
from bot.records import Author, Patient, QuestionRecord, Ticket, TicketStatus
from bot.store import Session
from bot.tickets import open_ticket
from faq.decision import Action, Decision
from faq.model import KnowledgeBase, RedFlag


@dataclass(slots=True)
class Turn:
    """One message being handled: what is known, and what it produces."""

    tx: Session
    kb: KnowledgeBase
    patient: Patient
    question: QuestionRecord
    decision: Decision
    now: datetime
    clinic: Clinic
    attachment: Attachment | None = None
    replies: list[Reply] = field(default_factory=list)
    alerts: list[StaffAlert] = field(default_factory=list)

    def eta(self) -> str:
        """When staff will answer, from the clinic's hours."""
        return eta_text(self.clinic, self.now)


async def follow(turn: Turn) -> None:
    """An answer or a clarification if the decision allows, else a ticket."""
    kb, decision = turn.kb, turn.decision
    if decision.action is Action.URGENT:
        await urgent(turn)
        return
    entry = kb.entry(decision.faq_id) if decision.faq_id else None
    if decision.action is Action.ANSWER and entry is not None:
        turn.replies += replies.answer(kb, entry, turn.question.id, also=decision.choices)
        return
    if decision.action is Action.CLARIFY:
        reply = replies.clarify(kb, decision.choices, turn.question.id)
        if reply is not None:
            turn.replies.append(reply)
            return
    await escalate(turn)


async def urgent(turn: Turn) -> None:
    """A red flag: an urgent ticket, the safety message, a loud alert."""
    flag = red_flag(turn.kb, turn.decision.rule_id)
    label = flag.label if flag is not None else (turn.decision.rule_id or "red flag")
    ticket_id = await _open_ticket(turn, label, urgent=True)
    reply = replies.urgent(turn.kb.texts, flag, turn.eta())
    await turn.tx.tickets.add_message(ticket_id, Author.BOT, reply.text, now=turn.now)
    turn.replies.append(reply)
    text = f"🚨 {label}\n{turn.question.text}"
    turn.alerts.append(StaffAlert(ticket_id, True, text, AlertEvent.OPENED, turn.attachment))


async def escalate(turn: Turn) -> None:
    """Open a ticket: a handover rule fired, or nothing in the KB answers this."""
    rule = next((h for h in turn.kb.handover if h.id == turn.decision.rule_id), None)
    reason = rule.reason if rule is not None else "ナレッジベースに該当なし"
    ticket_id = await _open_ticket(turn, reason, urgent=False)
    eta = turn.eta()
    turn.replies.append(replies.escalation(turn.kb.texts, eta, handover=rule is not None))
    text = f"{reason}\n{turn.question.text}"
    turn.alerts.append(StaffAlert(ticket_id, False, text, AlertEvent.OPENED, turn.attachment))


async def join_ticket(turn: Turn, ticket: Ticket) -> None:
    """The patient is with staff: the message joins the ticket; red flags still answered."""
    tx, now = turn.tx, turn.now
    await tx.tickets.add_message(
        ticket.id, Author.PATIENT, turn.question.text, now=now, attachment=turn.attachment
    )
    if ticket.status is TicketStatus.ANSWERED:
        await tx.tickets.set_status(ticket.id, TicketStatus.OPEN, now)
    if turn.decision.action is Action.URGENT:
        flag = red_flag(turn.kb, turn.decision.rule_id)
        reply = replies.urgent(turn.kb.texts, flag, turn.eta())
        await tx.tickets.mark_urgent(ticket.id, now)
        await tx.safety.became_urgent(ticket.id, now)  # staff must open it again
        await tx.tickets.add_message(ticket.id, Author.BOT, reply.text, now=now)
        label = flag.label if flag is not None else "red flag"
        turn.replies.append(reply)
        text = f"🚨 {label}\n{turn.question.text}"
        alert = StaffAlert(ticket.id, True, text, AlertEvent.URGENT, turn.attachment)
        turn.alerts.append(alert)
        return
    turn.replies.append(replies.followup(turn.kb.texts))
    alert = StaffAlert(ticket.id, ticket.urgent, turn.question.text, attachment=turn.attachment)
    turn.alerts.append(alert)


async def _open_ticket(turn: Turn, reason: str, *, urgent: bool) -> int:
    """A ticket for the turn's question (and the file it came with)."""
    return await open_ticket(
        turn.tx,
        turn.patient.id,
        turn.question,
        reason=reason,
        urgent=urgent,
        now=turn.now,
        attachment=turn.attachment,
    )


def red_flag(kb: KnowledgeBase, rule_id: str | None) -> RedFlag | None:
    return next((flag for flag in kb.red_flags if flag.id == rule_id), None)
