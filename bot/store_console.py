"""SQL for the web console: staff accounts, their sessions, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from bot.records import from_db_time, to_db_time

Role = Literal["staff", "admin"]
ROLES: tuple[Role, ...] = ("staff", "admin")


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    id: int
    name: str
    role: Role
    password_hash: str = field(repr=False)
    created_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser; only the hash of its token is stored."""

    token_hash: str = field(repr=False)
    user: ConsoleUser
    csrf_token: str = field(repr=False)
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    user_name: str
    action: str
    target: str
    detail: str
    created_at: datetime


def _user(row: Any, prefix: str = "") -> ConsoleUser:
    return ConsoleUser(
        id=row[f"{prefix}id"],
        name=row[f"{prefix}name"],
        role=row[f"{prefix}role"],
        password_hash=row[f"{prefix}password_hash"],
        created_at=datetime.fromisoformat(row[f"{prefix}created_at"]),
        disabled_at=from_db_time(row[f"{prefix}disabled_at"]),
    )


class UserRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, name: str, role: Role, password_hash: str, now: datetime) -> int | None:
        """A new account's id; None if the name is taken."""
        cursor = await self._conn.execute(
            "INSERT INTO console_users (name, role, password_hash, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
            (name, role, password_hash, to_db_time(now)),
        )
        return cursor.lastrowid if cursor.rowcount == 1 else None

    async def by_name(self, name: str) -> ConsoleUser | None:
        async with self._conn.execute(
            "SELECT * FROM console_users WHERE name = ?", (name,)
        ) as cursor:
            row = await cursor.fetchone()
        return _user(row) if row is not None else None

    async def all(self) -> list[ConsoleUser]:
        async with self._conn.execute("SELECT * FROM console_users ORDER BY name") as cursor:
            rows = await cursor.fetchall()
        return [_user(row) for row in rows]

    async def disable(self, user_id: int, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE console_users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?",
            (to_db_time(now), user_id),
        )

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._conn.execute(
            "UPDATE console_users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
        )


class SessionRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def create(
        self, token_hash: str, user_id: int, csrf_token: str, *, now: datetime, expires: datetime
    ) -> None:
        await self._conn.execute(
            "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_hash, user_id, csrf_token, to_db_time(now), to_db_time(expires)),
        )

    async def valid(self, token_hash: str, now: datetime) -> ConsoleSession | None:
        """The session if it has not expired and its account is not disabled."""
        async with self._conn.execute(
            "SELECT s.token_hash, s.csrf_token, s.created_at AS s_created_at, s.expires_at,"
            " u.id AS u_id, u.name AS u_name, u.role AS u_role,"
            " u.password_hash AS u_password_hash, u.created_at AS u_created_at,"
            " u.disabled_at AS u_disabled_at"
            " FROM console_sessions AS s JOIN console_users AS u ON u.id = s.user_id"
            " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
            (token_hash, to_db_time(now)),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return ConsoleSession(
            token_hash=row["token_hash"],
            user=_user(row, "u_"),
            csrf_token=row["csrf_token"],
            created_at=datetime.fromisoformat(row["s_created_at"]),
            expires_at=datetime.fromisoformat(row["expires_at"]),
        )

    async def delete(self, token_hash: str) -> None:
        await self._conn.execute("DELETE FROM console_sessions WHERE token_hash = ?", (token_hash,))

    async def delete_for_user(self, user_id: int) -> int:
        """End every session of the account; how many there were."""
        cursor = await self._conn.execute(
            "DELETE FROM console_sessions WHERE user_id = ?", (user_id,)
        )
        return cursor.rowcount

    async def delete_expired(self, now: datetime) -> None:
        await self._conn.execute(
            "DELETE FROM console_sessions WHERE expires_at <= ?", (to_db_time(now),)
        )


class AuditRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(
        self, user_name: str, action: str, target: str, *, detail: str = "", now: datetime
    ) -> int:
        cursor = await self._conn.execute(
            "INSERT INTO audit_log (user_name, action, target, detail, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_name, action, target, detail, to_db_time(now)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def recent(self, limit: int = 100) -> list[AuditEntry]:
        """The newest entries, newest first."""
        async with self._conn.execute(
            "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            AuditEntry(
                r["id"],
                r["user_name"],
                r["action"],
                r["target"],
                r["detail"],
                datetime.fromisoformat(r["created_at"]),
            )
            for r in rows
        ]
