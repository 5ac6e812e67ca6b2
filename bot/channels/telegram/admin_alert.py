"""Alerts to admins sent straight to Telegram, for when the database itself has failed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram.error import TelegramError

from bot.channels.telegram.client import TelegramBot
from bot.store_alarm import Send

logger = logging.getLogger(__name__)


def direct_alert(bot: TelegramBot, chat_ids: Sequence[int]) -> Send:
    """Sends a text to each chat (admins' private chats, the staff room) now, once."""

    async def send(text: str) -> None:
        # Not through the outbox: the outbox lives in the database that just failed.
        # Nothing is retried: the next failure after the alarm's interval alerts again.
        for chat_id in chat_ids:
            try:
                await bot.send_message(chat_id, text)
            except TelegramError as exc:
                logger.warning("alert to chat %d not sent: %s", chat_id, type(exc).__name__)

    return send
