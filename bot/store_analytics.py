"""Read-only SQL for the dashboard and the CSV exports: questions and tickets as facts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.records import TicketStatus, from_db_time, to_db_time


@dataclass(frozen=True, slots=True)
class QuestionFact:
    """One question with its decision and feedback; `text` is empty unless asked for."""

    patient_id: int
    channel: str
    via: str  # 'text' typed, 'choice' picked from a button
    action: str
    faq_id: str | None
    score: float
    rule_id: str | None
    candidates: tuple[str, ...]  # entry ids the matcher considered, best first
    helpful: bool | None  # None: no feedback given
    created_at: datetime
    text: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class TicketFact:
    """One ticket with the decision of the question that opened it (if any)."""

    patient_id: int
    channel: str
    status: TicketStatus
    urgent: bool
    reason: str
    question_action: str | None
    question_faq_id: str | None
    patient_messages: int
    staff_messages: int
    created_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None


_QUESTIONS = (
    "SELECT q.patient_id, p.channel, q.via, q.action, q.faq_id, q.score, q.rule_id,"
    " q.candidates, f.helpful, q.created_at, {text} AS text"
    " FROM questions AS q JOIN patients AS p ON p.id = q.patient_id"
    " LEFT JOIN feedback AS f ON f.question_id = q.id"
    " WHERE q.created_at >= ? AND q.created_at < ? ORDER BY q.id"
)

_TICKETS = (
    "SELECT t.patient_id, p.channel, t.status, t.urgent, t.reason, q.action, q.faq_id,"
    " (SELECT COUNT(*) FROM ticket_messages AS m"
    "  WHERE m.ticket_id = t.id AND m.author = 'patient') AS patient_messages,"
    " (SELECT COUNT(*) FROM ticket_messages AS m"
    "  WHERE m.ticket_id = t.id AND m.author = 'staff') AS staff_messages,"
    " t.created_at, t.first_response_at, t.closed_at"
    " FROM tickets AS t JOIN patients AS p ON p.id = t.patient_id"
    " LEFT JOIN questions AS q ON q.id = t.question_id"
)


class AnalyticsRepo:
    """Queries only: nothing here writes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def questions(
        self, since: datetime, until: datetime, *, with_text: bool = False
    ) -> list[QuestionFact]:
        """Questions asked in [since, until), oldest first."""
        # Our own constant, not user input: the text column or an empty string.
        sql = _QUESTIONS.format(text="q.text" if with_text else "''")
        async with self._conn.execute(sql, (to_db_time(since), to_db_time(until))) as cursor:
            rows = await cursor.fetchall()
        return [_question(row) for row in rows]

    async def tickets(self, since: datetime, until: datetime) -> list[TicketFact]:
        """Tickets opened in [since, until), oldest first."""
        async with self._conn.execute(
            f"{_TICKETS} WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.id",
            (to_db_time(since), to_db_time(until)),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_ticket(row) for row in rows]

    async def active_tickets(self) -> list[TicketFact]:
        """Tickets not closed, whenever they were opened, oldest first."""
        async with self._conn.execute(
            f"{_TICKETS} WHERE t.status != 'closed' ORDER BY t.id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [_ticket(row) for row in rows]


def _question(row: aiosqlite.Row) -> QuestionFact:
    helpful = row["helpful"]
    return QuestionFact(
        patient_id=row["patient_id"],
        channel=row["channel"],
        via=row["via"],
        action=row["action"],
        faq_id=row["faq_id"],
        score=row["score"],
        rule_id=row["rule_id"],
        candidates=tuple(str(c[0]) for c in json.loads(row["candidates"])),
        helpful=bool(helpful) if helpful is not None else None,
        created_at=datetime.fromisoformat(row["created_at"]),
        text=row["text"],
    )


def _ticket(row: aiosqlite.Row) -> TicketFact:
    return TicketFact(
        patient_id=row["patient_id"],
        channel=row["channel"],
        status=TicketStatus(row["status"]),
        urgent=bool(row["urgent"]),
        reason=row["reason"],
        question_action=row["action"],
        question_faq_id=row["faq_id"],
        patient_messages=row["patient_messages"],
        staff_messages=row["staff_messages"],
        created_at=datetime.fromisoformat(row["created_at"]),
        first_response_at=from_db_time(row["first_response_at"]),
        closed_at=from_db_time(row["closed_at"]),
    )
