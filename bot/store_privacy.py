"""SQL for privacy: erasing one patient from every table, and purging old personal data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.records import STAFF_TICKET_PREFIX, Patient, to_db_time

# Where messengers say who sent an update: Telegram's from/chat ids, LINE's source userId.
# Only these are compared, so another user's message or update id cannot match by chance.
_SENDER_FIELDS = {"from": "id", "chat": "id", "user": "id", "source": "userId"}


@dataclass(frozen=True, slots=True)
class StaffTopic:
    """A patient's topic in the staff chat, to be marked deleted there."""

    chat_id: str
    thread_id: int


@dataclass(frozen=True, slots=True)
class Erased:
    """What forgetting a patient removed."""

    patient_id: int
    tickets: int
    questions: int
    updates: int  # inbox payloads of theirs that were still unprocessed
    topics: tuple[StaffTopic, ...]


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What one retention run removed (or, for questions, emptied)."""

    questions: int  # texts emptied; the decisions stay for the dashboard
    ticket_messages: int
    staff_posts: int
    proposals: int
    outbox: int
    inbox: int

    @property
    def total(self) -> int:
        return (
            self.questions
            + self.ticket_messages
            + self.staff_posts
            + self.proposals
            + self.outbox
            + self.inbox
        )


def mentions_sender(payload: str, ids: Iterable[str]) -> bool:
    """Whether a stored update (JSON) was sent by, or in the chat of, one of `ids`."""
    wanted = set(ids)
    try:
        stack: list[object] = [json.loads(payload)]
    except ValueError:
        return False
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                field = _SENDER_FIELDS.get(key)
                if isinstance(value, dict) and field and str(value.get(field)) in wanted:
                    return True
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return False


class PrivacyRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def erase(self, patient: Patient) -> Erased:
        """Delete every row about the patient, the patient row too (no tombstone is kept).

        A later message from them starts a new patient with a new id.
        """
        pid = patient.id
        tickets = await self._ids("SELECT id FROM tickets WHERE patient_id = ?", (pid,))
        questions = await self._ids("SELECT id FROM questions WHERE patient_id = ?", (pid,))
        async with self._conn.execute(
            "SELECT chat_id, thread_id FROM staff_topics WHERE patient_id = ?", (pid,)
        ) as cursor:
            topics = tuple(
                StaffTopic(r["chat_id"], r["thread_id"]) for r in await cursor.fetchall()
            )
        by_ticket = "SELECT id FROM tickets WHERE patient_id = ?"
        for statement, args in (
            (f"DELETE FROM staff_posts WHERE ticket_id IN ({by_ticket})", (pid,)),
            (f"DELETE FROM proposed_phrasings WHERE ticket_id IN ({by_ticket})", (pid,)),
            (f"DELETE FROM ticket_messages WHERE ticket_id IN ({by_ticket})", (pid,)),
            (
                "DELETE FROM outbox WHERE chat_id IN (SELECT ? || id FROM tickets"
                " WHERE patient_id = ?)",
                (STAFF_TICKET_PREFIX, pid),
            ),
            ("DELETE FROM tickets WHERE patient_id = ?", (pid,)),
            (
                "DELETE FROM feedback WHERE question_id IN"
                " (SELECT id FROM questions WHERE patient_id = ?)",
                (pid,),
            ),
            ("DELETE FROM questions WHERE patient_id = ?", (pid,)),
            ("DELETE FROM staff_topics WHERE patient_id = ?", (pid,)),
            (
                "DELETE FROM outbox WHERE channel = ? AND chat_id = ?",
                (patient.channel, patient.chat_id),
            ),
            ("DELETE FROM patients WHERE id = ?", (pid,)),
        ):
            await self._conn.execute(statement, args)
        updates = await self._drop_updates(patient)
        return Erased(pid, len(tickets), len(questions), updates, topics)

    async def purge(self, *, older_than: datetime) -> PurgeReport:
        """Remove personal data older than `older_than` (see bot/retention.py for what)."""
        cutoff = (to_db_time(older_than),)
        closed = "SELECT id FROM tickets WHERE status = 'closed' AND closed_at < ?"
        questions = await self._run(
            "UPDATE questions SET text = '' WHERE created_at < ? AND text != ''", cutoff
        )
        messages = await self._run(
            f"DELETE FROM ticket_messages WHERE ticket_id IN ({closed})", cutoff
        )
        posts = await self._run(f"DELETE FROM staff_posts WHERE ticket_id IN ({closed})", cutoff)
        proposals = await self._run("DELETE FROM proposed_phrasings WHERE created_at < ?", cutoff)
        # Sent and failed messages hold what patients were told and what staff were shown.
        outbox = await self._run(
            "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?", cutoff
        )
        inbox = await self._run(
            "DELETE FROM inbox WHERE status != 'pending' AND received_at < ?", cutoff
        )
        return PurgeReport(questions, messages, posts, proposals, outbox, inbox)

    async def _drop_updates(self, patient: Patient) -> int:
        """Unprocessed updates of theirs lose their payload; the key stays to catch redeliveries."""
        async with self._conn.execute(
            "SELECT id, payload FROM inbox WHERE channel = ? AND payload IS NOT NULL",
            (patient.channel,),
        ) as cursor:
            rows = await cursor.fetchall()
        ids = (patient.user_id, patient.chat_id)
        dropped = [(row["id"],) for row in rows if mentions_sender(row["payload"], ids)]
        await self._conn.executemany(
            "UPDATE inbox SET payload = NULL, status = 'done',"
            " processed_at = COALESCE(processed_at, received_at) WHERE id = ?",
            dropped,
        )
        return len(dropped)

    async def _ids(self, query: str, args: tuple[object, ...]) -> list[int]:
        async with self._conn.execute(query, args) as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]

    async def _run(self, statement: str, args: tuple[object, ...]) -> int:
        cursor = await self._conn.execute(statement, args)
        return cursor.rowcount
