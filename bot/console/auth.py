"""Signing in and out: sessions, CSRF tokens, and the login rate limit (no web code here)."""

from __future__ import annotations

import hashlib
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from bot.clock import Clock
from bot.console.accounts import HASHER, hash_password, verify_password
from bot.store import Store
from bot.store_console import ConsoleSession

WINDOW = timedelta(minutes=15)
TOO_MANY = (
    "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからお試しください。"
)
WRONG = "ユーザー名またはパスワードが違います。"


class LoginRefused(Exception):
    """Sign-in refused; `str()` is the message for the login page."""

    def __init__(self, message: str, *, limited: bool) -> None:
        super().__init__(message)
        self.limited = limited


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the token goes in the cookie, never into the database or logs."""

    token: str
    session: ConsoleSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_matches(session: ConsoleSession, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), session.csrf_token.encode())


class LoginLimiter:
    """Failed sign-ins per key in a sliding window.

    Kept in memory: a restart forgives, which is acceptable for a console reached by staff.
    """

    def __init__(self, limit: int, clock: Clock, window: timedelta = WINDOW) -> None:
        self._limit = limit
        self._clock = clock
        self._window = window
        self._failures: dict[str, deque[datetime]] = {}

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(key)) >= self._limit for key in keys)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self._clock())

    def forgive(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= self._clock() - self._window:
            times.popleft()
        return times


class Auth:
    """Checks passwords, opens and ends sessions, finds the session of a cookie."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        session_hours: float,
        login_attempts: int,
        hasher: PasswordHasher = HASHER,
    ) -> None:
        self._store = store
        self._clock = clock
        self._lifetime = timedelta(hours=session_hours)
        self._hasher = hasher
        self.limiter = LoginLimiter(login_attempts, clock)
        # Unknown names are checked against this, so they take as long as known ones.
        self._decoy: str | None = None

    async def login(self, name: str, password: str, remote: str) -> SignedIn:
        """A new session; LoginRefused for a wrong name or password or too many tries."""
        keys = (f"name:{name}", f"addr:{remote}")
        if self.limiter.blocked(*keys):
            raise LoginRefused(TOO_MANY, limited=True)
        async with self._store.transaction(write=False) as tx:
            user = await tx.users.by_name(name)
        stored = user.password_hash if user is not None else await self._decoy_hash()
        good = await verify_password(stored, password, self._hasher)
        if user is None or not good or not user.active:
            self.limiter.failed(*keys)
            raise LoginRefused(WRONG, limited=False)
        self.limiter.forgive(keys[0])
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._store.transaction() as tx:
            await tx.sessions.delete_expired(now)
            if self._hasher.check_needs_rehash(user.password_hash):
                await tx.users.set_password_hash(
                    user.id, await hash_password(password, self._hasher)
                )
            await tx.sessions.create(
                token_hash(token),
                user.id,
                secrets.token_urlsafe(32),
                now=now,
                expires=now + self._lifetime,
            )
            session = await tx.sessions.valid(token_hash(token), now)
        assert session is not None
        return SignedIn(token, session)

    async def session(self, token: str | None) -> ConsoleSession | None:
        """The live session of a cookie's token; None if unknown, expired or disabled."""
        if not token:
            return None
        async with self._store.transaction(write=False) as tx:
            return await tx.sessions.valid(token_hash(token), self._clock())

    async def logout(self, session: ConsoleSession) -> None:
        async with self._store.transaction() as tx:
            await tx.sessions.delete(session.token_hash)

    async def _decoy_hash(self) -> str:
        if self._decoy is None:
            self._decoy = await hash_password(secrets.token_urlsafe(16), self._hasher)
        return self._decoy
