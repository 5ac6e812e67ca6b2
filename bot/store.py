"""The SQLite store: one connection, serialised transactions, repositories per table."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.migrations import SchemaTooNewError, migrate
from bot.records import (
    Patient,
    QuestionRecord,
    patient_from_row,
    question_from_row,
    to_db_time,
)
from bot.store_outbox import OutboxRepo
from bot.store_tickets import TicketRepo
from faq.decision import Decision

# Another process (the `faqbot tickets` CLI beside the running bot) may hold the write lock.
_BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be opened or used."""


class PatientRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def seen(self, channel: str, user_id: str, chat_id: str, now: datetime) -> Patient:
        """The patient, created on first contact; `last_seen_at` and `chat_id` refreshed."""
        stamp = to_db_time(now)
        await self._conn.execute(
            "INSERT INTO patients (channel, user_id, chat_id, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, user_id)"
            " DO UPDATE SET chat_id = excluded.chat_id, last_seen_at = excluded.last_seen_at",
            (channel, user_id, chat_id, stamp, stamp),
        )
        async with self._conn.execute(
            "SELECT * FROM patients WHERE channel = ? AND user_id = ?", (channel, user_id)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None  # just upserted
        return patient_from_row(row)


class QuestionRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self, patient_id: int, text: str, decision: Decision, *, via: str, now: datetime
    ) -> int:
        """Record a question with the matcher's decision; return its id."""
        candidates = json.dumps([[c.id, round(c.score, 4)] for c in decision.candidates])
        cursor = await self._conn.execute(
            "INSERT INTO questions (patient_id, text, via, action, faq_id, score, rule_id,"
            " reason, candidates, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                patient_id,
                text,
                via,
                decision.action.value,
                decision.faq_id,
                decision.score,
                decision.rule_id,
                decision.reason,
                candidates,
                to_db_time(now),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def get(self, question_id: int) -> QuestionRecord | None:
        async with self._conn.execute(
            "SELECT * FROM questions WHERE id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return question_from_row(row) if row is not None else None

    async def latest(self, patient_id: int) -> QuestionRecord | None:
        async with self._conn.execute(
            "SELECT * FROM questions WHERE patient_id = ? ORDER BY id DESC LIMIT 1",
            (patient_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return question_from_row(row) if row is not None else None

    async def set_feedback(self, question_id: int, *, helpful: bool, now: datetime) -> None:
        """Record feedback; pressing the other button later changes it."""
        await self._conn.execute(
            "INSERT INTO feedback (question_id, helpful, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (question_id)"
            " DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            (question_id, int(helpful), to_db_time(now)),
        )

    async def feedback(self, question_id: int) -> bool | None:
        async with self._conn.execute(
            "SELECT helpful FROM feedback WHERE question_id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row["helpful"]) if row is not None else None


@dataclass(frozen=True, slots=True)
class Session:
    """The repositories, valid inside one `Store.transaction()`."""

    patients: PatientRepo
    questions: QuestionRepo
    tickets: TicketRepo
    outbox: OutboxRepo


class Store:
    """The bot's database. Open with `await Store.open(path)`; always `await close()`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection is shared by every handler: transactions must not interleave.
        self._lock = asyncio.Lock()
        self._session = Session(
            PatientRepo(conn), QuestionRepo(conn), TicketRepo(conn), OutboxRepo(conn)
        )

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        if not path.parent.is_dir():
            raise StoreError(f"cannot open database {path}: directory {path.parent} does not exist")
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from None
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA journal_mode = WAL")
            await migrate(conn)
        except (sqlite3.Error, SchemaTooNewError) as exc:
            await conn.close()
            raise StoreError(f"cannot open database {path}: {exc}") from None
        return cls(conn, path)

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            # IMMEDIATE takes the write lock up front, so a writer never fails mid-way.
            await self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._session
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
