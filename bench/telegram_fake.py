"""The far side of the Telegram bench: the fake Bot API server and the patients, in a process
of their own so that their work does not eat the bot's CPU.

Each patient pushes a message into getUpdates, waits for every message the bot sends back
to its chat for it (how many, the bench worked out beforehand), then sends its next one.
Latency runs from the push to the first of those messages arriving; both are timed here.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.fakes.telegram_updates import User

STAFF_CHAT = -1001000
FIRST_PATIENT = 10_000


@dataclass(frozen=True, slots=True)
class Turn:
    """One patient message and how many messages the bot sends to the patient's chat for it."""

    text: str
    replies: int


@dataclass(frozen=True, slots=True)
class LoadResult:
    latencies: list[float]  # seconds, one per message with a reply
    elapsed: float  # first push to last reply, seconds
    messages: int


class TimedFake(FakeTelegram):
    """The fake server, noting when each message to a chat arrives."""

    def __init__(self) -> None:
        super().__init__(staff_chat_id=STAFF_CHAT)
        self.arrivals: defaultdict[int, list[float]] = defaultdict(list)
        self._arrived: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)

    def _record(
        self,
        method: str,
        chat_id: int,
        params: dict[str, str],
        text: str | None,
        file: tuple[str, str] | None,
    ) -> Sent:
        sent = super()._record(method, chat_id, params, text, file)
        self.arrivals[chat_id].append(time.perf_counter())
        self._arrived[chat_id].set()
        return sent

    async def received(self, chat_id: int, count: int) -> None:
        """Until `count` messages have reached the chat."""
        while len(self.arrivals[chat_id]) < count:
            self._arrived[chat_id].clear()
            await self._arrived[chat_id].wait()


async def _patient(fake: TimedFake, user: User, turns: Sequence[Turn], out: list[float]) -> None:
    seen = 0
    for turn in turns:
        pushed = time.perf_counter()
        await fake.push(fake.message_update(user, user.id, text=turn.text))
        if turn.replies:
            await fake.received(user.id, seen + turn.replies)
            out.append(fake.arrivals[user.id][seen] - pushed)
            seen += turn.replies


async def _load(fake: TimedFake, chats: Sequence[Sequence[Turn]], timeout: float) -> LoadResult:
    latencies: list[float] = []
    users = [User(FIRST_PATIENT + n, f"患者{n}") for n in range(len(chats))]
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        await asyncio.gather(
            *(
                _patient(fake, user, turns, latencies)
                for user, turns in zip(users, chats, strict=True)
            )
        )
    last = max((times[-1] for times in fake.arrivals.values() if times), default=started)
    return LoadResult(latencies, last - started, sum(len(turns) for turns in chats))


async def _serve(conn: Connection) -> None:
    fake = TimedFake()
    await fake.start()
    try:
        conn.send((fake.base_url, fake.base_file_url))
        chats, timeout = await asyncio.to_thread(conn.recv)  # the bot is up: go
        try:
            conn.send(await _load(fake, chats, timeout))
        except TimeoutError:
            conn.send(None)
        await asyncio.to_thread(conn.recv)  # the bot has stopped
    finally:
        await fake.stop()


def serve(conn: Connection) -> None:
    """The child process: report the server's URLs, run the load when told, send the result."""
    asyncio.run(_serve(conn))
