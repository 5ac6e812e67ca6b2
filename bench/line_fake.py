"""The far side of the LINE bench: the fake LINE API and the webhook requests LINE would post,
in a process of their own so that their work (and the signing) does not eat the bot's CPU.

Requests carry a few events each, as LINE batches them, and go out with a fixed number in
flight; with one in flight, each waits for the replies to the one before. An event is handled when the reply call with its reply token reaches the fake (or
a push to its user, if the bot had to push); latency runs from its request's POST to that.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Literal

from aiohttp import web

from tests.fakes import line_events
from tests.fakes.line_api import FakeLine
from tests.fakes.line_events import JSON

Request = Sequence[tuple[str, str]]  # (user id, text) of each event in one webhook request


@dataclass(frozen=True, slots=True)
class LoadResult:
    latencies: list[float]  # seconds from POST to the reply call, one per event
    accepted: float  # first POST to the last 200, seconds
    handled: float  # first POST to the last event's reply or push, seconds
    requests: int
    pushes: int  # events answered by push instead of reply (0 while tokens are fresh)


@dataclass
class TimedLine(FakeLine):
    """The fake, noting when the reply (or push) for each pending event arrives."""

    posted: dict[str, float] = field(default_factory=dict)  # reply token -> POST time
    answered: dict[str, float] = field(default_factory=dict)  # reply token -> reply time
    pushes: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pending: defaultdict[str, deque[str]] = defaultdict(deque)  # user -> tokens
        self.all_answered = asyncio.Event()

    async def _record(self, request: web.Request, host: Literal["api", "data"]) -> JSON | None:
        body = await super()._record(request, host)
        now = time.perf_counter()
        if body is None:
            return body
        if request.path.endswith("/reply"):
            self._answer(str(body.get("replyToken")), now)
        elif request.path.endswith("/push"):
            user = self.pending.get(str(body.get("to")))
            if user:  # the reply token was refused: the oldest waiting event got its push
                self.pushes += 1
                self._answer(user[0], now)
        return body

    def _answer(self, token: str, now: float) -> None:
        if token in self.posted and token not in self.answered:
            self.answered[token] = now
            user = self._tokens[token].user_id
            self.pending[user].remove(token)
            if len(self.answered) == len(self.posted):
                self.all_answered.set()

    async def post(self, url: str, request: Request) -> float:
        """Post one webhook request; returns when the 200 came back."""
        events = []
        for user, text in request:
            token = self.issue_reply_token(user)
            message = line_events.text_message(text)
            ms = int(time.time() * 1000)
            events.append(
                line_events.event(
                    "message", user, timestamp_ms=ms, reply_token=token, message=message
                )
            )
            self.pending[user].append(token)
        sent = time.perf_counter()
        for event in events:
            self.posted[event["replyToken"]] = sent
        status = await self.post_webhook(url, events)
        if status != 200:
            raise RuntimeError(f"line bench: the webhook answered {status}")
        return time.perf_counter()


async def _load(
    fake: TimedLine, url: str, requests: Sequence[Request], in_flight: int, timeout: float
) -> LoadResult:
    queue: deque[Request] = deque(requests)
    accepted: list[float] = []

    async def connection() -> None:
        while queue:
            fake.all_answered.clear()
            accepted.append(await fake.post(url, queue.popleft()))
            if in_flight == 1:  # one at a time: the next request waits for the replies
                await fake.all_answered.wait()

    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        await asyncio.gather(*(connection() for _ in range(in_flight)))
        await fake.all_answered.wait()
    latencies = [fake.answered[t] - fake.posted[t] for t in fake.posted]
    return LoadResult(
        latencies,
        max(accepted) - started,
        max(fake.answered.values()) - started,
        len(requests),
        fake.pushes,
    )


async def _serve(conn: Connection) -> None:
    fake = TimedLine()
    await fake.start()
    try:
        conn.send((fake.api_url, fake.data_url))
        url, requests, in_flight, timeout = await asyncio.to_thread(conn.recv)  # bot is up: go
        try:
            conn.send(await _load(fake, url, requests, in_flight, timeout))
        except TimeoutError:
            conn.send(None)
        await asyncio.to_thread(conn.recv)  # the bot has stopped
    finally:
        await fake.stop()


def serve(conn: Connection) -> None:
    """The child process: report the fake's URLs, post the load when told, send the result."""
    asyncio.run(_serve(conn))
