"""SQL for the inbox: every incoming update, committed before the messenger is told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.records import to_db_time


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: int
    channel: str
    update_id: str
    payload: str = field(repr=False)  # the update as the messenger sent it (JSON)


class InboxRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, channel: str, update_id: str, payload: str, now: datetime) -> bool:
        """Keep an update; False if it was received before (a redelivery)."""
        cursor = await self._conn.execute(
            "INSERT OR IGNORE INTO inbox (channel, update_id, payload, status, received_at)"
            " VALUES (?, ?, ?, 'pending', ?)",
            (channel, update_id, payload, to_db_time(now)),
        )
        return cursor.rowcount == 1

    async def add_many(
        self, channel: str, updates: Sequence[tuple[str, str]], now: datetime
    ) -> int:
        """Keep (update id, payload) pairs in one statement; how many were new."""
        cursor = await self._conn.executemany(
            "INSERT OR IGNORE INTO inbox (channel, update_id, payload, status, received_at)"
            " VALUES (?, ?, ?, 'pending', ?)",
            [(channel, key, payload, to_db_time(now)) for key, payload in updates],
        )
        return cursor.rowcount

    async def pending(self, channel: str, *, limit: int) -> list[InboxRow]:
        """The oldest updates not yet processed, oldest first."""
        rows = await self._conn.execute_fetchall(  # one trip to aiosqlite's thread, not three
            "SELECT id, channel, update_id, payload FROM inbox"
            " WHERE status = 'pending' AND channel = ? ORDER BY id LIMIT ?",
            (channel, limit),
        )
        return [InboxRow(r["id"], r["channel"], r["update_id"], r["payload"]) for r in rows]

    async def finish(self, row_id: int, *, failed: bool, now: datetime) -> None:
        """Processed (or given up on): the payload goes, the key stays to catch redeliveries."""
        await self._conn.execute(
            "UPDATE inbox SET status = ?, payload = NULL, processed_at = ? WHERE id = ?",
            ("failed" if failed else "done", to_db_time(now), row_id),
        )

    async def prune(self, *, received_before: datetime) -> int:
        """Forget processed updates' keys once the messenger can no longer redeliver them."""
        cursor = await self._conn.execute(
            "DELETE FROM inbox WHERE status != 'pending' AND received_at < ?",
            (to_db_time(received_before),),
        )
        return cursor.rowcount

    async def statuses(self, channel: str) -> list[tuple[str, str]]:
        """(update id, status) of every kept update, in arrival order."""
        async with self._conn.execute(
            "SELECT update_id, status FROM inbox WHERE channel = ? ORDER BY id", (channel,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [(row["update_id"], row["status"]) for row in rows]
