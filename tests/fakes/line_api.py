"""A fake LINE Messaging API: real aiohttp servers on 127.0.0.1 for line-bot-sdk's real client.

Two hosts as on LINE: the API (reply, push, loading animation, profile, bot info) and the
data host (message content). Point the SDK at them with `Configuration(host=...)`.
The fake checks what LINE checks (access token, reply tokens used once, at most five
messages per call, text and label lengths, X-Line-Retry-Key used once: 409), records
every call and every message delivered to each user, and can be told to answer a
call with 429 (the monthly quota, or the rate limit) or 500, before or after delivering.
It also builds webhook events and posts them, signed as LINE signs them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

from tests.fakes import line_events
from tests.fakes.line_events import ACCESS_TOKEN, BOT_USER_ID, JSON, sign

FailureKind = Literal["quota", "rate_limit", "server_error", "lost_response"]
Endpoint = Literal["reply", "push", "loading", "content"]


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made."""

    host: Literal["api", "data"]
    method: str
    path: str
    body: JSON | None
    retry_key: str | None = None


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message that reached a user, by reply or by push."""

    to: str
    via: Literal["reply", "push"]
    message: JSON
    retry_key: str | None = None

    @property
    def text(self) -> str:
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[JSON]:
        """The quick reply buttons' actions."""
        items = (self.message.get("quickReply") or {}).get("items", [])
        return [item["action"] for item in items]

    @property
    def labels(self) -> list[str]:
        return [action["label"] for action in self.buttons]


@dataclass
class _Token:
    user_id: str
    state: Literal["fresh", "used", "expired"] = "fresh"


@dataclass
class Profile:
    display_name: str
    language: str = "ja"


@dataclass
class FakeLine:
    """The fake; `await start()`, then use `api_url` and `data_url` as the SDK's hosts."""

    calls: list[Call] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    loading: list[tuple[str, int]] = field(default_factory=list)
    contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tokens: dict[str, _Token] = {}
        self._retry_keys: set[str] = set()
        self._failures: dict[str, deque[FailureKind]] = defaultdict(deque)
        self._token_ids = itertools.count(1)
        self._sent_ids = itertools.count(900_000)
        self._changed = asyncio.Condition()
        self._runners: list[web.AppRunner] = []
        self._session: aiohttp.ClientSession | None = None
        self.ports = {"api": 0, "data": 0}

    # -- running -------------------------------------------------------------------------

    async def start(self) -> None:
        api = web.Application()
        api.router.add_post("/v2/bot/message/reply", self._reply)
        api.router.add_post("/v2/bot/message/push", self._push)
        api.router.add_post("/v2/bot/chat/loading/start", self._loading)
        api.router.add_get("/v2/bot/profile/{user_id}", self._profile)
        api.router.add_get("/v2/bot/info", self._info)
        data = web.Application()
        data.router.add_get("/v2/bot/message/{message_id}/content", self._content)
        for name, app in (("api", api), ("data", data)):
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self.ports[name] = int(runner.addresses[0][1])
            self._runners.append(runner)
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        for runner in self._runners:
            await runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def data_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['data']}"

    # -- what tests do -------------------------------------------------------------------

    def fail(self, endpoint: Endpoint, kind: FailureKind, times: int = 1) -> None:
        """Answer the next `times` calls of `endpoint` this way.

        "lost_response": LINE delivers, but the answer is lost (the bot sees a 500).
        """
        self._failures[endpoint].extend([kind] * times)

    def issue_reply_token(self, user_id: str, *, expired: bool = False) -> str:
        token = f"rt-{next(self._token_ids):08d}"
        self._tokens[token] = _Token(user_id, "expired" if expired else "fresh")
        return token

    def add_content(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Content a user sent; returns its message id."""
        message_id = line_events.message_id()
        self.contents[message_id] = (data, content_type)
        return message_id

    def sent_to(self, user_id: str) -> list[Delivered]:
        return [d for d in self.delivered if d.to == user_id]

    def calls_to(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `condition()` holds; it is checked after every call the bot makes."""
        async with self._changed, asyncio.timeout(timeout):
            await self._changed.wait_for(condition)

    async def post_webhook(
        self,
        url: str,
        events: list[JSON],
        *,
        signature: str | None = None,
        body: bytes | None = None,
    ) -> int:
        """Post events to the bot as LINE does (signed unless `signature` says otherwise)."""
        assert self._session is not None, "start() the fake first"
        raw = body if body is not None else line_events.webhook_body(events)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if signature != "":
            headers["X-Line-Signature"] = signature if signature is not None else sign(raw)
        async with self._session.post(url, data=raw, headers=headers) as response:
            return response.status

    # -- the API -------------------------------------------------------------------------

    async def _record(self, request: web.Request, host: Literal["api", "data"]) -> JSON | None:
        body = await request.json() if request.can_read_body else None
        call = Call(
            host, request.method, request.path, body, request.headers.get("X-Line-Retry-Key")
        )
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return body

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}"

    def _failure(self, endpoint: Endpoint) -> FailureKind | None:
        queue = self._failures[endpoint]
        return queue.popleft() if queue else None

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self._record(request, "api")
        if not self._authorised(request):
            return _error(
                401,
                "Authentication failed. Confirm that the access token in the authorization header is valid.",
            )
        assert body is not None
        problem = _check_messages(body.get("messages"))
        if problem is not None:
            return _error(400, problem)
        token = self._tokens.get(str(body.get("replyToken")))
        if token is None or token.state != "fresh":
            return _error(400, "Invalid reply token")
        failure = self._failure("reply")
        if failure in ("quota", "rate_limit", "server_error"):
            return _failed(failure)
        token.state = "used"
        response = await self._deliver(token.user_id, "reply", body["messages"], None)
        return _failed("server_error") if failure == "lost_response" else response

    async def _push(self, request: web.Request) -> web.Response:
        body = await self._record(request, "api")
        if not self._authorised(request):
            return _error(401, "Authentication failed.")
        assert body is not None
        problem = _check_messages(body.get("messages"))
        if problem is not None:
            return _error(400, problem)
        key = request.headers.get("X-Line-Retry-Key")
        if key is not None and key in self._retry_keys:
            return web.json_response(
                {"message": "The retry key is already accepted"},
                status=409,
                headers={"x-line-accepted-request-id": f"req-{key}"},
            )
        failure = self._failure("push")
        if failure in ("quota", "rate_limit", "server_error"):
            return _failed(failure)
        if key is not None:
            self._retry_keys.add(key)
        response = await self._deliver(str(body["to"]), "push", body["messages"], key)
        return _failed("server_error") if failure == "lost_response" else response

    async def _deliver(
        self, to: str, via: Literal["reply", "push"], messages: list[JSON], key: str | None
    ) -> web.Response:
        sent = []
        async with self._changed:
            for message in messages:
                self.delivered.append(Delivered(to, via, message, key))
                sent.append({"id": str(next(self._sent_ids)), "quoteToken": "q-sent"})
            self._changed.notify_all()
        return web.json_response({"sentMessages": sent})

    async def _loading(self, request: web.Request) -> web.Response:
        body = await self._record(request, "api")
        if not self._authorised(request):
            return _error(401, "Authentication failed.")
        assert body is not None
        seconds = int(body.get("loadingSeconds", 5))
        if not (5 <= seconds <= 60 and seconds % 5 == 0):
            return _error(400, "The request body has 1 error(s)")
        if self._failure("loading") is not None:
            return _failed("server_error")
        async with self._changed:
            self.loading.append((str(body["chatId"]), seconds))
            self._changed.notify_all()
        return web.json_response({}, status=202)

    async def _profile(self, request: web.Request) -> web.Response:
        await self._record(request, "api")
        if not self._authorised(request):
            return _error(401, "Authentication failed.")
        user_id = request.match_info["user_id"]
        profile = self.profiles.get(user_id)
        if profile is None:
            return _error(404, "Not found")
        return web.json_response(
            {"userId": user_id, "displayName": profile.display_name, "language": profile.language}
        )

    async def _info(self, request: web.Request) -> web.Response:
        await self._record(request, "api")
        if not self._authorised(request):
            return _error(401, "Authentication failed.")
        return web.json_response(
            {
                "userId": BOT_USER_ID,
                "basicId": "@123abcde",
                "displayName": "テスト皮膚科",
                "chatMode": "bot",
                "markAsReadMode": "auto",
            }
        )

    async def _content(self, request: web.Request) -> web.Response:
        await self._record(request, "data")
        if not self._authorised(request):
            return _error(401, "Authentication failed.")
        if self._failure("content") is not None:
            return _failed("server_error")
        found = self.contents.get(request.match_info["message_id"])
        if found is None:
            return _error(404, "Not found")
        data, content_type = found
        return web.Response(body=data, content_type=content_type)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check_messages(messages: Any) -> str | None:
    """LINE's checks on a reply's or push's messages; None if they pass."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "Size must be between 1 and 5"
    for message in messages:
        if message.get("type") == "text" and not 1 <= utf16_len(message.get("text", "")) <= 5000:
            return "Length must be between 1 and 5000"
        if message.get("type") == "image" and not str(
            message.get("originalContentUrl", "")
        ).startswith("https://"):
            return "Must be a https URL"
        items = (message.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            return "Size must be between 0 and 13"
        for item in items:
            action = item.get("action", {})
            if not 1 <= utf16_len(action.get("label", "")) <= 20:
                return "Length must be between 1 and 20"
            if len(action.get("data", "")) > 300 or len(action.get("displayText", "")) > 300:
                return "Length must be between 0 and 300"
    return None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _failed(kind: FailureKind) -> web.Response:
    if kind == "quota":
        return _error(429, "You have reached your monthly limit.")
    if kind == "rate_limit":
        return _error(429, "Too Many Requests")
    return _error(500, "Internal Server Error")
