"""A forgotten patient's staff topic: a notice posted in it, then renamed and closed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.telegram.client import TelegramBot
from bot.forgetting import FORGOTTEN_TOPIC_NAME
from bot.store_privacy import StaffTopic

# The sender's retrying Bot API call.
Call = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


async def mark_forgotten(bot: TelegramBot, topic: StaffTopic, text: str, call: Call) -> None:
    """Tell staff the patient's data is gone; the topic's name no longer says whose it was."""
    chat, thread = int(topic.chat_id), topic.thread_id
    await call(lambda: bot.send_message(chat, text, message_thread_id=thread))
    await call(lambda: bot.edit_forum_topic(chat, thread, name=FORGOTTEN_TOPIC_NAME))
    await call(lambda: bot.close_forum_topic(chat, thread))
