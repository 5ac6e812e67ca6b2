"""Admin pages: the analytics dashboard and the audited CSV exports of questions and tickets."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from aiohttp import web
from markupsafe import Markup

from bot.analytics import Dashboard, EntryStats, dashboard, rate_text
from bot.console.charts import entry_chart, questions_per_day_chart, ticket_age_chart
from bot.console.routes import CONTEXT, Console, ConsoleContext, render, session_of
from bot.export import questions_csv, tickets_csv
from faq.model import KnowledgeBase

logger = logging.getLogger(__name__)

PERIODS = (7, 30, 90)  # days the dashboard offers
DEFAULT_DAYS = 30
CHART_ENTRIES = 10  # bars in the entry chart; the table below lists them all
EXPORT_DAYS = 30  # the export form's default range, today included
MAX_EXPORT_DAYS = 366 * 3
# An export: (context, since, until, form) → (CSV text, audit detail).
Exporter = Callable[
    [ConsoleContext, datetime, datetime, dict[str, str]], Awaitable[tuple[str, str]]
]


@dataclass(frozen=True, slots=True)
class EntryRow:
    """One line of the per-entry table, with the entry's question from the running KB."""

    faq_id: str
    question: str
    stats: EntryStats
    answer_rate: str
    not_helpful_rate: str


def setup(console: Console) -> None:
    console.get("/admin/dashboard", dashboard_page, access="admin")
    console.post(
        "/admin/export/questions.csv", _export_handler("questions", _questions), access="admin"
    )
    console.post("/admin/export/tickets.csv", _export_handler("tickets", _tickets), access="admin")


async def dashboard_page(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    days = _days(request.query.get("days"))
    now = context.clock()
    clinic = context.config.clinic
    board = await dashboard(context.store, clinic_tz=clinic.tz, now=now, days=days, clinic=clinic)
    rows = entry_rows(board, context.kb.current.kb)
    today = now.astimezone(clinic.tz).date()
    values = {
        "title": "ダッシュボード",
        "board": board,
        "days": days,
        "periods": PERIODS,
        "rows": rows,
        "charts": _charts(board, rows),
        "answer_rate": rate_text(board.answer_rate),
        "first_response": duration_text(board.median_first_response),
        "first_response_business": minutes_text(board.median_first_response_business_minutes),
        "export_since": (today - timedelta(days=EXPORT_DAYS - 1)).isoformat(),
        "export_until": today.isoformat(),
    }
    return render(request, "dashboard.html", values)


def entry_rows(board: Dashboard, kb: KnowledgeBase) -> list[EntryRow]:
    """The dashboard's entries, named by their question (an entry gone since: by its id)."""
    rows = []
    for stats in board.entries:
        entry = kb.entry(stats.faq_id)
        question = entry.question if entry is not None else f"（削除済み: {stats.faq_id}）"
        rows.append(
            EntryRow(
                stats.faq_id,
                question,
                stats,
                rate_text(stats.answer_rate),
                rate_text(stats.not_helpful_rate),
            )
        )
    return rows


def duration_text(value: timedelta | None) -> str:
    """A wait as 「45秒」, 「12分」, 「2時間5分」 or 「3日4時間」; 「—」 without one."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds}秒"
    return minutes_text(seconds / 60)


def minutes_text(minutes: float | None) -> str:
    """Minutes as 「12分」, 「2時間5分」 or 「3日4時間」; 「—」 without any."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    if whole < 60:
        return f"{whole}分"
    if whole < 24 * 60:
        return f"{whole // 60}時間{whole % 60}分"
    return f"{whole // (24 * 60)}日{whole % (24 * 60) // 60}時間"


def _days(given: str | None) -> int:
    """The chosen period; anything not offered falls back to the default."""
    return int(given) if given in {str(p) for p in PERIODS} else DEFAULT_DAYS


def _charts(board: Dashboard, rows: list[EntryRow]) -> dict[str, Markup]:
    # Markup only around charts.py's output: it escapes every label it draws.
    top = rows[:CHART_ENTRIES]
    desc = "、".join(f"{r.question} {r.stats.answered}件" for r in top) or "回答はまだありません"
    return {
        "per_day": Markup(questions_per_day_chart(board.days)),
        "entries": Markup(
            entry_chart(
                [(r.question, float(r.stats.answered)) for r in top],
                title=f"回答の多いFAQ（上位{CHART_ENTRIES}件）",
                desc=f"回答数: {desc}。",
            )
        ),
        "ages": Markup(ticket_age_chart(board.ticket_ages)),
    }


async def _questions(
    context: ConsoleContext, since: datetime, until: datetime, form: dict[str, str]
) -> tuple[str, str]:
    # The words may still identify a patient: left out unless asked for.
    include_text = form.get("text") == "include"
    text = await questions_csv(
        context.store, since, until, clinic_tz=context.config.clinic.tz, include_text=include_text
    )
    return text, "質問文あり" if include_text else "質問文なし"


async def _tickets(
    context: ConsoleContext, since: datetime, until: datetime, form: dict[str, str]
) -> tuple[str, str]:
    text = await tickets_csv(context.store, since, until, clinic_tz=context.config.clinic.tz)
    return text, ""


def _export_handler(
    name: str, exporter: Exporter
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        """The CSV as a download, and an audit row saying who exported which days."""
        context = request.app[CONTEXT]
        user = session_of(request).user
        form = {key: str(value) for key, value in (await request.post()).items()}
        tz = context.config.clinic.tz
        span = _date_range(form.get("since", ""), form.get("until", ""))
        if span is None:
            message = "期間が正しくありません（終了日は開始日以降、長さは3年まで）。"
            return render(request, "error.html", {"message": message}, status=400)
        first, last = span
        text, detail = await exporter(
            context, _midnight(first, tz), _midnight(last + timedelta(days=1), tz), form
        )
        target = f"{first.isoformat()}..{last.isoformat()}"
        async with context.store.transaction() as tx:
            await tx.audit.add(
                user.name, f"export.{name}", target, detail=detail, now=context.clock()
            )
        logger.info("console: user %d exported %s for %s", user.id, name, target)
        return _download(f"{name}-{first:%Y%m%d}-{last:%Y%m%d}.csv", text)

    return handle


def _download(filename: str, text: str) -> web.Response:
    return web.Response(
        body=text.encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _date_range(since: str, until: str) -> tuple[date, date] | None:
    """The form's first and last local day (both included), or None if they make no range."""
    try:
        first, last = date.fromisoformat(since), date.fromisoformat(until)
    except ValueError:
        return None
    if last < first or (last - first).days >= MAX_EXPORT_DAYS:
        return None
    return first, last


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tz)
