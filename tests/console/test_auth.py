"""Signing in and out of the console, sessions, CSRF, roles and the security headers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import utc_now
from bot.console.accounts import AccountError, add_user, disable_user, verify_password
from bot.console.auth import TOO_MANY, WRONG, token_hash
from bot.console.server import CSP
from tests.console.conftest import ADMIN_NAME, LOGIN_ATTEMPTS, PASSWORD, STAFF_NAME, Console


async def test_passwords_are_stored_as_argon2_hashes(console: Console) -> None:
    async with console.app.store.transaction(write=False) as tx:
        user = await tx.users.by_name(STAFF_NAME)
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert await verify_password(user.password_hash, PASSWORD)
    assert not await verify_password(user.password_hash, PASSWORD + "x")


async def test_signing_in_opens_the_queue_with_an_httponly_cookie(console: Console) -> None:
    async with console.client(None) as client:
        response = await client.login(STAFF_NAME, PASSWORD)
        cookie = response.history[0].headers["Set-Cookie"]
        assert (response.status, response.url.path) == (200, "/")
        assert "チケット キュー" in await response.text()
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    async with console.app.store.transaction(write=False) as tx:
        token = cookie.split(";")[0].split("=", 1)[1]
        assert await tx.sessions.valid(token_hash(token), console.clock()) is not None


async def test_a_wrong_password_is_refused(console: Console) -> None:
    async with console.client(None) as client:
        response = await client.login(STAFF_NAME, "not the password")
        assert response.status == 401
        assert WRONG in await response.text()
        assert (await client.get("/")).url.path == "/login"


async def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(console: Console) -> None:
    async with console.client(None) as client:
        response = await client.login("nobody", PASSWORD)
        assert response.status == 401
        assert WRONG in await response.text()


async def test_too_many_failures_lock_the_account_name_even_with_the_right_password(
    console: Console,
) -> None:
    async with console.client(None) as client:
        for _ in range(LOGIN_ATTEMPTS):
            assert (await client.login(STAFF_NAME, "wrong password")).status == 401
        refused = await client.login(STAFF_NAME, PASSWORD)
        assert refused.status == 429
        assert TOO_MANY in await refused.text()


async def test_the_lock_ends_after_fifteen_minutes(console: Console) -> None:
    async with console.client(None) as client:
        for _ in range(LOGIN_ATTEMPTS):
            await client.login(ADMIN_NAME, "wrong password")
        console.clock.skipped += timedelta(minutes=16)
        assert (await client.login(ADMIN_NAME, PASSWORD)).status == 200


async def test_a_session_expires_after_session_hours(console: Console) -> None:
    async with console.client() as client:
        assert (await client.get("/")).url.path == "/"
        console.clock.skipped += timedelta(hours=12, minutes=1)
        assert (await client.get("/")).url.path == "/login"


async def test_logout_ends_the_session(console: Console) -> None:
    async with console.client() as client:
        cookies = {c.key: c.value for c in client.http.cookie_jar}
        response = await client.post("/logout", {})
        assert response.url.path == "/login"
        assert (await client.get("/")).url.path == "/login"
    async with console.app.store.transaction(write=False) as tx:
        token = cookies["faqbot_session"]
        assert await tx.sessions.valid(token_hash(token), console.clock()) is None


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["missing", "forged"])
async def test_a_post_without_the_sessions_csrf_token_is_refused(
    console: Console, token: str | None
) -> None:
    async with console.client() as client:
        form = {"csrf_token": token} if token is not None else {}
        response = await client.post_raw("/logout", form)
        assert response.status == 403
        assert (await client.get("/")).url.path == "/"  # still signed in: logout did not run


async def test_the_csrf_token_may_come_as_a_header(console: Console) -> None:
    async with console.client() as client:
        token = await client.csrf()
        response = await client.http.post("/logout", headers={"X-CSRF-Token": token})
        assert response.url.path == "/login"


async def test_a_login_form_post_needs_its_own_token(console: Console) -> None:
    async with console.client(None) as client:
        form = {"name": STAFF_NAME, "password": PASSWORD}
        assert (await client.post_raw("/login", form)).status == 403


async def test_staff_are_denied_admin_pages(console: Console) -> None:
    async with console.client(STAFF_NAME) as client:
        response = await client.get("/admin/faq")
        assert response.status == 403
        assert "管理者のみ" in await response.text()
        assert "/admin/faq" not in await (await client.get("/")).text()  # no link either


async def test_admins_reach_every_page_of_the_navigation(console: Console) -> None:
    async with console.client(ADMIN_NAME) as client:
        home = await (await client.get("/")).text()
        for path in ("/admin/faq", "/admin/learning", "/admin/dashboard"):
            assert f'href="{path}"' in home
            assert (await client.get(path)).status == 200, path


async def test_pages_need_a_session(console: Console) -> None:
    async with console.client(None) as client:
        response = await client.get("/tickets/1", allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, "/login?next=/tickets/1")
        fetched = await client.get("/queue/rows", headers={"X-Requested-With": "fetch"})
        assert fetched.status == 401


async def test_pages_carry_the_security_headers(console: Console) -> None:
    async with console.client() as client:
        response = await client.get("/")
    assert response.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_disabled_account_cannot_sign_in(console: Console) -> None:
    await disable_user(console.app.store, STAFF_NAME, utc_now)
    async with console.client(None) as client:
        assert (await client.login(STAFF_NAME, PASSWORD)).status == 401


async def test_a_short_password_or_a_taken_name_is_refused(console: Console) -> None:
    with pytest.raises(AccountError, match="at least 10"):
        await add_user(console.app.store, "new", "staff", "short", utc_now)
    with pytest.raises(AccountError, match="taken"):
        await add_user(console.app.store, STAFF_NAME, "staff", PASSWORD, utc_now)
