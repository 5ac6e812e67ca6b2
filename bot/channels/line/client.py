"""The Messaging API client: line-bot-sdk's async clients, and LINE's answers as our errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.outbox import PermanentFailure, QuotaFailure

logger = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "line"  # the inbox, outbox and patients' channel of LINE
LINE_API = "https://api.line.me"
LINE_DATA_API = "https://api-data.line.me"  # message content (images, files) lives here
TEXT_CHARS = 5000  # LINE's limit for one text message
MESSAGES_PER_CALL = 5  # … and for the messages of one reply or push call
QUICK_REPLY_ITEMS = 13
LABEL_CHARS = 20  # a quick reply button's label
DATA_CHARS = 300  # a postback's data, and the text it shows in the chat

Message = Any  # a linebot.v3.messaging message model (the SDK ships no type information)


class LineError(Exception):
    """LINE refused a request or could not be reached; retrying may help."""


class LineRefused(LineError, PermanentFailure):
    """LINE refused the request for good (a malformed message, an unknown user, …)."""


class InvalidReplyToken(LineRefused):
    """The reply token was used already or has expired: push instead."""


class QuotaExceeded(LineRefused, QuotaFailure):
    """The month's message quota is used up: nothing more can be pushed until next month."""


class AlreadyAccepted(LineError):
    """409: a request with this retry key was accepted before."""


@dataclass(frozen=True, slots=True)
class Content:
    """A file a user sent, as fetched from LINE."""

    data: bytes
    content_type: str


class LineApi:
    """The calls the channel makes; create inside the event loop, `await close()` at the end."""

    def __init__(
        self,
        access_token: str,
        *,
        host: str | None = None,
        data_host: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        # One client per host: the SDK joins Configuration.host to every path it calls.
        self._clients = (
            AsyncApiClient(Configuration(host=host or LINE_API, access_token=access_token)),
            AsyncApiClient(
                Configuration(host=data_host or LINE_DATA_API, access_token=access_token)
            ),
        )
        self._messaging = AsyncMessagingApi(self._clients[0])
        self._blob = AsyncMessagingApiBlob(self._clients[1])
        self._timeout = timeout

    async def close(self) -> None:
        for client in self._clients:
            await client.close()

    async def bot_name(self) -> str:
        """The official account's display name; a refused access token fails here."""
        info = await self._call(lambda: self._messaging.get_bot_info(**self._options()))
        return str(info.display_name)

    async def reply(self, token: str, messages: Sequence[Message]) -> None:
        request = ReplyMessageRequest(reply_token=token, messages=list(messages))
        await self._call(lambda: self._messaging.reply_message(request, **self._options()))

    async def push(self, to: str, messages: Sequence[Message], *, retry_key: str) -> None:
        """Push; with a retry key LINE delivers a request at most once (409 when repeated)."""
        request = PushMessageRequest(to=to, messages=list(messages))
        try:
            await self._call(
                lambda: self._messaging.push_message(
                    request, x_line_retry_key=retry_key, **self._options()
                )
            )
        except AlreadyAccepted:
            logger.info("LINE push %s was accepted before: not sent again", retry_key)

    async def show_loading(self, chat_id: str, seconds: int) -> None:
        request = ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=seconds)
        await self._call(lambda: self._messaging.show_loading_animation(request, **self._options()))

    async def content(self, message_id: str) -> Content:
        response = await self._call(
            lambda: self._blob.get_message_content_with_http_info(message_id, **self._options())
        )
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return Content(bytes(response.data), content_type)

    def _options(self) -> dict[str, Any]:
        return {"_request_timeout": self._timeout}

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        try:
            return await request()
        except ApiException as exc:
            raise error_of(exc.status, exc.body) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise LineError(f"LINE could not be reached: {type(exc).__name__}") from exc


def error_of(status: int, body: object) -> LineError:
    """The error for one of LINE's HTTP answers (body: LINE's JSON error, as text)."""
    message = _message(body)
    if status == 409:
        return AlreadyAccepted(message)
    if status == 429:
        if "monthly limit" in message.lower():
            return QuotaExceeded(message)
        return LineError(f"rate limited: {message}")  # 2,000 requests/s: passes soon
    if status == 400 and "reply token" in message.lower():
        return InvalidReplyToken(message)
    if status in (401, 403):
        # A wrong or revoked access token: every request fails until it is fixed, so
        # the items wait (and are retried) instead of each being given up at once.
        return LineError(f"LINE refused the access token ({status}): {message}")
    if 400 <= status < 500:
        return LineRefused(f"{status}: {message}")
    return LineError(f"LINE answered {status}: {message}")


def _message(body: object) -> str:
    """LINE's error message (its JSON `message`), never more than 200 characters."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:200]
    return str(parsed.get("message", ""))[:200] if isinstance(parsed, dict) else text[:200]
