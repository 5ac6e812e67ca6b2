"""The SQLite store: one connection, serialised transactions, repositories per table."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot.migrations import SchemaTooNewError, migrate
from bot.store_inbox import InboxRepo
from bot.store_outbox import OutboxRepo
from bot.store_patients import PatientRepo, QuestionRepo
from bot.store_staff import StaffRepo
from bot.store_tickets import TicketRepo

# Another process (the `faqbot tickets` CLI beside the running bot) may hold the write lock.
_BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be opened or used."""


@dataclass(frozen=True, slots=True)
class Session:
    """The repositories, valid inside one `Store.transaction()`."""

    patients: PatientRepo
    questions: QuestionRepo
    tickets: TicketRepo
    outbox: OutboxRepo
    inbox: InboxRepo
    staff: StaffRepo


class Store:
    """The bot's database. Open with `await Store.open(path)`; always `await close()`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection is shared by every handler: transactions must not interleave.
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None  # the task inside a transaction
        self._depth = 0
        self._session = Session(
            PatientRepo(conn),
            QuestionRepo(conn),
            TicketRepo(conn),
            OutboxRepo(conn),
            InboxRepo(conn),
            StaffRepo(conn),
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
        """One transaction: committed when the block ends, rolled back if it raises.

        Inside another transaction of the same task it is a savepoint of that one, so
        work that opens its own transactions can be made part of a larger one (an update
        and everything it causes commit together).
        """
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            async with self._savepoint():
                yield self._session
            return
        async with self._lock:
            self._owner = task
            try:
                if self._conn.in_transaction:  # left open by a task cancelled during BEGIN
                    await self._conn.execute("ROLLBACK")
                # IMMEDIATE takes the write lock up front, so a writer never fails mid-way.
                await self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield self._session
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                self._owner = None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._depth += 1
        name = f"nested_{self._depth}"  # our own counter: safe to format into SQL
        await self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self._conn.execute(f"ROLLBACK TO {name}")
            await self._conn.execute(f"RELEASE {name}")
            raise
        else:
            await self._conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1
