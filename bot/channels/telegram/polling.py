"""Polling mode: our own getUpdates loop, which confirms an update only after committing it.

python-telegram-bot's Updater confirms the offset as soon as an update is queued, before
any handler runs; here the next getUpdates' offset confirms only what the inbox holds.
"""

from __future__ import annotations

import asyncio
import json
import logging

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter

from bot.channels.telegram.client import ALLOWED_UPDATES, TelegramBot
from bot.inbox import Inbox

logger = logging.getLogger(__name__)


async def poll(bot: TelegramBot, inbox: Inbox, *, timeout: int, retry_delay: float) -> None:
    """Fetch updates into the inbox until cancelled.

    Each run starts without an offset: Telegram sends again what the last run fetched but
    did not confirm, and the inbox ignores what it already holds.
    """
    offset: int | None = None
    while True:
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES
            )
        except InvalidToken:
            raise
        except (NetworkError, Conflict, RetryAfter) as exc:  # NetworkError covers 5xx, timeouts
            logger.warning(
                "getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, retry_delay
            )
            await asyncio.sleep(retry_delay)
            continue
        if not updates:
            continue
        await inbox.receive(
            [(str(u.update_id), json.dumps(u.to_dict(), ensure_ascii=False)) for u in updates]
        )
        offset = updates[-1].update_id + 1  # confirms them with the next call
