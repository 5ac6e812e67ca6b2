"""SQL for the outbox: every message to a patient is stored before it is sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import aiosqlite

from bot.messages import Reply, ReplyKind
from bot.records import OutboxItem, outbox_from_row, reply_payload, to_db_time

# After this many failed deliveries an item is 'failed' and reported to staff.
MAX_ATTEMPTS = 8


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
        self, channel: str, now: datetime, *, chat_id: str | None = None, limit: int = 50
    ) -> list[OutboxItem]:
        """Mark due pending items 'sending' and return them oldest first; no one else gets them.

        A chat whose oldest pending item is waiting out a back-off gets nothing, so its
        messages keep their order.
        """
        # execute_fetchall: one trip to aiosqlite's thread instead of three (execute,
        # fetchall, close); each trip costs the event loop more than the statement.
        rows = await self._conn.execute_fetchall(
            "UPDATE outbox SET status = 'sending' WHERE id IN ("
            " SELECT o.id FROM outbox AS o WHERE o.status = 'pending' AND o.channel = ?"
            " AND (? IS NULL OR o.chat_id = ?) AND NOT EXISTS (SELECT 1 FROM outbox AS w"
            " WHERE w.channel = o.channel AND w.chat_id = o.chat_id AND w.status = 'pending'"
            " AND w.id <= o.id AND w.not_before > ?) ORDER BY o.id LIMIT ?) RETURNING *",
            (channel, chat_id, chat_id, to_db_time(now), limit),
        )
        # RETURNING gives no order guarantee.
        return sorted((outbox_from_row(row) for row in rows), key=lambda item: item.id)

    async def mark_sent(self, item_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?",
            (to_db_time(now), item_id),
        )
        # /forget's messages (the goodbye above all) are not kept once delivered: the
        # patient they went to has been erased.
        await self._conn.execute(
            "DELETE FROM outbox WHERE id = ? AND json_extract(payload, '$.kind') = ?",
            (item_id, ReplyKind.FORGET.value),
        )

    async def mark_sent_many(self, item_ids: Sequence[int], now: datetime) -> None:
        """`mark_sent` for several items at once (one statement each, not one per item)."""
        await self._conn.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?",
            [(to_db_time(now), item_id) for item_id in item_ids],
        )
        await self._conn.executemany(
            "DELETE FROM outbox WHERE id = ? AND json_extract(payload, '$.kind') = ?",
            [(item_id, ReplyKind.FORGET.value) for item_id in item_ids],
        )

    async def mark_failed(
        self,
        item_id: int,
        *,
        retry_at: datetime,
        for_good: bool = False,
        failure: str | None = None,
    ) -> bool:
        """Count a failed attempt; retry at `retry_at` unless attempts are used up or `for_good`.

        `failure` (why the attempt failed) is kept with the item. Returns True when the
        item will not be tried again.
        """
        async with self._conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, failure = ?,"
            " status = CASE WHEN ? OR attempts + 1 >= ? THEN 'failed' ELSE 'pending' END"
            " WHERE id = ? RETURNING status",
            (to_db_time(retry_at), failure, int(for_good), MAX_ATTEMPTS, item_id),
        ) as cursor:
            row = await cursor.fetchone()
        return row is not None and row["status"] == "failed"

    async def set_progress(self, item_id: int, parts: int) -> None:
        """Parts of a multi-part message delivered so far (a retry starts after them)."""
        await self._conn.execute("UPDATE outbox SET progress = ? WHERE id = ?", (parts, item_id))

    async def pending(self, channel: str) -> int:
        """How many items of the channel wait to be sent (due or backing off)."""
        async with self._conn.execute(
            "SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND status = 'pending'",
            (channel,),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["n"]) if row is not None else 0

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
