"""SQL for the staff side: a topic per patient, the bot's posts, proposals, reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.records import from_db_time, to_db_time


@dataclass(frozen=True, slots=True)
class Waiting:
    """An open ticket and since when the patient has been waiting for staff."""

    ticket_id: int
    since: datetime
    reminded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    faq_id: str
    text: str = field(repr=False)
    ticket_id: int | None
    status: str


class StaffRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def topic(self, patient_id: int, chat_id: str) -> int | None:
        """The thread id of the patient's topic in this staff chat, if one was made."""
        async with self._conn.execute(
            "SELECT thread_id FROM staff_topics WHERE patient_id = ? AND chat_id = ?",
            (patient_id, chat_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["thread_id"]) if row is not None else None

    async def set_topic(self, patient_id: int, chat_id: str, thread_id: int, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO staff_topics (patient_id, chat_id, thread_id, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (patient_id) DO UPDATE"
            " SET chat_id = excluded.chat_id, thread_id = excluded.thread_id,"
            " created_at = excluded.created_at",
            (patient_id, chat_id, thread_id, to_db_time(now)),
        )

    async def drop_topic(self, patient_id: int) -> None:
        await self._conn.execute("DELETE FROM staff_topics WHERE patient_id = ?", (patient_id,))

    async def patient_for_topic(self, chat_id: str, thread_id: int) -> int | None:
        async with self._conn.execute(
            "SELECT patient_id FROM staff_topics WHERE chat_id = ? AND thread_id = ?",
            (chat_id, thread_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["patient_id"]) if row is not None else None

    async def add_post(self, chat_id: str, message_id: int, ticket_id: int) -> None:
        await self._conn.execute(
            "INSERT OR IGNORE INTO staff_posts (chat_id, message_id, ticket_id) VALUES (?, ?, ?)",
            (chat_id, message_id, ticket_id),
        )

    async def ticket_for_post(self, chat_id: str, message_id: int) -> int | None:
        async with self._conn.execute(
            "SELECT ticket_id FROM staff_posts WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["ticket_id"]) if row is not None else None

    async def first_post(self, chat_id: str, ticket_id: int) -> int | None:
        """The bot's first message about the ticket: the thread root without topics."""
        async with self._conn.execute(
            "SELECT MIN(message_id) AS first FROM staff_posts WHERE chat_id = ? AND ticket_id = ?",
            (chat_id, ticket_id),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["first"]) if row is not None and row["first"] is not None else None

    async def propose(
        self, faq_id: str, text: str, *, ticket_id: int, staff_name: str, now: datetime
    ) -> int:
        """Record a patient's question as a proposed phrasing of an entry, for an admin."""
        cursor = await self._conn.execute(
            "INSERT INTO proposed_phrasings (faq_id, text, ticket_id, staff_name, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (faq_id, text, ticket_id, staff_name, to_db_time(now)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def proposals(self) -> list[Proposal]:
        async with self._conn.execute(
            "SELECT id, faq_id, text, ticket_id, status FROM proposed_phrasings ORDER BY id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Proposal(r["id"], r["faq_id"], r["text"], r["ticket_id"], r["status"]) for r in rows
        ]

    async def waiting(self) -> list[Waiting]:
        """Open tickets with the time of the patient's first message since staff last wrote."""
        async with self._conn.execute(
            "SELECT t.id, t.reminded_at, COALESCE((SELECT MIN(m.created_at)"
            " FROM ticket_messages AS m WHERE m.ticket_id = t.id AND m.author = 'patient'"
            " AND m.id > COALESCE((SELECT MAX(s.id) FROM ticket_messages AS s"
            " WHERE s.ticket_id = t.id AND s.author = 'staff'), 0)), t.created_at) AS since"
            " FROM tickets AS t WHERE t.status = 'open' ORDER BY t.id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Waiting(
                row["id"], datetime.fromisoformat(row["since"]), from_db_time(row["reminded_at"])
            )
            for row in rows
        ]

    async def mark_reminded(self, ticket_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE tickets SET reminded_at = ? WHERE id = ?", (to_db_time(now), ticket_id)
        )
