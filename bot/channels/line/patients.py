"""Patients on LINE: a stored webhook event in, the core's replies queued in the outbox."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.channels.line.client import CHANNEL
from bot.channels.line.events import Unfollowed, parse, translate
from bot.clock import Clock
from bot.core import Conversation
from bot.inbox import AfterCommit
from bot.messages import IncomingMessage
from bot.store import Store

logger = logging.getLogger(__name__)

# Called (inside the inbox's transaction) when a user blocks the account, after the
# patient is marked inactive.
OnUnfollow = Callable[[str], Awaitable[None]]


async def log_unfollow(user_id: str) -> None:
    logger.info("a LINE user blocked the account")


class LinePatients:
    """The inbox handler of the LINE channel."""

    def __init__(
        self,
        conversation: Conversation,
        store: Store,
        clock: Clock,
        *,
        on_unfollow: OnUnfollow = log_unfollow,
    ) -> None:
        self._conv = conversation
        self._store = store
        self._clock = clock
        self._on_unfollow = on_unfollow

    async def handle(self, payload: str) -> list[AfterCommit]:
        event = parse(payload)
        if event is None:
            logger.info("LINE event of a type this SDK does not know: ignored")
            return []
        match translate(event):
            case IncomingMessage() as message:
                replies = await self._conv.handle(message)
                async with self._store.transaction() as tx:
                    now = self._clock()
                    for reply in replies:
                        await tx.outbox.enqueue(CHANNEL, message.chat_id, reply, now)
            case Unfollowed(user_id):
                async with self._store.transaction() as tx:
                    await tx.patients.set_inactive(CHANNEL, user_id, self._clock())
                await self._on_unfollow(user_id)
        return []


def patient_text(payload: str) -> str | None:
    """The words of a stored event that the core will match (the inbox's head start)."""
    event = parse(payload)
    message = translate(event) if event is not None else None
    if isinstance(message, IncomingMessage) and message.kind == "text":
        return message.text
    return None
