"""A fake Telegram Bot API server: a real aiohttp app on 127.0.0.1 for the real client.

python-telegram-bot is pointed at it with `base_url` / `base_file_url`, so its whole HTTP
stack runs in the tests. The server records every call, keeps the messages the bot sent
per chat, serves getUpdates with offset and long-poll semantics, and can be told to fail
the next calls of a method with 429 (retry_after), 500, 403 or a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.fakes.telegram_updates import (
    JSON,
    User,
    callback_json,
    chat_json,
    chat_member_json,
    chat_member_update_json,
    full_chat_json,
    message_json,
)

TOKEN = "123456:TEST-fake-token"
BOT = User(123456, "クリニックBot", is_bot=True)
BOT_USERNAME = "clinic_faq_bot"
SEND_METHODS = {
    "sendMessage": None,
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideo": "video",
}
FailureKind = Literal["retry_after", "server_error", "forbidden", "timeout"]


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made: the method and its parameters as sent (strings)."""

    method: str
    params: dict[str, str]
    content_type: str = ""  # application/json, a form, or multipart with files


@dataclass(slots=True)
class Sent:
    """A message the bot sent (or copied) into a chat."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    thread_id: int | None = None
    reply_to: int | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)
    file: tuple[str, str] | None = None  # (kind, file_id)
    json: JSON = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    retry_after: int = 1
    delay: float = 2.0  # how long a "timeout" keeps the client waiting


class FakeTelegram:
    """The fake server; `await start()`, then give the bot `base_url` and `base_file_url`."""

    def __init__(self, *, staff_chat_id: int, forum: bool = True) -> None:
        self.staff_chat_id = staff_chat_id
        self.forum = forum
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.topics: dict[int, str] = {}
        self.closed_topics: set[int] = set()
        self.pinned: list[tuple[int, int]] = []
        self.members: dict[int, str] = {BOT.id: "administrator"}  # getChatMember's status
        self.restricted_out: set[int] = set()  # "restricted" users no longer in the group
        self.blocked: set[int] = set()
        self.files: dict[str, bytes] = {}
        self.uploads: dict[str, bytes] = {}  # files the bot uploaded, by the id they were given
        self.webhook: dict[str, str] | None = None
        self._updates: deque[JSON] = deque()
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._thread_ids = itertools.count(100)
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self.delays: dict[str, float] = {}  # method: seconds each call waits (a slow Telegram)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # -- running -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(r"/bot{token}/{method}", self._api)
        app.router.add_get(r"/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        async with self._changed:  # long polls still waiting return now
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- what tests do -------------------------------------------------------------------

    def fail(self, method: str, times: int = 1, *, kind: FailureKind, **options: Any) -> None:
        """Make the next `times` calls of `method` fail this way."""
        self._failures[method].extend(Failure(kind, **options) for _ in range(times))

    def heal(self) -> None:
        """Drop the failures not yet used up."""
        self._failures.clear()

    async def push(self, update: JSON) -> int:
        """Queue an update for getUpdates (an `update_id` is given if it has none)."""
        update.setdefault("update_id", next(self._update_ids))
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    def message_update(
        self,
        user: User,
        chat_id: int,
        *,
        text: str | None = None,
        caption: str | None = None,
        file: tuple[str, str] | None = None,
        thread_id: int | None = None,
        reply_to: Sent | None = None,
    ) -> JSON:
        """An update with a message from `user` in `chat_id` (the user's own id: private)."""
        chat = chat_json(chat_id, forum=self.forum and chat_id == self.staff_chat_id)
        message = message_json(
            next(self._message_ids[chat_id]),
            chat,
            user.json(),
            text=text,
            caption=caption,
            file=file,
            thread_id=thread_id,
            reply_to=reply_to.json if reply_to is not None else None,
        )
        return {"message": message}

    def member_update(self, user: User, status: str) -> JSON:
        """A chat_member update of the staff group: `user` now has `status` (also kept)."""
        old = self.members.get(user.id, "left")
        self.members[user.id] = status
        chat = chat_json(self.staff_chat_id, forum=self.forum)
        return chat_member_update_json(chat, user.json(), old, status)

    def callback_update(self, user: User, sent: Sent, data: str) -> JSON:
        query_id = f"cb-{next(self._update_ids)}"
        return {"callback_query": callback_json(query_id, user, sent.json, data)}

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [sent for sent in self.sent if sent.chat_id == chat_id]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `condition()` holds; it is checked after every call the bot makes."""
        async with self._changed, asyncio.timeout(timeout):
            await self._changed.wait_for(condition)

    def confirmed(self, update_id: int) -> bool:
        """Whether the bot confirmed the update (a later getUpdates offset passed it)."""
        return all(int(u["update_id"]) != update_id for u in self._updates)

    # -- the API -------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return _error(401, "Unauthorized")
        params = await self._params(request)
        async with self._changed:
            self.calls.append(Call(method, params, request.content_type))
            self._changed.notify_all()
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        failure = self._failures[method].popleft() if self._failures[method] else None
        if failure is not None:
            return await _failure(failure)
        handler = getattr(self, f"_{method}", None)
        if handler is None and method in SEND_METHODS:
            handler = self._send
        if handler is None:
            return _error(404, "Not Found")
        response: web.Response = await handler(method, params)
        async with self._changed:
            self._changed.notify_all()
        return response

    async def _params(self, request: web.Request) -> dict[str, str]:
        """The parameters, each as a string as a form carries it: the Bot API takes a JSON
        body (objects nested in it) as well as a form or multipart upload."""
        if request.content_type == "application/json":
            body = await request.json()
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        return {k: self._param(v) for k, v in (await request.post()).items()}

    def _param(self, value: object) -> str:
        """A parameter as a string; an uploaded file is kept and named `upload-N`."""
        if not isinstance(value, web.FileField):
            return str(value)
        name = f"upload-{len(self.uploads) + 1}"
        self.uploads[name] = value.file.read()
        return name

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _getMe(self, method: str, params: dict[str, str]) -> web.Response:
        return _ok({**BOT.json(), "username": BOT_USERNAME, "can_join_groups": True})

    async def _getUpdates(self, method: str, params: dict[str, str]) -> web.Response:
        if self.webhook is not None:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        async with self._changed:
            while self._updates and int(self._updates[0]["update_id"]) < offset:
                self._updates.popleft()  # confirmed by the offset
            if not self._updates:
                timeout = float(params.get("timeout", 0))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
            return _ok(list(itertools.islice(self._updates, limit)))

    async def _send(self, method: str, params: dict[str, str]) -> web.Response:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        kind = SEND_METHODS[method]
        file = (kind, params[kind]) if kind is not None else None
        text = params.get("text") if kind is None else params.get("caption")
        return _ok(self._record(method, chat_id, params, text, file).json)

    async def _copyMessage(self, method: str, params: dict[str, str]) -> web.Response:
        chat_id = int(params["chat_id"])
        source = next((s for s in self.sent if s.message_id == int(params["message_id"])), None)
        file = source.file if source is not None else None
        sent = self._record(method, chat_id, params, params.get("caption"), file)
        return _ok({"message_id": sent.message_id})

    def _record(
        self,
        method: str,
        chat_id: int,
        params: dict[str, str],
        text: str | None,
        file: tuple[str, str] | None,
    ) -> Sent:
        thread = int(params["message_thread_id"]) if "message_thread_id" in params else None
        reply_to = _reply_to(params)
        markup = json.loads(params["reply_markup"]) if "reply_markup" in params else None
        buttons = [
            (b["text"], b.get("callback_data", ""))
            for row in (markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        chat = chat_json(chat_id, forum=self.forum and chat_id == self.staff_chat_id)
        message_id = next(self._message_ids[chat_id])
        as_json = message_json(
            message_id,
            chat,
            BOT.json(),
            text=text if file is None else None,
            caption=text if file is not None else None,
            file=file,
            thread_id=thread,
            reply_markup=markup,
        )
        sent = Sent(method, chat_id, message_id, text, thread, reply_to, buttons, file, as_json)
        self.sent.append(sent)
        return sent

    async def _createForumTopic(self, method: str, params: dict[str, str]) -> web.Response:
        if not (self.forum and int(params["chat_id"]) == self.staff_chat_id):
            return _error(400, "Bad Request: the chat is not a forum")
        thread_id = next(self._thread_ids)
        self.topics[thread_id] = params["name"]
        return _ok({"message_thread_id": thread_id, "name": params["name"], "icon_color": 7322096})

    async def _editForumTopic(self, method: str, params: dict[str, str]) -> web.Response:
        thread_id = int(params["message_thread_id"])
        if thread_id not in self.topics:
            return _error(400, "Bad Request: message thread not found")
        self.topics[thread_id] = params.get("name", self.topics[thread_id])
        return _ok(True)

    async def _closeForumTopic(self, method: str, params: dict[str, str]) -> web.Response:
        thread_id = int(params["message_thread_id"])
        if thread_id not in self.topics:
            return _error(400, "Bad Request: message thread not found")
        self.closed_topics.add(thread_id)
        return _ok(True)

    async def _answerCallbackQuery(self, method: str, params: dict[str, str]) -> web.Response:
        return _ok(True)

    async def _editMessageReplyMarkup(self, method: str, params: dict[str, str]) -> web.Response:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        sent = next(s for s in self.sent if (s.chat_id, s.message_id) == (chat_id, message_id))
        markup = json.loads(params.get("reply_markup", "{}"))
        sent.buttons = [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]
        return _ok({**sent.json, "reply_markup": markup})

    async def _pinChatMessage(self, method: str, params: dict[str, str]) -> web.Response:
        self.pinned.append((int(params["chat_id"]), int(params["message_id"])))
        return _ok(True)

    async def _getChatMember(self, method: str, params: dict[str, str]) -> web.Response:
        user_id = int(params["user_id"])
        status = self.members.get(user_id, "left")
        user = {"id": user_id, "is_bot": user_id == BOT.id, "first_name": "member"}
        return _ok(chat_member_json(user, status, is_member=user_id not in self.restricted_out))

    async def _getChat(self, method: str, params: dict[str, str]) -> web.Response:
        chat_id = int(params["chat_id"])
        return _ok(
            full_chat_json(chat_json(chat_id, forum=self.forum and chat_id == self.staff_chat_id))
        )

    async def _getFile(self, method: str, params: dict[str, str]) -> web.Response:
        file_id = params["file_id"]
        path = f"files/{file_id}"
        if path not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        size = len(self.files[path])
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": size,
                "file_path": path,
            }
        )

    async def _setWebhook(self, method: str, params: dict[str, str]) -> web.Response:
        self.webhook = params
        return _ok(True)

    async def _deleteWebhook(self, method: str, params: dict[str, str]) -> web.Response:
        self.webhook = None
        return _ok(True)


def _reply_to(params: dict[str, str]) -> int | None:
    if "reply_parameters" in params:
        return int(json.loads(params["reply_parameters"])["message_id"])
    if "reply_to_message_id" in params:
        return int(params["reply_to_message_id"])
    return None


def _ok(result: object) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, **parameters: int) -> web.Response:
    body: JSON = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _failure(failure: Failure) -> web.Response:
    if failure.kind == "retry_after":
        seconds = failure.retry_after
        return _error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
    if failure.kind == "forbidden":
        return _error(403, "Forbidden: bot was blocked by the user")
    if failure.kind == "timeout":
        await asyncio.sleep(failure.delay)  # longer than the client waits
        return _error(504, "Gateway Timeout")
    return _error(500, "Internal Server Error")
