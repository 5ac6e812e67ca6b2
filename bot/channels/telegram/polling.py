"""Polling mode: our own getUpdates loop, which confirms an update only after committing it.

python-telegram-bot's Updater confirms the offset as soon as an update is queued, before
any handler runs; here the next getUpdates' offset confirms only what the inbox holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter

from bot.channels.telegram.client import ALLOWED_UPDATES, TelegramBot
from bot.inbox import Inbox
from bot.store_alarm import STORE_FAILURES, StoreAlarm

logger = logging.getLogger(__name__)

MAX_STORE_RETRY_DELAY = 60.0  # seconds between tries while the database cannot be written


async def poll(
    bot: TelegramBot,
    inbox: Inbox,
    *,
    timeout: int,
    retry_delay: float,
    read_timeout: float = 10.0,
    alarm: StoreAlarm | None = None,
) -> None:
    """Fetch updates into the inbox until cancelled.

    Each run starts without an offset: Telegram sends again what the last run fetched but
    did not confirm, and the inbox ignores what it already holds. Updates are kept as the
    JSON Telegram sent (no `Update` objects here: the dispatcher builds the one it needs).
    """
    alarm = alarm or StoreAlarm()
    offset: int | None = None
    store_delay = retry_delay
    while True:
        request = {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        try:
            # The server holds the request up to `timeout` s: wait that long on top.
            updates: list[dict[str, Any]] = await bot.call(
                "getUpdates", request, read_timeout=read_timeout + timeout
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
        try:
            await inbox.receive(
                [(str(u["update_id"]), json.dumps(u, ensure_ascii=False)) for u in updates]
            )
        except STORE_FAILURES as exc:
            # Not stored, so not confirmed: the offset stays and Telegram sends them again.
            alarm.failed("telegram getUpdates", exc)
            await asyncio.sleep(store_delay)
            store_delay = min(store_delay * 2, MAX_STORE_RETRY_DELAY)
            continue
        store_delay = retry_delay
        offset = int(updates[-1]["update_id"]) + 1  # confirms them with the next call
