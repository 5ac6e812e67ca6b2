"""The LINE channel end to end: line-bot-sdk's real HTTP stack against the fake LINE API.

The channel is wired here as the app will wire it: the real conversation core with the
bundled knowledge base and its matcher, a real SQLite store, the real outbox and staff
feed. Tests read as chats: a patient `says` something (a signed webhook request reaches
the bot) and `receives` what LINE delivered to them, by reply or by push.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.channels.line.channel import LineChannel, LineHosts, LineTiming
from bot.channels.line.client import CHANNEL
from bot.channels.telegram.client import STAFF
from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import KbHolder, Loaded
from bot.outbox import Outbox
from bot.records import OutboxItem
from bot.staff_feed import StaffFeed
from bot.store import Store
from tests.bot.conftest import JST, agreed
from tests.fakes import line_events
from tests.fakes.line_api import Delivered, FakeLine
from tests.fakes.line_events import ACCESS_TOKEN, CHANNEL_SECRET, JSON

FAST = LineTiming(request_timeout=2.0, courier_interval=0.1)


class RunningClock:
    """Wednesday 2026-11-25 10:00 in Tokyo (business hours) at the start, then real time."""

    def __init__(self) -> None:
        self._start = datetime(2026, 11, 25, 10, 0, tzinfo=JST)
        self._t0 = time.monotonic()
        self._skipped = timedelta()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0) + self._skipped

    def skip(self, seconds: float) -> None:
        self._skipped += timedelta(seconds=seconds)

    def ms(self) -> int:
        """The time as a LINE event timestamp (milliseconds)."""
        return int(self().timestamp() * 1000)


@dataclass
class Line:
    """The running channel, its fake LINE, and what the bot did besides talking."""

    fake: FakeLine
    channel: LineChannel
    conversation: Conversation
    store: Store
    outbox: Outbox
    clock: RunningClock
    webhook_url: str
    unfollowed: list[str] = field(default_factory=list)

    def patient(
        self, user_id: str = "U1234567890abcdef1234567890abcdef", *, consented: bool = True
    ) -> LinePatient:
        """A LINE user; by default one who has agreed to what is stored."""
        return LinePatient(self, user_id, consented=consented)

    async def queued(self, channel: str) -> list[OutboxItem]:
        async with self.store.transaction(write=False) as tx:
            return await tx.outbox.items(channel=channel)

    async def staff_notes(self) -> list[str]:
        """What was queued for staff (the staff channel's outbox), oldest first."""
        return [item.reply.text for item in await self.queued(STAFF)]

    async def inbox(self) -> list[tuple[str, str]]:
        """(webhookEventId, status) of every event the webhook stored, in arrival order."""
        async with self.store.transaction(write=False) as tx:
            return await tx.inbox.statuses("line")

    async def processed(self, count: int) -> None:
        """Wait until `count` stored events are processed (for events that send nothing)."""

        async def done() -> bool:
            return sum(status != "pending" for _, status in await self.inbox()) >= count

        await eventually(done)


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait until `condition()` holds, for what the fake LINE does not see (the database)."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.02)


class LinePatient:
    """A LINE user in a one-to-one chat with the clinic's official account.

    With `consented`, their consent is recorded before their first event, as if they
    had pressed the button earlier.
    """

    def __init__(self, line: Line, user_id: str, *, consented: bool = True) -> None:
        self.line = line
        self.fake = line.fake
        self.user_id = user_id
        self.seen = 0
        self.last: Delivered | None = None
        self._agree_first = consented

    async def post(self, *events: JSON) -> None:
        if self._agree_first:
            self._agree_first = False
            await agreed(self.line.store, CHANNEL, self.user_id, self.user_id, self.line.clock())
        status = await self.fake.post_webhook(self.line.webhook_url, list(events))
        assert status == 200

    def event(self, kind: str, *, token: str | None = None, **fields: object) -> JSON:
        """An event of this user, now, with a reply token LINE accepts (unless `token`)."""
        reply_token = token or self.fake.issue_reply_token(self.user_id)
        return line_events.event(
            kind, self.user_id, timestamp_ms=self.line.clock.ms(), reply_token=reply_token, **fields
        )

    async def follows(self) -> None:
        await self.post(self.event("follow", follow={"isUnblocked": False}))

    async def unfollows(self) -> None:
        event = line_events.event("unfollow", self.user_id, timestamp_ms=self.line.clock.ms())
        await self.post(event)

    def text(self, text: str, *, token: str | None = None) -> JSON:
        return self.event("message", token=token, message=line_events.text_message(text))

    async def says(self, text: str, *, token: str | None = None) -> JSON:
        """Send a text; returns the event (to deliver it again)."""
        event = self.text(text, token=token)
        await self.post(event)
        return event

    async def sends_image(self, data: bytes) -> str:
        """Send a photo; returns its message id (its content is on the fake's data host)."""
        message_id = self.fake.add_content(data)
        await self.post(self.event("message", message=line_events.image_message(message_id)))
        return message_id

    async def sends_sticker(self) -> None:
        await self.post(self.event("message", message=line_events.sticker_message()))

    async def presses(self, label: str) -> None:
        """Press the quick reply button with this label under the last message received."""
        assert self.last is not None, "nothing received yet"
        [action] = [a for a in self.last.buttons if a["label"] == label]
        await self.post(self.event("postback", postback={"data": action["data"]}))

    async def receives(self, timeout: float = 5.0) -> Delivered:
        await self.fake.wait_until(
            lambda: len(self.fake.sent_to(self.user_id)) > self.seen, timeout
        )
        self.last = self.fake.sent_to(self.user_id)[self.seen]
        self.seen += 1
        return self.last

    async def receives_text(self) -> str:
        return (await self.receives()).text

    def assert_quiet(self) -> None:
        extra = self.fake.sent_to(self.user_id)[self.seen :]
        assert not extra, f"unexpected messages: {[d.text for d in extra]}"


@pytest.fixture(scope="session")
def bundled() -> Loaded:
    """The bundled knowledge base and its real matcher (built once: SudachiPy is slow to load)."""
    return KbHolder.from_path(None).current


@pytest.fixture
async def fake_line() -> AsyncIterator[FakeLine]:
    server = FakeLine()
    await server.start()
    yield server
    await server.stop()


@contextlib.asynccontextmanager
async def running_line(
    fake: FakeLine, bundled: Loaded, tmp_path: Path, timing: LineTiming
) -> AsyncIterator[Line]:
    """The channel wired as the app wires it, its webhook served on 127.0.0.1."""
    clock = RunningClock()
    config = Config.model_validate({"clinic": {"name": "テスト皮膚科"}})
    store = await Store.open(tmp_path / "faqbot.sqlite3")
    feed = StaffFeed(store, STAFF, config.clinic, clock)
    outbox = Outbox(store, clock, on_failed=feed.delivery_failed, retry_delays=(0.05,))
    conversation = Conversation(KbHolder(bundled), store, config, clock=clock, alerts=feed.alert)
    unfollowed: list[str] = []

    async def on_unfollow(user_id: str) -> None:
        unfollowed.append(user_id)

    channel = LineChannel(
        channel_secret=CHANNEL_SECRET,
        access_token=ACCESS_TOKEN,
        store=store,
        outbox=outbox,
        conversation=conversation,
        clock=clock,
        hosts=LineHosts(api=fake.api_url, data=fake.data_url),
        timing=timing,
        on_unfollow=on_unfollow,
    )
    app = web.Application()
    app.router.add_post("/line", channel.webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/line"
    await channel.start()
    try:
        yield Line(fake, channel, conversation, store, outbox, clock, url, unfollowed)
    finally:
        await runner.cleanup()
        await channel.stop()
        await store.close()


@pytest.fixture
async def line(fake_line: FakeLine, bundled: Loaded, tmp_path: Path) -> AsyncIterator[Line]:
    async with running_line(fake_line, bundled, tmp_path, FAST) as running:
        yield running


@pytest.fixture
async def paused_line(fake_line: FakeLine, bundled: Loaded, tmp_path: Path) -> AsyncIterator[Line]:
    """The channel storing events but not working on them until the test says so."""
    paused = replace(FAST, process_updates=False)
    async with running_line(fake_line, bundled, tmp_path, paused) as running:
        yield running
