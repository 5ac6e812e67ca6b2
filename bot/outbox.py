"""Delivering the outbox: enqueue is committed first, then sent, then marked sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from bot.clock import Clock
from bot.messages import Reply
from bot.records import OutboxItem
from bot.store import Store

logger = logging.getLogger(__name__)

Send = Callable[[OutboxItem], Awaitable[None]]


class Outbox:
    """Sends stored messages through a channel's `send`, in order, each once."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        # One deliverer at a time in this process keeps each chat's messages in order.
        self._lock = asyncio.Lock()

    async def enqueue(self, channel: str, chat_id: str, replies: Sequence[Reply]) -> list[int]:
        async with self._store.transaction() as tx:
            now = self._clock()
            return [await tx.outbox.enqueue(channel, chat_id, r, now) for r in replies]

    async def send_replies(
        self, channel: str, chat_id: str, replies: Sequence[Reply], send: Send
    ) -> int:
        """Store replies to one chat, then deliver everything pending for it."""
        await self.enqueue(channel, chat_id, replies)
        return await self.deliver(channel, send, chat_id=chat_id)

    async def recover(self, channel: str, *, chat_id: str | None = None) -> int:
        """Make items a crashed deliverer left half-sent pending again (at startup)."""
        async with self._store.transaction() as tx:
            return await tx.outbox.recover(channel, chat_id=chat_id)

    async def deliver(self, channel: str, send: Send, *, chat_id: str | None = None) -> int:
        """Send pending items for a channel (or one chat); return how many were sent."""
        async with self._lock:
            async with self._store.transaction() as tx:
                items = await tx.outbox.claim(channel, chat_id=chat_id)
            sent = 0
            stalled: set[str] = set()
            for index, item in enumerate(items):
                if item.chat_id in stalled:
                    continue
                if await self._send_one(item, send):
                    sent += 1
                else:
                    # Later messages to this chat wait, or they would arrive out of order.
                    stalled.add(item.chat_id)
                    await self._unclaim(i.id for i in items[index + 1 :] if i.chat_id in stalled)
            return sent

    async def _send_one(self, item: OutboxItem, send: Send) -> bool:
        try:
            await send(item)
        except Exception:
            logger.warning(
                "outbox %d to %s: delivery failed (attempt %d)",
                item.id,
                item.channel,
                item.attempts + 1,
                exc_info=True,
            )
            async with self._store.transaction() as tx:
                await tx.outbox.mark_failed(item.id)
            return False
        async with self._store.transaction() as tx:
            await tx.outbox.mark_sent(item.id, self._clock())
        return True

    async def _unclaim(self, item_ids: Iterable[int]) -> None:
        ids = list(item_ids)
        if ids:
            async with self._store.transaction() as tx:
                await tx.outbox.unclaim(ids)
