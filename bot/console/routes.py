"""What page modules get: the context of the running bot, route registration, rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp_jinja2
from aiohttp import web

from bot.attachments import FileData
from bot.clock import Clock
from bot.config import Config, ConsoleConfig
from bot.console.auth import Auth
from bot.kb_holder import KbSource
from bot.kb_watch import Reloader
from bot.records import ThreadFile
from bot.store import Store
from bot.store_console import ConsoleSession
from bot.tickets import TicketDesk

Access = Literal["public", "staff", "admin"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A patient's file, fetched from their messenger when staff open it; None: not available.
FetchThreadFile = Callable[[ThreadFile], Awaitable[FileData | None]]
# A message in the ticket's staff topic (Telegram), so staff there see console actions.
StaffNotice = Callable[[int, str], Awaitable[None]]


async def no_thread_files(file: ThreadFile) -> FileData | None:
    return None


async def no_staff_notice(ticket_id: int, text: str) -> None:
    """Without a staff channel, the console is the only place staff work."""


@dataclass(frozen=True, slots=True)
class ConsoleContext:
    """The running bot as page handlers see it (`request.app[CONTEXT]`)."""

    store: Store
    desk: TicketDesk
    kb: KbSource
    clock: Clock
    config: Config
    settings: ConsoleConfig
    auth: Auth
    reloader: Reloader | None = None  # admin pages: reload the knowledge base after a save
    kick: Callable[[], None] = lambda: None  # new outbox items: channels deliver now
    fetch: FetchThreadFile = no_thread_files
    notice: StaffNotice = no_staff_notice


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    path: str
    access: Access = "staff"


NAV: tuple[NavLink, ...] = (
    NavLink("キュー", "/"),
    NavLink("FAQ", "/admin/faq", "admin"),
    NavLink("学習", "/admin/learning", "admin"),
    NavLink("ダッシュボード", "/admin/dashboard", "admin"),
)

CONTEXT = web.AppKey("context", ConsoleContext)
ACCESS = web.AppKey("access", dict)  # route → Access; a route not in it is for staff
NAV_LINKS = web.AppKey("nav", list)
SESSION = web.RequestKey("session", ConsoleSession)  # set by the guard once signed in


@dataclass
class Console:
    """Where page modules register routes: `console.get(path, handler, access="admin")`."""

    app: web.Application
    context: ConsoleContext

    def get(self, path: str, handler: Handler, *, access: Access = "staff") -> None:
        self.app[ACCESS][self.app.router.add_get(path, handler, allow_head=False)] = access

    def post(self, path: str, handler: Handler, *, access: Access = "staff") -> None:
        """A POST route; the guard checks its CSRF token before the handler runs."""
        self.app[ACCESS][self.app.router.add_post(path, handler)] = access

    def nav(self, label: str, path: str, *, access: Access = "admin") -> None:
        """Another link in the navigation bar (shown to those the access allows)."""
        if all(link.path != path for link in self.app[NAV_LINKS]):
            self.app[NAV_LINKS].append(NavLink(label, path, access))


def cookie_name(context: ConsoleContext) -> str:
    """The session cookie's name."""
    # __Host- makes browsers refuse the cookie unless Secure, path / and no domain.
    return "__Host-faqbot" if context.settings.secure_cookies else "faqbot_session"


def session_of(request: web.Request) -> ConsoleSession:
    """The signed-in session (the guard has checked it for every non-public route)."""
    return request[SESSION]


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page from templates/, with the layout's values (user, CSRF token, navigation)."""
    session = request.get(SESSION)
    links = request.app[NAV_LINKS]
    allowed = {"public", "staff", "admin"} if session and session.user.is_admin else {"public"}
    if session is not None and not session.user.is_admin:
        allowed.add("staff")
    values = {
        "user": session.user if session is not None else None,
        "csrf_token": session.csrf_token if session is not None else "",
        "nav": [link for link in links if link.access in allowed],
        "path": request.path,
        "clinic": request.app[CONTEXT].config.clinic.name,
        **context,
    }
    return aiohttp_jinja2.render_template(template, request, values, status=status)
