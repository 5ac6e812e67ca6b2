"""Signing in and out of the console."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from bot.console.auth import LoginRefused
from bot.console.routes import CONTEXT, Console, cookie_name, render, session_of

logger = logging.getLogger(__name__)

# Before sign-in there is no session to hold a CSRF token: the login form's token is
# also set as a cookie, and the two must match (double submit).
LOGIN_CSRF_COOKIE = "faqbot_login_csrf"


def setup(console: Console) -> None:
    console.get("/login", login_form, access="public")
    console.post("/login", login, access="public")
    console.post("/logout", logout)


async def login_form(request: web.Request) -> web.Response:
    return _form(
        request, message=None, status=200, name="", next_path=request.query.get("next", "/")
    )


async def login(request: web.Request) -> web.StreamResponse:
    context = request.app[CONTEXT]
    form = await request.post()
    given, expected = str(form.get("csrf_token", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_path = str(form.get("next", "/"))
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        message = "画面の有効期限が切れました。もう一度ログインしてください。"
        return _form(request, message=message, status=403, name="", next_path=next_path)
    name = str(form.get("name", "")).strip()
    try:
        signed_in = await context.auth.login(
            name, str(form.get("password", "")), request.remote or "unknown"
        )
    except LoginRefused as refused:
        logger.warning(
            "console: sign-in refused (%s)", "rate limit" if refused.limited else "wrong"
        )
        status = 429 if refused.limited else 401
        return _form(request, message=str(refused), status=status, name=name, next_path=next_path)
    logger.info("console: user %d signed in", signed_in.session.user.id)
    response = web.HTTPSeeOther(_next(next_path))
    response.set_cookie(
        cookie_name(context),
        signed_in.token,
        max_age=int(context.settings.session_hours * 3600),
        path="/",
        secure=context.settings.secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    context = request.app[CONTEXT]
    await context.auth.logout(session_of(request))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(cookie_name(context), path="/")
    raise response


def _form(
    request: web.Request, *, message: str | None, status: int, name: str, next_path: str
) -> web.Response:
    settings = request.app[CONTEXT].settings
    # Reused while the cookie lives: another tab (or the browser's favicon request landing
    # here) must not invalidate a form already on screen.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"message": message, "name": name, "next": _next(next_path), "login_csrf": token},
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/login",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Strict",
    )
    return response


def _next(path: str) -> str:
    """Only a path on this console: never an open redirect to another site."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/"
