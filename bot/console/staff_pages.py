"""Staff pages: the ticket queue (refreshed in place) and a ticket with its actions."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.console.routes import CONTEXT, Console, ConsoleContext, render, session_of
from bot.console.ticket_list import guesses, patient_question, queue_rows
from bot.tickets import TicketError, TicketView

logger = logging.getLogger(__name__)

TICKET = r"/tickets/{ticket_id:\d+}"
# Files shown in the page itself; anything else is downloaded, never rendered (no SVG).
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# An action: (context, ticket id, staff name, form) → the note for the Telegram staff topic.
Action = Callable[[ConsoleContext, int, str, dict[str, str]], Awaitable[str]]


def setup(console: Console) -> None:
    console.get("/", queue_page)
    console.get("/queue/rows", queue_fragment)
    console.get(TICKET, ticket_page)
    console.get(TICKET + "/thread", thread_fragment)
    console.get(TICKET + r"/files/{message_id:\d+}", thread_file)
    for name, action in ACTIONS.items():
        console.post(f"{TICKET}/{name}", _action_handler(action))


async def queue_page(request: web.Request) -> web.Response:
    return render(request, "queue.html", await _queue(request))


async def queue_fragment(request: web.Request) -> web.Response:
    return render(request, "queue_rows.html", await _queue(request))


async def ticket_page(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    # Staff opened it: an urgent ticket is no longer re-alerted (bot/urgent_realert.py).
    async with context.store.transaction() as tx:
        await tx.safety.mark_seen(int(request.match_info["ticket_id"]), context.clock())
    return await _ticket(request, error=None)


async def thread_fragment(request: web.Request) -> web.Response:
    view = await _view(request)
    return render(request, "thread.html", {"view": view})


async def thread_file(request: web.Request) -> web.Response:
    """A patient's file, fetched from their messenger now; the bot keeps no copy."""
    view = await _view(request)
    message_id = int(request.match_info["message_id"])
    message = next((m for m in view.thread if m.id == message_id and m.file), None)
    if message is None or message.file is None:
        raise web.HTTPNotFound()
    try:
        data = await request.app[CONTEXT].fetch(message.file)
    except Exception:
        logger.exception("console: fetching file of message %d failed", message_id)
        data = None
    if data is None:
        return render(
            request, "error.html", {"message": "ファイルを取得できませんでした。"}, status=404
        )
    content_type = data.content_type.split(";")[0].strip().lower()
    inline = content_type in INLINE_TYPES
    return web.Response(
        body=data.data,
        content_type=content_type if inline else "application/octet-stream",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": "inline"
            if inline
            else f'attachment; filename="file-{message_id}"',
        },
    )


async def _reply(context: ConsoleContext, ticket_id: int, staff: str, form: dict[str, str]) -> str:
    text = form.get("text", "").strip()
    await context.desk.reply(ticket_id, text, staff)
    return f"💻 コンソールから返信: {staff}\n{text}"


async def _faq(context: ConsoleContext, ticket_id: int, staff: str, form: dict[str, str]) -> str:
    kb = context.kb.current.kb
    entry = kb.entry(form.get("faq_id", ""))
    if entry is None:
        raise TicketError("そのFAQはありません（ナレッジベースが更新された可能性があります）")
    # The same text as the staff room's /faq: the answer and the knowledge base's disclaimer.
    text = f"{kb.answer_text(entry)}\n\n{kb.texts.disclaimer.strip()}"  # with any disclosures
    await context.desk.reply(ticket_id, text, staff)
    return f"📤 コンソールからFAQ「{entry.question}」の回答を送信: {staff}"


async def _note(context: ConsoleContext, ticket_id: int, staff: str, form: dict[str, str]) -> str:
    text = form.get("text", "").strip()
    if not text:
        raise TicketError("メモが空です")
    await context.desk.note(ticket_id, text, staff)
    return f"📝 コンソールからメモ: {staff}\n{text}"


async def _close(context: ConsoleContext, ticket_id: int, staff: str, form: dict[str, str]) -> str:
    await context.desk.close(ticket_id)
    return f"✅ コンソールから終了: {staff}"


async def _reopen(context: ConsoleContext, ticket_id: int, staff: str, form: dict[str, str]) -> str:
    await context.desk.reopen(ticket_id)
    return f"↩️ コンソールから再開: {staff}"


ACTIONS: dict[str, Action] = {
    "reply": _reply,
    "faq": _faq,
    "note": _note,
    "close": _close,
    "reopen": _reopen,
}


def _action_handler(action: Action) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        """Do it, tell the staff topic, deliver now; then back to the ticket (or its error)."""
        context = request.app[CONTEXT]
        ticket_id = int(request.match_info["ticket_id"])
        staff = session_of(request).user.name
        form = {key: str(value) for key, value in (await request.post()).items()}
        try:
            note = await action(context, ticket_id, staff, form)
        except TicketError as exc:
            return await _ticket(request, error=str(exc), status=409, draft=form.get("text", ""))
        try:
            await context.notice(ticket_id, note)
        except Exception:
            # Done and stored for the patient; only the copy for the Telegram topic is missing.
            logger.exception("console: staff topic notice for ticket %d failed", ticket_id)
        context.kick()
        raise web.HTTPSeeOther(f"/tickets/{ticket_id}")

    return handle


async def _queue(request: web.Request) -> dict[str, object]:
    context = request.app[CONTEXT]
    rows = await queue_rows(context.store, context.kb.current.kb)
    return {"rows": rows, "refresh": context.settings.refresh_seconds}


async def _view(request: web.Request) -> TicketView:
    try:
        return await request.app[CONTEXT].desk.view(int(request.match_info["ticket_id"]))
    except TicketError:
        raise web.HTTPNotFound() from None


async def _ticket(
    request: web.Request, *, error: str | None, status: int = 200, draft: str = ""
) -> web.Response:
    context = request.app[CONTEXT]
    view = await _view(request)
    kb = context.kb.current.kb
    best = guesses(view.question, kb)
    ids = {g.faq_id for g in best}
    others = [e for e in kb.entries if e.kind == "faq" and e.id not in ids]
    values = {
        "view": view,
        "question": patient_question(view.question, view.thread),
        "guesses": best,
        "entries": others,
        "error": error,
        "draft": draft,
        "refresh": context.settings.refresh_seconds,
    }
    return render(request, "ticket.html", values, status=status)
