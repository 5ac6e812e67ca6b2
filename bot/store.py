"""The SQLite store: one connection, serialised transactions, repositories per table."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.migrations import SchemaTooNewError, migrate
from bot.store_analytics import AnalyticsRepo
from bot.store_console import AuditRepo, SessionRepo, UserRepo
from bot.store_inbox import InboxRepo
from bot.store_learning import LearningRepo
from bot.store_outbox import OutboxRepo
from bot.store_patients import PatientRepo, QuestionRepo
from bot.store_privacy import PrivacyRepo
from bot.store_safety import SafetyRepo
from bot.store_staff import StaffRepo
from bot.store_tickets import TicketRepo

# Another process (the `faqbot tickets` CLI beside the running bot) may hold the write lock.
_BUSY_TIMEOUT_MS = 5000


T = TypeVar("T")


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, except that statements inside a transaction run right here.

    A trip to aiosqlite's worker thread and back costs ~80 µs of CPU on this machine, far
    more than a statement on cached pages, and the Telegram bot made ~50 a message (the
    store's lock is held across them all). Inside a transaction nothing waits on other
    processes: BEGIN IMMEDIATE holds SQLite's write lock, and WAL readers never wait. What
    can block, BEGIN (busy_timeout) and COMMIT (fsync), still runs on the worker thread.
    The store's lock keeps the two threads from using the connection at the same time.
    """

    inline = False

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.inline:
            return fn(*args, **kwargs)
        result: T = await super()._execute(fn, *args, **kwargs)
        return result


def _inline(conn: aiosqlite.Connection, on: bool) -> None:
    if isinstance(conn, _Connection):
        conn.inline = on


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
    analytics: AnalyticsRepo
    users: UserRepo
    sessions: SessionRepo
    audit: AuditRepo
    privacy: PrivacyRepo
    learning: LearningRepo
    safety: SafetyRepo


class Store:
    """The bot's database. Open with `await Store.open(path)`; always `await close()`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection is shared by every handler: transactions must not interleave.
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None  # the task inside a transaction
        self._depth = 0
        self._synchronous = ""  # the connection's PRAGMA synchronous, once we set it
        self._session = Session(
            PatientRepo(conn),
            QuestionRepo(conn),
            TicketRepo(conn),
            OutboxRepo(conn),
            InboxRepo(conn),
            StaffRepo(conn),
            analytics=AnalyticsRepo(conn),
            users=UserRepo(conn),
            sessions=SessionRepo(conn),
            audit=AuditRepo(conn),
            privacy=PrivacyRepo(conn),
            learning=LearningRepo(conn),
            safety=SafetyRepo(conn),
        )

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating if needed) and migrate the database at `path`."""
        path = Path(path)
        if not path.parent.is_dir():
            raise StoreError(f"cannot open database {path}: directory {path.parent} does not exist")
        try:
            # check_same_thread off: see _Connection (the store's lock serialises use).
            database = str(path)
            conn = await _Connection(
                lambda: sqlite3.connect(database, isolation_level=None, check_same_thread=False),
                64,  # aiosqlite's default iter_chunk_size
            )
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
    async def transaction(
        self, *, write: bool = True, durable: bool = True
    ) -> AsyncIterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        A durable commit is on disk when it returns (fsync): anything told to someone
        outside, like the messenger's confirmation of an update, must follow one. Work
        that can be done again from what is durable (processing a stored update, marking
        a message sent) may pass `durable=False`: its commit survives the process being
        killed, like any other, and is on disk at the next durable commit or checkpoint;
        only a power cut or kernel crash before then undoes it, and the work is done
        again (a reply may then be sent twice, never lost). The fsync it saves held the
        event loop ~0.5 ms a commit, three commits a message (`python -m bench telegram`).

        Inside another transaction of the same task it is a savepoint of that one, so
        work that opens its own transactions can be made part of a larger one (an update
        and everything it causes commit together); the outermost one decides `durable`.
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
                await self._begin(write, durable)
                _inline(self._conn, True)
                try:
                    yield self._session
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                finally:
                    _inline(self._conn, False)
                await self._commit()
            finally:
                self._owner = None

    async def _begin(self, write: bool, durable: bool) -> None:
        """BEGIN here if no other process holds SQLite's write lock, else on the worker
        thread, which waits for it (busy_timeout) without stopping the event loop."""
        raw = self._raw()
        # FULL: a WAL commit fsyncs; NORMAL: only checkpoints do (SQLite's "synchronous",
        # a setting of the connection, changed between transactions; no I/O).
        synchronous = "FULL" if durable else "NORMAL"
        if write and synchronous != self._synchronous:
            pragma = f"PRAGMA synchronous = {synchronous}"
            if raw is not None:
                raw.execute(pragma)
            else:
                await self._conn.execute(pragma)
            self._synchronous = synchronous
        # IMMEDIATE takes the write lock up front, so a writer never fails mid-way.
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        if raw is not None:
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                raw.execute(begin)
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
            finally:
                raw.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        await self._conn.execute(begin)

    async def _commit(self) -> None:
        """COMMIT on the event loop's thread: its fsync takes ~0.3 ms here, while a trip
        to the worker thread and back held the store's lock ~3 ms under load (the loop
        had other work before it came back), and every other writer waits on that lock."""
        raw = self._raw()
        if raw is not None:
            raw.execute("COMMIT")
        else:
            await self._conn.execute("COMMIT")

    def _raw(self) -> sqlite3.Connection | None:
        """The sqlite3 connection, for statements run on the loop's thread (see _Connection)."""
        return self._conn._conn if isinstance(self._conn, _Connection) else None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._depth += 1
        name = f"nested_{self._depth}"  # our own counter: safe to format into SQL
        await self._statement(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self._statement(f"ROLLBACK TO {name}")
            await self._statement(f"RELEASE {name}")
            raise
        else:
            await self._statement(f"RELEASE {name}")
        finally:
            self._depth -= 1

    async def _statement(self, sql: str) -> None:
        """A statement with no result inside a transaction: straight to sqlite3 (a message
        makes several savepoints, and aiosqlite's cursor objects cost more than they do)."""
        raw = self._raw()
        if raw is not None:
            raw.execute(sql)
        else:
            await self._conn.execute(sql)
