"""SQL for tickets and their message threads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.messages import Attachment
from bot.records import (
    Author,
    Ticket,
    TicketMessage,
    TicketStatus,
    ticket_from_row,
    ticket_message_from_row,
    to_db_time,
)

_SELECT = (
    "SELECT t.*, p.channel, p.chat_id FROM tickets AS t JOIN patients AS p ON p.id = t.patient_id"
)


class TicketRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def open(
        self,
        patient_id: int,
        *,
        reason: str,
        urgent: bool,
        question_id: int | None,
        now: datetime,
    ) -> int:
        """Open a ticket; the caller has checked the patient has no active one."""
        stamp = to_db_time(now)
        cursor = await self._conn.execute(
            "INSERT INTO tickets (patient_id, question_id, status, urgent, reason,"
            " created_at, updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?)",
            (patient_id, question_id, int(urgent), reason, stamp, stamp),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self._conn.execute(f"{_SELECT} WHERE t.id = ?", (ticket_id,)) as cursor:
            row = await cursor.fetchone()
        return ticket_from_row(row) if row is not None else None

    async def active_for(self, patient_id: int) -> Ticket | None:
        """The patient's ticket that is not closed, if any (there is at most one)."""
        async with self._conn.execute(
            f"{_SELECT} WHERE t.patient_id = ? AND t.status != 'closed'", (patient_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return ticket_from_row(row) if row is not None else None

    async def latest_for(self, patient_id: int) -> Ticket | None:
        """The patient's newest ticket, closed or not."""
        async with self._conn.execute(
            f"{_SELECT} WHERE t.patient_id = ? ORDER BY t.id DESC LIMIT 1", (patient_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return ticket_from_row(row) if row is not None else None

    async def in_status(self, statuses: Iterable[TicketStatus]) -> list[Ticket]:
        """Tickets in these statuses, urgent first, then oldest first."""
        wanted = [s.value for s in statuses]
        marks = ", ".join("?" for _ in wanted)
        async with self._conn.execute(
            f"{_SELECT} WHERE t.status IN ({marks}) ORDER BY t.urgent DESC, t.id", wanted
        ) as cursor:
            rows = await cursor.fetchall()
        return [ticket_from_row(row) for row in rows]

    async def set_status(self, ticket_id: int, status: TicketStatus, now: datetime) -> None:
        stamp = to_db_time(now)
        closed_at = stamp if status is TicketStatus.CLOSED else None
        await self._conn.execute(
            "UPDATE tickets SET status = ?, updated_at = ?, closed_at = ? WHERE id = ?",
            (status.value, stamp, closed_at, ticket_id),
        )

    async def mark_urgent(self, ticket_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE tickets SET urgent = 1, updated_at = ? WHERE id = ?",
            (to_db_time(now), ticket_id),
        )

    async def mark_responded(self, ticket_id: int, now: datetime) -> None:
        """Staff answered: status 'answered', first_response_at kept from the first reply."""
        stamp = to_db_time(now)
        await self._conn.execute(
            "UPDATE tickets SET status = 'answered', updated_at = ?,"
            " first_response_at = COALESCE(first_response_at, ?) WHERE id = ?",
            (stamp, stamp, ticket_id),
        )

    async def add_message(
        self,
        ticket_id: int,
        author: Author,
        text: str,
        *,
        now: datetime,
        staff_name: str | None = None,
        attachment: Attachment | None = None,
    ) -> int:
        """Add to the thread; a patient's file is kept as a reference on their messenger."""
        stamp = to_db_time(now)
        kind, ref = (attachment.kind, attachment.ref) if attachment is not None else (None, None)
        # The file lives on the patient's messenger: its channel is stored beside the ref.
        cursor = await self._conn.execute(
            "INSERT INTO ticket_messages (ticket_id, author, staff_name, text, created_at,"
            " attachment) VALUES (?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE"
            " json_object('channel', (SELECT p.channel FROM tickets AS t JOIN patients AS p"
            " ON p.id = t.patient_id WHERE t.id = ?), 'kind', ?, 'ref', ?) END)",
            (ticket_id, author.value, staff_name, text, stamp, kind, ticket_id, kind, ref),
        )
        await self._conn.execute(
            "UPDATE tickets SET updated_at = ? WHERE id = ?", (stamp, ticket_id)
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        """The ticket's thread, oldest first."""
        async with self._conn.execute(
            "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [ticket_message_from_row(row) for row in rows]
