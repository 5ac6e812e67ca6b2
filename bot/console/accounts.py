"""Console accounts: creating, listing and disabling them; argon2 password hashes."""

from __future__ import annotations

import asyncio
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.clock import Clock
from bot.store import Store
from bot.store_console import ROLES, ConsoleUser, Role

MIN_PASSWORD = 10
_NAME = re.compile(r"^[^\s/\\]{1,64}$")
HASHER = PasswordHasher()


class AccountError(Exception):
    """An account change that cannot be made (name taken, unknown user, weak password)."""


def check_password(password: str) -> None:
    """Raise AccountError if the password is too weak to use."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")


async def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    # argon2 is slow on purpose: keep it off the event loop.
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(stored: str, password: str, hasher: PasswordHasher = HASHER) -> bool:
    def verify() -> bool:
        try:
            return hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


async def add_user(
    store: Store,
    name: str,
    role: str,
    password: str,
    clock: Clock,
    *,
    actor: str = "cli",
    hasher: PasswordHasher = HASHER,
) -> ConsoleUser:
    """Create an account; AccountError if the name is invalid or taken or the password weak."""
    if not _NAME.match(name):
        raise AccountError("a user name is 1-64 characters without spaces or slashes")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (staff or admin)")
    check_password(password)
    hashed = await hash_password(password, hasher)
    async with store.transaction() as tx:
        user_id = await tx.users.add(name, _role(role), hashed, clock())
        if user_id is None:
            raise AccountError(f"the user name {name!r} is taken")
        await tx.audit.add(actor, "user.add", name, detail=role, now=clock())
        user = await tx.users.by_name(name)
    assert user is not None
    return user


async def users(store: Store) -> list[ConsoleUser]:
    async with store.transaction(write=False) as tx:
        return await tx.users.all()


async def disable_user(store: Store, name: str, clock: Clock, *, actor: str = "cli") -> int:
    """Disable the account and end its sessions; how many sessions ended."""
    async with store.transaction() as tx:
        user = await tx.users.by_name(name)
        if user is None:
            raise AccountError(f"no user {name!r}")
        await tx.users.disable(user.id, clock())
        ended = await tx.sessions.delete_for_user(user.id)
        await tx.audit.add(actor, "user.disable", name, now=clock())
    return ended


def _role(value: str) -> Role:
    return "admin" if value == "admin" else "staff"
