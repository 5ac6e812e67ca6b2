"""SQL for the learning loop: questions the bot could not help with, staff proposals,
and the past questions a knowledge-base change is tried on. Nothing here names a patient."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.records import to_db_time


@dataclass(frozen=True, slots=True)
class LearningRow:
    """A question worth learning from, or a staff proposal of one; never who asked it."""

    question_id: int | None
    proposal_id: int | None
    text: str = field(repr=False)
    created_at: datetime
    escalated: bool  # the bot handed it to staff (no match, or the patient chose staff)
    not_helpful: bool  # answered, and the patient said the answer did not help
    proposed_faq_id: str | None  # the entry staff proposed it for with /learn
    candidates: tuple[tuple[str, float], ...]
    staff_reply: str | None = field(repr=False)  # staff's first reply in its ticket


@dataclass(frozen=True, slots=True)
class PastQuestion:
    """A question patients typed, with what the bot decided the last time it was asked."""

    text: str = field(repr=False)
    action: str
    faq_id: str | None
    asked: int  # how many times this exact text was asked
    last_asked: datetime


# The first staff message in the first ticket opened for question `q`.
_STAFF_REPLY = (
    "(SELECT m.text FROM ticket_messages AS m JOIN tickets AS t ON t.id = m.ticket_id"
    " WHERE t.question_id = q.id AND m.author = 'staff' ORDER BY t.id, m.id LIMIT 1)"
)
# Escalated: a ticket was opened for it. Handover rules (rule_id) are left out: they fire
# before any entry is scored, so no new phrasing could make the bot answer them.
_ESCALATED = (
    "(q.action IN ('escalate', 'clarify') AND q.rule_id IS NULL"
    " AND EXISTS (SELECT 1 FROM tickets AS t WHERE t.question_id = q.id))"
)
_NOT_HELPFUL = "EXISTS (SELECT 1 FROM feedback AS f WHERE f.question_id = q.id AND f.helpful = 0)"
# A proposal an admin already accepted or rejected settles its question.
_SETTLED = (
    "EXISTS (SELECT 1 FROM proposed_phrasings AS p JOIN tickets AS t ON t.id = p.ticket_id"
    " WHERE t.question_id = q.id AND p.status != 'proposed')"
)


class LearningRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def unresolved_questions(
        self, *, since: datetime | None, limit: int
    ) -> list[LearningRow]:
        """Typed questions escalated or marked not helpful, newest first; urgent never."""
        stamp = to_db_time(since) if since is not None else None
        async with self._conn.execute(
            f"SELECT q.id, q.text, q.created_at, q.candidates, {_ESCALATED} AS escalated,"
            f" {_NOT_HELPFUL} AS not_helpful, {_STAFF_REPLY} AS staff_reply"
            " FROM questions AS q WHERE q.via = 'text' AND q.action != 'urgent'"
            f" AND ({_ESCALATED} OR {_NOT_HELPFUL}) AND NOT {_SETTLED}"
            " AND (? IS NULL OR q.created_at >= ?) ORDER BY q.id DESC LIMIT ?",
            (stamp, stamp, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            LearningRow(
                question_id=row["id"],
                proposal_id=None,
                text=row["text"],
                created_at=datetime.fromisoformat(row["created_at"]),
                escalated=bool(row["escalated"]),
                not_helpful=bool(row["not_helpful"]),
                proposed_faq_id=None,
                candidates=_candidates(row["candidates"]),
                staff_reply=row["staff_reply"],
            )
            for row in rows
        ]

    async def pending_proposals(self, *, since: datetime | None, limit: int) -> list[LearningRow]:
        """Phrasings staff proposed with /learn that no admin has decided on, newest first."""
        stamp = to_db_time(since) if since is not None else None
        async with self._conn.execute(
            "SELECT p.id, p.faq_id, p.text, p.created_at, q.id AS question_id,"
            " COALESCE(q.candidates, '[]') AS candidates, (SELECT m.text"
            " FROM ticket_messages AS m WHERE m.ticket_id = p.ticket_id AND m.author = 'staff'"
            " ORDER BY m.id LIMIT 1) AS staff_reply"
            " FROM proposed_phrasings AS p LEFT JOIN tickets AS t ON t.id = p.ticket_id"
            " LEFT JOIN questions AS q ON q.id = t.question_id"
            " WHERE p.status = 'proposed' AND (? IS NULL OR p.created_at >= ?)"
            " ORDER BY p.id DESC LIMIT ?",
            (stamp, stamp, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            LearningRow(
                question_id=row["question_id"],
                proposal_id=row["id"],
                text=row["text"],
                created_at=datetime.fromisoformat(row["created_at"]),
                escalated=False,
                not_helpful=False,
                proposed_faq_id=row["faq_id"],
                candidates=_candidates(row["candidates"]),
                staff_reply=row["staff_reply"],
            )
            for row in rows
        ]

    async def set_proposal_status(self, proposal_id: int, status: str) -> bool:
        """Mark a proposal 'accepted' or 'rejected'; False if there is no such proposal."""
        cursor = await self._conn.execute(
            "UPDATE proposed_phrasings SET status = ? WHERE id = ?", (status, proposal_id)
        )
        return cursor.rowcount > 0

    async def past_questions(self, *, limit: int) -> list[PastQuestion]:
        """Distinct typed questions, most recently asked first, with the latest decision."""
        async with self._conn.execute(
            "SELECT q.text, q.action, q.faq_id, q.created_at, c.asked FROM questions AS q"
            " JOIN (SELECT MAX(id) AS last, COUNT(*) AS asked FROM questions"
            " WHERE via = 'text' GROUP BY text) AS c ON c.last = q.id"
            " ORDER BY q.id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            PastQuestion(
                row["text"],
                row["action"],
                row["faq_id"],
                row["asked"],
                datetime.fromisoformat(row["created_at"]),
            )
            for row in rows
        ]


def _candidates(raw: str) -> tuple[tuple[str, float], ...]:
    return tuple((str(c[0]), float(c[1])) for c in json.loads(raw))
