"""SQL for the outbox: every message to a patient is stored before it is sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.messages import Reply
from bot.records import OutboxItem, outbox_from_row, reply_payload, to_db_time

# After this many failed deliveries an item is 'failed' and left for staff to see.
MAX_ATTEMPTS = 5


class OutboxRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def enqueue(self, channel: str, chat_id: str, reply: Reply, now: datetime) -> int:
        cursor = await self._conn.execute(
            "INSERT INTO outbox (channel, chat_id, text, payload, status, created_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?)",
            (channel, chat_id, reply.text, reply_payload(reply), to_db_time(now)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def claim(
        self, channel: str, *, chat_id: str | None = None, limit: int = 50
    ) -> list[OutboxItem]:
        """Mark pending items 'sending' and return them oldest first; no one else gets them."""
        async with self._conn.execute(
            "UPDATE outbox SET status = 'sending' WHERE id IN ("
            " SELECT id FROM outbox WHERE status = 'pending' AND channel = ?"
            " AND (? IS NULL OR chat_id = ?) ORDER BY id LIMIT ?) RETURNING *",
            (channel, chat_id, chat_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        # RETURNING gives no order guarantee.
        return sorted((outbox_from_row(row) for row in rows), key=lambda item: item.id)

    async def mark_sent(self, item_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?",
            (to_db_time(now), item_id),
        )

    async def mark_failed(self, item_id: int) -> None:
        """Count a failed attempt; retry later unless attempts are used up."""
        await self._conn.execute(
            "UPDATE outbox SET attempts = attempts + 1,"
            " status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END"
            " WHERE id = ?",
            (MAX_ATTEMPTS, item_id),
        )

    async def unclaim(self, item_ids: Iterable[int]) -> None:
        """Give back claimed items that were not attempted."""
        await self._conn.executemany(
            "UPDATE outbox SET status = 'pending' WHERE id = ? AND status = 'sending'",
            [(item_id,) for item_id in item_ids],
        )

    async def recover(self, channel: str, *, chat_id: str | None = None) -> int:
        """Return items left 'sending' by a crash to 'pending'; call before delivering.

        Delivery is at least once: a crash between sending and marking sent repeats
        that one message rather than losing it.
        """
        cursor = await self._conn.execute(
            "UPDATE outbox SET status = 'pending' WHERE status = 'sending' AND channel = ?"
            " AND (? IS NULL OR chat_id = ?)",
            (channel, chat_id, chat_id),
        )
        return cursor.rowcount

    async def items(
        self, *, channel: str | None = None, chat_id: str | None = None
    ) -> list[OutboxItem]:
        """Every item, optionally for one channel and chat, oldest first."""
        async with self._conn.execute(
            "SELECT * FROM outbox WHERE (? IS NULL OR channel = ?)"
            " AND (? IS NULL OR chat_id = ?) ORDER BY id",
            (channel, channel, chat_id, chat_id),
        ) as cursor:
            rows = await cursor.fetchall()
        return [outbox_from_row(row) for row in rows]
