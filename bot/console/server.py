"""The console's aiohttp application: templates, static files, the guard, security headers."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import filters
from bot.console.auth import csrf_matches
from bot.console.routes import (
    ACCESS,
    CONTEXT,
    NAV,
    NAV_LINKS,
    SESSION,
    Console,
    ConsoleContext,
    Handler,
    cookie_name,
    render,
)
from faq.editor import KbUnreadable

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
# Modules with `setup(console: Console) -> None`; admin pages add theirs here.
PAGE_MODULES: tuple[str, ...] = (
    "bot.console.login_pages",
    "bot.console.staff_pages",
    "bot.console.faq_pages",
    "bot.console.dashboard_pages",
    "bot.console.learning_pages",
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
# No inline script or style anywhere: what a patient writes can never run in staff's browser.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none';"
    " base-uri 'none'"
)


def build_app(context: ConsoleContext, modules: Sequence[str] = PAGE_MODULES) -> web.Application:
    """The console: every page module's routes behind the guard."""
    app = web.Application(middlewares=[_guard])
    app[CONTEXT] = context
    app[ACCESS] = {}
    app[NAV_LINKS] = list(NAV)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    filters.install(env, context.config.clinic.tz, context.clock)
    console = Console(app, context)
    app[ACCESS][app.router.add_static("/static/", HERE / "static")] = "public"
    app[ACCESS][app.router.add_get("/favicon.ico", _no_icon)] = "public"
    for name in modules:
        importlib.import_module(name).setup(console)
    app.on_response_prepare.append(_security_headers)
    return app


async def _no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every route but the public ones needs a session, its role, and on POST its CSRF token."""
    context = request.app[CONTEXT]
    access = request.app[ACCESS].get(request.match_info.route, "staff")
    if access == "public":
        return await handler(request)
    session = await context.auth.session(request.cookies.get(cookie_name(context)))
    if session is None:
        if not _is_fetch(request):
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
        return web.json_response({"error": "signed out"}, status=401)
    request[SESSION] = session
    if request.method not in SAFE_METHODS and not csrf_matches(session, await _csrf(request)):
        logger.warning(
            "console: %s %s refused: CSRF token missing or wrong", request.method, request.path
        )
        return render(
            request,
            "error.html",
            {"message": "フォームの有効期限が切れました。ページを開き直してください。"},
            status=403,
        )
    if access == "admin" and not session.user.is_admin:
        return render(
            request, "error.html", {"message": "このページは管理者のみ使えます。"}, status=403
        )
    try:
        return await handler(request)
    except KbUnreadable as exc:  # a hand edit broke a file: say which, change nothing
        message = f"ナレッジベースのファイルが読めません。ファイルを直してください: {exc}"
        return render(request, "error.html", {"message": message}, status=409)


async def _csrf(request: web.Request) -> str | None:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        value = (await request.post()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given


def _is_fetch(request: web.Request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        # Pages hold patients' messages: no copy in the browser's or a proxy's cache.
        headers["Cache-Control"] = "no-store"
    if request.app[CONTEXT].settings.secure_cookies:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


class ConsoleServer:
    """The console on its own address, in the bot's event loop; `port` is the bound one."""

    def __init__(self, context: ConsoleContext, modules: Sequence[str] = PAGE_MODULES) -> None:
        self._runner = web.AppRunner(build_app(context, modules), access_log=None)
        self._listen = context.settings.listen
        self.port = context.settings.port

    @property
    def url(self) -> str:
        host = f"[{self._listen}]" if ":" in self._listen else self._listen
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self.port).start()
        self.port = int(self._runner.addresses[0][1])
        logger.info("console: staff sign in at %s", self.url)

    async def stop(self) -> None:
        await self._runner.cleanup()
