"""What a (re)started bot would find in its database, read as a restart reads it."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DbState:
    """What a (re)started bot would find in its database."""

    integrity: str
    inbox: Counter[str]  # update id → rows (the channel of patients' and staff's updates)
    inbox_status: Counter[str]
    outbox_status: Counter[str]
    unsent: list[tuple[int, str, str, str]]  # (id, channel, chat, status) of outbox rows not sent


def read_db(path: Path) -> DbState:
    """Open the database as a restart would (recovering its WAL) and read the facts."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        [(integrity,)] = conn.execute("PRAGMA integrity_check").fetchall()
        inbox = Counter(
            {
                key: n
                for key, n in conn.execute(
                    "SELECT update_id, COUNT(*) FROM inbox WHERE channel = ? GROUP BY update_id",
                    ("telegram",),
                )
            }
        )
        inbox_status = Counter(
            dict(conn.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall())
        )
        outbox_status = Counter(
            dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        )
        unsent = conn.execute(
            "SELECT id, channel, chat_id, status FROM outbox WHERE status != 'sent' ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return DbState(str(integrity), inbox, inbox_status, outbox_status, unsent)


async def outbox_settled(db: Path, *, timeout: float) -> bool:
    """Whether, within `timeout` seconds, no outbox row is left pending or being sent."""
    deadline = time.monotonic() + timeout
    while True:
        state = await asyncio.to_thread(read_db, db)
        if not any(status in ("pending", "sending") for *_, status in state.unsent):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
