"""Building the Bot API client: endpoint, timeouts, and Telegram's rate limits."""

from __future__ import annotations

from typing import Any

from telegram.ext import AIORateLimiter, ExtBot

from bot.channels.telegram.transport import AiohttpRequest
from bot.config import TelegramConfig

PATIENTS = "telegram"  # the outbox and inbox channel of patients' private chats
STAFF = "telegram-staff"  # the outbox channel of the staff group (addressed to tickets)
ALLOWED_UPDATES = ["message", "callback_query", "chat_member"]  # chat_member: staff leaving
CALLBACK_DATA_BYTES = 64  # Telegram's limit for a button's callback data
MESSAGE_CHARS = 4096  # Telegram's limit for a message (UTF-16 code units)
CAPTION_CHARS = 1024  # … and for a photo's or file's caption


class TelegramBot(ExtBot[Any]):
    """ExtBot plus raw calls for the hot paths (getUpdates, plain sendMessage).

    A raw call goes through the same request stack and rate limiter as `send_message`, but
    returns the Bot API's JSON result as it came: building `Update` and `Message` objects
    that nobody reads was a fifth of the bot's CPU time under load (`python -m bench
    telegram --profile 40`).
    """

    async def call(
        self, endpoint: str, data: dict[str, Any], *, read_timeout: float | None = None
    ) -> Any:
        """The raw `result` of a Bot API method (a dict, a list or True)."""
        if read_timeout is None:
            return await self._post(endpoint, data)
        return await self._post(endpoint, data, read_timeout=read_timeout)


TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"


def build_bot(
    settings: TelegramConfig, token: str, *, timeout: float, rate_limit: bool = True
) -> TelegramBot:
    """The client, pointed at `base_url` if configured (a local Bot API server, the tests)."""
    return TelegramBot(
        token,
        base_url=settings.base_url or TELEGRAM_API,
        base_file_url=settings.base_file_url or TELEGRAM_FILES,
        request=AiohttpRequest(
            connection_pool_size=8,
            read_timeout=timeout,
            write_timeout=timeout,
            connect_timeout=timeout,
            pool_timeout=timeout,
        ),
        # getUpdates waits on the server: PTB adds the poll timeout to this read timeout.
        get_updates_request=AiohttpRequest(
            connection_pool_size=1, read_timeout=timeout, connect_timeout=timeout
        ),
        # Holds sends within Telegram's limits (30/s overall, 20/min per group) and, on a
        # 429, pauses every request for retry_after and tries again.
        rate_limiter=AIORateLimiter(max_retries=2) if rate_limit else None,
    )
