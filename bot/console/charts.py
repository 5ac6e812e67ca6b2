"""Dashboard charts drawn on the server as SVG strings: no script, no web font, no network.

Every chart has a <title> and <desc> (read by screen readers through aria-labelledby),
Japanese labels, colours from the Okabe–Ito palette (told apart with colour-vision
deficiencies) with the values also written as text, and every label escaped.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from bot.analytics import ACTION_LABELS, ACTIONS, AgeBucket, DayCounts
from faq.decision import Action

COLOURS: dict[Action, str] = {
    Action.ANSWER: "#0072B2",  # blue
    Action.CLARIFY: "#E69F00",  # orange
    Action.ESCALATE: "#009E73",  # bluish green
    Action.URGENT: "#D55E00",  # vermilion
}
BAR = "#0072B2"
_INK, _GRID, _MUTED = "#222222", "#d0d0d0", "#555555"
_WIDTH = 640
_MAX_LABEL = 18  # characters of an entry label before it is shortened
# Characters XML 1.0 does not allow even escaped: dropped from labels.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def questions_per_day_chart(
    days: Sequence[DayCounts],
    *,
    title: str = "日別の質問数（判定別）",
    chart_id: str = "questions-per-day",
) -> str:
    """A stacked bar per day: answered, clarified, to staff, urgent."""
    total = sum(d.total for d in days)
    parts = "、".join(f"{ACTION_LABELS[a]} {sum(d.count(a) for d in days)}件" for a in ACTIONS)
    span = f"{_md(days[0])}〜{_md(days[-1])}" if days else "期間なし"
    desc = f"{span}の{len(days)}日間、合計{total}件（{parts}）。"
    left, top, bottom, height = 44, 36, 28, 260
    plot_w, plot_h = _WIDTH - left - 12, height - top - bottom
    body = [_legend(left, 16)]
    if not days:
        return _svg(chart_id, title, desc, height, [*body, _empty(top + plot_h / 2)])
    ymax, ticks = _scale(max(d.total for d in days))
    body += _y_grid(left, top, plot_w, plot_h, ymax, ticks)
    step = plot_w / len(days)
    every = 1 if len(days) <= 14 else math.ceil(len(days) / 14)
    for i, day in enumerate(days):
        x = left + i * step + step * 0.15
        y = float(top + plot_h)
        rects = []
        for action in ACTIONS:
            h = plot_h * day.count(action) / ymax
            if h > 0:
                y -= h
                label = f"{ACTION_LABELS[action]} {day.count(action)}件"
                rects.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}"'
                    f' fill="{COLOURS[action]}" stroke="#ffffff" stroke-width="0.5">'
                    f"<title>{_esc(label)}</title></rect>"
                )
        summary = f"{_md(day)}: 合計{day.total}件"
        body.append(f'<g class="day"><title>{_esc(summary)}</title>{"".join(rects)}</g>')
        if (len(days) - 1 - i) % every == 0:  # today is always labelled
            cx = left + (i + 0.5) * step
            body.append(_text(cx, top + plot_h + 16, _md(day), anchor="middle"))
    return _svg(chart_id, title, desc, height, body)


def entry_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    desc: str,
    percent: bool = False,
    chart_id: str = "entries",
) -> str:
    """Horizontal bars, one per entry: counts, or rates in 0..1 when `percent`."""
    row, top, left = 24, 12, 236
    height = top * 2 + max(len(bars), 1) * row
    plot_w = _WIDTH - left - 56
    if not bars:
        return _svg(chart_id, title, desc, height, [_empty(height / 2)])
    ymax = 1.0 if percent else _scale(max(v for _, v in bars))[0]
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        w = plot_w * max(value, 0.0) / ymax
        shown = f"{value:.0%}" if percent else f"{value:g}"
        short = label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"
        body.append(
            f'<g class="entry"><title>{_esc(f"{label}: {shown}")}</title>'
            f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>'
            f"{_text(left - 6, y + row / 2 + 4, short, anchor='end')}"
            f"{_text(left + w + 4, y + row / 2 + 4, shown)}</g>"
        )
    return _svg(chart_id, title, desc, height, body)


def ticket_age_chart(
    buckets: Sequence[AgeBucket],
    *,
    title: str = "対応待ちチケットの経過時間",
    chart_id: str = "ticket-ages",
) -> str:
    """A bar per age bucket of the tickets waiting for staff."""
    parts = "、".join(f"{b.label} {b.count}件" for b in buckets)
    desc = f"対応待ち{sum(b.count for b in buckets)}件（{parts}）。"
    left, top, bottom, height = 44, 16, 28, 220
    plot_w, plot_h = _WIDTH - left - 12, height - top - bottom
    if not buckets:
        return _svg(chart_id, title, desc, height, [_empty(height / 2)])
    ymax, ticks = _scale(max(b.count for b in buckets))
    body = _y_grid(left, top, plot_w, plot_h, ymax, ticks)
    step = plot_w / len(buckets)
    for i, bucket in enumerate(buckets):
        h = plot_h * bucket.count / ymax
        x, y = left + i * step + step * 0.2, top + plot_h - h
        cx = left + (i + 0.5) * step
        body.append(
            f'<g class="bucket"><title>{_esc(f"{bucket.label}: {bucket.count}件")}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.6:.1f}" height="{h:.1f}"'
            f' fill="{BAR}"/>{_text(cx, y - 4, f"{bucket.count}件", anchor="middle")}</g>'
        )
        body.append(_text(cx, top + plot_h + 16, bucket.label, anchor="middle"))
    return _svg(chart_id, title, desc, height, body)


def _svg(chart_id: str, title: str, desc: str, height: int, body: Sequence[str]) -> str:
    cid = _esc(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="chart" role="img"'
        f' width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}"'
        f' aria-labelledby="{cid}-title {cid}-desc" font-family="sans-serif" font-size="12">'
        f'<title id="{cid}-title">{_esc(title)}</title>'
        f'<desc id="{cid}-desc">{_esc(desc)}</desc>{"".join(body)}</svg>'
    )


def _legend(x: float, y: float) -> str:
    items = []
    for action in ACTIONS:
        items.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{COLOURS[action]}"/>'
            + _text(x + 14, y, ACTION_LABELS[action])
        )
        x += 28 + 13 * len(ACTION_LABELS[action])
    return f'<g class="legend">{"".join(items)}</g>'


def _y_grid(
    left: float, top: float, width: float, height: float, ymax: float, ticks: int
) -> list[str]:
    lines = []
    for k in range(ticks + 1):
        value = ymax * k / ticks
        y = top + height - height * k / ticks
        lines.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width:.1f}" y2="{y:.1f}"'
            f' stroke="{_GRID}" stroke-width="1"/>'
            + _text(left - 6, y + 4, f"{value:g}", anchor="end", fill=_MUTED)
        )
    return lines


def _scale(peak: float) -> tuple[float, int]:
    """A round axis maximum at or above `peak`, and how many grid steps divide it."""
    if peak <= 0:
        return 1.0, 1
    raw = peak / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1)  # counts: no grid line at half a question
    ticks = math.ceil(peak / step)
    return step * ticks, ticks


def _empty(y: float) -> str:
    return _text(_WIDTH / 2, y, "データがありません", anchor="middle", fill=_MUTED)


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = _INK) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{_esc(text)}</text>'


def _md(day: DayCounts) -> str:
    return f"{day.day.month}/{day.day.day}"


def _esc(text: str) -> str:
    return html.escape(_NOT_XML.sub("", text), quote=True)
