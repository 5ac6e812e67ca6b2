"""`faqbot users` as a separate process: add, list, disable, and the errors scripts see."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.console.auth import token_hash
from bot.store import Store
from tests.bot.test_cli import faqbot

PASSWORD = "a long enough password"


def add(tmp_path: Path, name: str, role: str, password: str = PASSWORD) -> tuple[int, str]:
    done = faqbot(
        "--db",
        tmp_path / "db.sqlite3",
        "users",
        "add",
        name,
        "--role",
        role,
        "--password-stdin",
        cwd=tmp_path,
        stdin=password + "\n",
    )
    return done.returncode, done.stdout + done.stderr


def users(tmp_path: Path, *args: str) -> tuple[int, str]:
    done = faqbot("--db", tmp_path / "db.sqlite3", "users", *args, cwd=tmp_path)
    return done.returncode, done.stdout + done.stderr


def test_added_users_are_listed_with_their_role(tmp_path: Path) -> None:
    assert add(tmp_path, "sato", "staff") == (0, "user sato (staff) added\n")
    assert add(tmp_path, "院長", "admin")[0] == 0
    code, listing = users(tmp_path, "list")
    assert code == 0
    assert [line.split() for line in listing.splitlines()] == [
        ["sato", "staff", "active"],
        ["院長", "admin", "active"],
    ]


def test_a_taken_name_is_refused(tmp_path: Path) -> None:
    add(tmp_path, "sato", "staff")
    assert add(tmp_path, "sato", "admin") == (1, "faqbot: the user name 'sato' is taken\n")


def test_a_short_password_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    code, output = add(tmp_path, "sato", "staff", password="short")
    assert (code, output) == (2, "faqbot: the password needs at least 10 characters\n")
    assert users(tmp_path, "list")[1].startswith("no users")


def test_disabling_a_user_ends_their_sessions(tmp_path: Path) -> None:
    add(tmp_path, "sato", "staff")

    async def sign_in() -> None:
        store = await Store.open(tmp_path / "db.sqlite3")
        async with store.transaction() as tx:
            user = await tx.users.by_name("sato")
            assert user is not None
            for token in ("one", "two"):
                await tx.sessions.create(
                    token_hash(token),
                    user.id,
                    "csrf",
                    now=user.created_at,
                    expires=user.created_at.replace(year=2999),
                )
        await store.close()

    asyncio.run(sign_in())
    assert users(tmp_path, "disable", "sato") == (0, "user sato disabled; 2 session(s) ended\n")
    assert users(tmp_path, "list")[1].split()[:3] == ["sato", "staff", "disabled"]


def test_disabling_an_unknown_user_is_refused(tmp_path: Path) -> None:
    assert users(tmp_path, "disable", "nobody") == (1, "faqbot: no user 'nobody'\n")
