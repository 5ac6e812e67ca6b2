"""The outbox's `send` for LINE: the free reply token while it is fresh, else a push.

Pushes count against the official account's monthly quota (a few hundred on the free
plan), so the reply token is always preferred. Each push carries a retry key derived
from the outbox item, so a push repeated after a lost answer is delivered only once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from bot.channels.line.client import (
    MESSAGES_PER_CALL,
    InvalidReplyToken,
    LineApi,
    Message,
    QuotaExceeded,
)
from bot.channels.line.outgoing import compose
from bot.channels.line.tokens import ReplyTokens
from bot.records import OutboxItem
from bot.store import Store

logger = logging.getLogger(__name__)

# Retry keys are UUIDs; deriving them from the item makes them the same on every attempt.
_RETRY_KEYS = uuid.UUID("6f1f6f0e-3d1c-4b0e-9a57-2f4c1e0b9a11")

OnQuota = Callable[[OutboxItem], Awaitable[None]]


async def log_quota(item: OutboxItem) -> None:
    logger.error("LINE outbox %d: the monthly message quota is used up", item.id)


def retry_key(item: OutboxItem, first: int) -> str:
    """The push's X-Line-Retry-Key: the item and the index of its first message in the push.

    The item's creation time is part of it, so a database started afresh (ids counting
    from 1 again) never reuses a key LINE still remembers.
    """
    name = f"{item.channel}|{item.chat_id}|{item.id}|{item.created_at.isoformat()}|{first}"
    return str(uuid.uuid5(_RETRY_KEYS, name))


class LineSender:
    """Sends LINE patients' outbox items (the outbox retries what fails)."""

    def __init__(
        self, api: LineApi, store: Store, tokens: ReplyTokens, *, on_quota: OnQuota = log_quota
    ) -> None:
        self._api = api
        self._store = store
        self._tokens = tokens
        self._on_quota = on_quota

    async def send(self, item: OutboxItem) -> None:
        """Deliver the item's messages not yet delivered; raises LineError on failure.

        QuotaExceeded (permanent) when the month's pushes are used up: the item is not
        delivered, and `on_quota` has been told.
        """
        messages = compose(item.reply)
        done = item.progress
        if done >= len(messages):
            return
        token = self._tokens.take(item.chat_id)
        if token is not None:
            done = await self._reply(item, token, messages, done)
        while done < len(messages):
            batch = messages[done : done + MESSAGES_PER_CALL]
            try:
                await self._api.push(item.chat_id, batch, retry_key=retry_key(item, done))
            except QuotaExceeded:
                await self._on_quota(item)
                raise
            done = await self._progress(item, done + len(batch), len(messages))

    async def _reply(
        self, item: OutboxItem, token: str, messages: Sequence[Message], done: int
    ) -> int:
        """Reply with up to five messages; return how many are delivered (pushed if refused)."""
        batch = messages[done : done + MESSAGES_PER_CALL]
        try:
            await self._api.reply(token, batch)
        except InvalidReplyToken:
            logger.info("LINE outbox %d: reply token refused; pushing instead", item.id)
            return done
        return await self._progress(item, done + len(batch), len(messages))

    async def _progress(self, item: OutboxItem, done: int, total: int) -> int:
        """Record delivered messages of a long item, so a retry sends only the rest."""
        if done < total:
            async with self._store.transaction() as tx:
                await tx.outbox.set_progress(item.id, done)
        return done
