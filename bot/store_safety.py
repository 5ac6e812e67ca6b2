"""SQL for the safety duties: consent, and urgent tickets no staff member has opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.records import from_db_time, to_db_time


@dataclass(frozen=True, slots=True)
class UnseenUrgent:
    """An urgent ticket staff have not opened since it became urgent."""

    ticket_id: int
    urgent_since: datetime
    last_alert: datetime  # the opening alert, or the latest re-alert
    realerts: int


class SafetyRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def consent(self, patient_id: int, now: datetime) -> None:
        """Record the patient's agreement; an earlier one keeps its time."""
        await self._conn.execute(
            "UPDATE patients SET consented_at = COALESCE(consented_at, ?) WHERE id = ?",
            (to_db_time(now), patient_id),
        )

    async def became_urgent(self, ticket_id: int, now: datetime) -> None:
        """An open ticket turned urgent: staff must open it again, re-alerts start afresh."""
        await self._conn.execute(
            "UPDATE tickets SET urgent_at = ?, seen_at = NULL, realerted_at = NULL,"
            " realerts = 0 WHERE id = ?",
            (to_db_time(now), ticket_id),
        )

    async def mark_seen(self, ticket_id: int, now: datetime) -> None:
        """Staff opened the ticket (its console page)."""
        await self._conn.execute(
            "UPDATE tickets SET seen_at = ? WHERE id = ?", (to_db_time(now), ticket_id)
        )

    async def unseen_urgent(self) -> list[UnseenUrgent]:
        """Active urgent tickets not opened since they became urgent.

        A staff message in the thread (a reply, a /note) since then counts as opened:
        in Telegram, writing in the patient's topic is how staff open a ticket.
        """
        since = "COALESCE(t.urgent_at, t.created_at)"
        async with self._conn.execute(
            f"SELECT t.id, {since} AS since, COALESCE(t.realerted_at, {since}) AS last_alert,"
            " t.realerts FROM tickets AS t"
            " WHERE t.urgent = 1 AND t.status != 'closed'"
            f" AND (t.seen_at IS NULL OR t.seen_at < {since})"
            " AND NOT EXISTS (SELECT 1 FROM ticket_messages AS m WHERE m.ticket_id = t.id"
            " AND (m.author = 'staff' OR (m.author = 'note' AND m.staff_name IS NOT NULL))"
            f" AND m.created_at >= {since})"
            " ORDER BY t.id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            UnseenUrgent(
                row["id"],
                datetime.fromisoformat(row["since"]),
                datetime.fromisoformat(row["last_alert"]),
                row["realerts"],
            )
            for row in rows
        ]

    async def mark_realerted(self, ticket_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE tickets SET realerted_at = ?, realerts = realerts + 1 WHERE id = ?",
            (to_db_time(now), ticket_id),
        )

    async def seen_at(self, ticket_id: int) -> datetime | None:
        async with self._conn.execute(
            "SELECT seen_at FROM tickets WHERE id = ?", (ticket_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return from_db_time(row["seen_at"]) if row is not None else None
