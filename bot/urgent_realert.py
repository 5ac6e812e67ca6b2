"""Urgent tickets no staff member has opened are re-alerted, louder, until someone does.

Wall-clock minutes, not business hours (those are bot/reminders.py's): an urgent report
waits for nobody. Opened means: the ticket's console page was viewed, or a staff member
wrote in its thread (in Telegram, a message in the patient's topic).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.config import SafetyConfig
from bot.messages import Reply, ReplyKind
from bot.staff_feed import StaffFeed
from bot.store import Store

logger = logging.getLogger(__name__)

REALERT = (
    "🚨🚨【緊急・未対応】チケット #{id}\n"
    "緊急の報告から{minutes}分たちましたが、まだどなたも開いていません（{count}回目の再通知）。\n"
    "患者には安全のための定型メッセージを送信済みです。至急、内容を確認して対応してください。"
)


async def realert_urgent(
    store: Store, feed: StaffFeed, settings: SafetyConfig, clock: Clock
) -> int:
    """Re-alert each unopened urgent ticket whose last alert is N minutes old, at most K
    times; return how many were re-alerted. Pinned or mentioned as the staff room is set."""
    every = settings.urgent_realert_minutes
    if every <= 0 or settings.urgent_realert_max <= 0:
        return 0
    now = clock()
    sent = 0
    async with store.transaction() as tx:
        for ticket in await tx.safety.unseen_urgent():
            if ticket.realerts >= settings.urgent_realert_max:
                continue
            if now - ticket.last_alert < timedelta(minutes=every):
                continue
            minutes = int((now - ticket.urgent_since).total_seconds() // 60)
            text = (
                REALERT.replace("{id}", str(ticket.ticket_id))
                .replace("{minutes}", str(minutes))
                .replace("{count}", str(ticket.realerts + 1))
            )
            reply = Reply(text, kind=ReplyKind.STAFF_URGENT)
            await tx.outbox.enqueue(feed.channel, feed.key(ticket.ticket_id), reply, now)
            await tx.safety.mark_realerted(ticket.ticket_id, now)
            sent += 1
    if sent:
        logger.warning("%d urgent tickets not opened by staff: re-alerted", sent)
    return sent
