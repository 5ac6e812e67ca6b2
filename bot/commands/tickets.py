"""`faqbot tickets`: the staff side from a terminal (list, show, reply, close, reopen)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import utc_now
from bot.commands.common import kb_path, load_settings, opened_store
from bot.config import Config
from bot.records import Author, Ticket
from bot.tickets import TicketDesk, TicketError, TicketView
from faq.model import Texts

EXIT_REFUSED = 1
_PREVIEW_CHARS = 40
_AUTHOR_LABEL = {
    Author.PATIENT: "患者",
    Author.STAFF: "スタッフ",
    Author.BOT: "ボット",
    Author.NOTE: "メモ",
}


def run(args: argparse.Namespace) -> int:
    config = load_settings(args)
    try:
        return asyncio.run(_run(args, config))
    except TicketError as exc:
        print(f"faqbot: {exc}", file=sys.stderr)
        return EXIT_REFUSED


async def _run(args: argparse.Namespace, config: Config) -> int:
    tz = config.clinic.tz
    async with opened_store(config) as store:
        desk = TicketDesk(store, _texts_loader(args, config), config.clinic.name, utc_now)
        if args.action == "list":
            tickets = await desk.tickets(include_closed=args.all)
            previews = {t.id: await _preview(desk, t) for t in tickets}
            print(format_list(tickets, previews, tz))
        elif args.action == "show":
            print(format_view(await desk.view(args.id), tz))
        elif args.action == "reply":
            staff = args.staff or _login_name()
            outbox_id = await desk.reply(args.id, args.text, staff)
            print(f"reply to ticket #{args.id} queued for the patient (outbox {outbox_id})")
        elif args.action == "close":
            await desk.close(args.id)
            print(f"ticket #{args.id} closed; the patient is told")
        elif args.action == "reopen":
            await desk.reopen(args.id)
            print(f"ticket #{args.id} reopened")
    return 0


def _texts_loader(args: argparse.Namespace, config: Config) -> Callable[[], Texts]:
    """Load the knowledge base's texts only for actions that message the patient."""

    def texts() -> Texts:
        from faq.loader import load_kb

        return load_kb(kb_path(args, config)).texts

    return texts


async def _preview(desk: TicketDesk, ticket: Ticket) -> str:
    view = await desk.view(ticket.id)
    first = next((m.text for m in view.thread if m.author is Author.PATIENT), "")
    line = " ".join(first.split())
    return line if len(line) <= _PREVIEW_CHARS else line[: _PREVIEW_CHARS - 1] + "…"


def format_list(tickets: list[Ticket], previews: dict[int, str], tz: ZoneInfo) -> str:
    if not tickets:
        return "no tickets"
    rows = []
    for t in tickets:
        flag = "緊急" if t.urgent else "    "
        rows.append(
            f"#{t.id:<4} {t.status.value:<8} {flag} {_when(t.created_at, tz)}"
            f"  {t.channel:<8} {t.reason} | {previews.get(t.id, '')}"
        )
    return "\n".join(rows)


def format_view(view: TicketView, tz: ZoneInfo) -> str:
    t = view.ticket
    head = [
        f"ticket #{t.id}  {t.status.value}{'  緊急' if t.urgent else ''}",
        f"patient: {t.channel} chat {t.chat_id}",
        f"reason:  {t.reason}",
        f"opened:  {_when(t.created_at, tz)}"
        + (f"  first reply: {_when(t.first_response_at, tz)}" if t.first_response_at else "")
        + (f"  closed: {_when(t.closed_at, tz)}" if t.closed_at else ""),
        "",
    ]
    thread = []
    for m in view.thread:
        who = _AUTHOR_LABEL[m.author] + (f" ({m.staff_name})" if m.staff_name else "")
        body = m.text.replace("\n", "\n    ")
        thread.append(f"[{_when(m.created_at, tz)}] {who}:\n    {body}")
    return "\n".join(head + thread)


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%m/%d %H:%M") if moment is not None else "-"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "staff"
