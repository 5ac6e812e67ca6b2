"""Reminding staff of tickets left waiting longer than the clinic allows (business hours)."""

from __future__ import annotations

from bot.clock import Clock
from bot.config import Clinic
from bot.hours import business_minutes
from bot.staff_feed import StaffFeed
from bot.store import Store


async def remind_waiting(store: Store, feed: StaffFeed, clinic: Clinic, clock: Clock) -> int:
    """Remind each ticket whose patient has waited too long, once per wait; return how many."""
    limit = clinic.remind_after_minutes
    if limit <= 0:
        return 0
    now = clock()
    reminded = 0
    async with store.transaction() as tx:
        for waiting in await tx.staff.waiting():
            if waiting.reminded_at is not None and waiting.reminded_at >= waiting.since:
                continue
            minutes = business_minutes(clinic, waiting.since, now)
            if minutes < limit:
                continue
            await feed.notice(
                waiting.ticket_id,
                f"⏰ 患者が返信を待っています（診療時間内で{int(minutes)}分）。",
            )
            await tx.staff.mark_reminded(waiting.ticket_id, now)
            reminded += 1
    return reminded
