"""Telling staff that LINE refused a push because the month's message quota is used up."""

from __future__ import annotations

from bot.records import OutboxItem
from bot.staff_feed import StaffFeed
from bot.store import Store

QUOTA_NOTICE = (
    "⚠️ LINEの今月のメッセージ送信数の上限に達したため、患者にメッセージを届けられませんでした。"
    "患者から次にメッセージが届けば、それへの返信は届きます（返信は上限に数えられません）。\n"
    "届かなかった内容: {preview}"
)


class QuotaNotice:
    """The LINE sender's `on_quota`: a notice in the patient's ticket (or the staff room)."""

    def __init__(self, store: Store, feed: StaffFeed) -> None:
        self._store = store
        self._feed = feed

    async def __call__(self, item: OutboxItem) -> None:
        async with self._store.transaction(write=False) as tx:
            patient = await tx.patients.by_chat(item.channel, item.chat_id)
            ticket = await tx.tickets.latest_for(patient.id) if patient is not None else None
        preview = " ".join(item.reply.text.split())[:80]
        text = QUOTA_NOTICE.replace("{preview}", preview)
        await self._feed.notice(ticket.id if ticket is not None else None, text)
