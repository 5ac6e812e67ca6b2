"""When staff will answer: the `{eta}` text from the clinic's business hours."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.config import Clinic, Span

_WEEKDAY_KANJI = "月火水木金土日"
# Far enough to cross any run of holidays an admin could configure (New Year, Obon).
_MAX_DAYS_AHEAD = 366


def eta_text(clinic: Clinic, now: datetime) -> str:
    """「本日18:00までに」 during hours, 「翌営業日（11月26日(木) 9:00以降）に」 after them."""
    local = now.astimezone(clinic.tz)
    today = _hours(clinic, local.date())
    if today is not None and local.time() < today.close:
        if local.time() >= today.open:
            return f"本日{_hhmm(today.close)}までに"
        return f"本日{_hhmm(today.open)}以降に"
    day = local.date()
    for _ in range(_MAX_DAYS_AHEAD):
        day += timedelta(days=1)
        span = _hours(clinic, day)
        if span is not None:
            return f"翌営業日（{_md(day)} {_hhmm(span.open)}以降）に"
    return "次の営業日に"


def is_open(clinic: Clinic, now: datetime) -> bool:
    """Whether the clinic is within business hours at `now`."""
    local = now.astimezone(clinic.tz)
    span = _hours(clinic, local.date())
    return span is not None and span.open <= local.time() < span.close


def _hours(clinic: Clinic, day: date) -> Span | None:
    if day in clinic.holidays:
        return None
    return clinic.business_hours.on(day.weekday())


def _hhmm(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日({_WEEKDAY_KANJI[day.weekday()]})"


def business_minutes(clinic: Clinic, start: datetime, end: datetime) -> float:
    """Minutes of business hours between `start` and `end` (0 if end is not after start)."""
    tz = clinic.tz
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = start.date()
    while day <= end.date():
        span = _hours(clinic, day)
        if span is not None:
            opened = datetime.combine(day, span.open, tz)
            closed = datetime.combine(day, span.close, tz)
            overlap = min(closed, end) - max(opened, start)
            total += max(0.0, overlap.total_seconds() / 60)
        day += timedelta(days=1)
    return total
