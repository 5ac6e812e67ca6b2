"""The Telegram channel end to end: the real app and PTB's real HTTP stack against the fake API.

Tests read as chats: a patient `says` something and `receives` the bot's answer; staff
`say` things in the patient's topic; the staff room `receives` what the bot posts there.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, Tuning
from bot.channels.telegram.channel import Timing
from bot.channels.telegram.client import PATIENTS
from bot.config import Config
from tests.bot.conftest import JST, agreed
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent
from tests.fakes.telegram_updates import User

STAFF_CHAT = -1001000
NURSE = User(700, "佐藤")
ADMIN = User(900, "管理者")
ALICE = User(501, "Alice")
BOB = User(502, "Bob")
FAST = Tuning(
    telegram=Timing(
        request_timeout=2.0,
        send_retry_delays=(0.05, 0.1),
        courier_interval=0.1,
        poll_retry_delay=0.05,
    ),
    outbox_retry_delays=(0.2,),
    reminder_interval=0.1,
)


class RunningClock:
    """Wednesday 2026-11-25 10:00 in Tokyo (business hours) at the start, then real time."""

    def __init__(self) -> None:
        self._start = datetime(2026, 11, 25, 10, 0, tzinfo=JST)
        self._t0 = time.monotonic()
        self.skipped = timedelta()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0) + self.skipped


class Reader:
    """Reads, in order, what the bot sent to one chat."""

    def __init__(self, fake: FakeTelegram, chat_id: int) -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.seen = 0
        self.last: Sent | None = None

    async def receives(self, timeout: float = 5.0) -> Sent:
        await self.fake.wait_until(
            lambda: len(self.fake.sent_to(self.chat_id)) > self.seen, timeout
        )
        self.last = self.fake.sent_to(self.chat_id)[self.seen]
        self.seen += 1
        return self.last

    async def receives_text(self) -> str:
        sent = await self.receives()
        return sent.text or ""

    def assert_quiet(self) -> None:
        extra = self.fake.sent_to(self.chat_id)[self.seen :]
        assert not extra, f"unexpected messages: {[s.text for s in extra]}"


class Patient(Reader):
    """A patient in a private chat with the bot; `agree` (if given) records their consent
    before their first message, as if they had pressed the button earlier."""

    def __init__(
        self, fake: FakeTelegram, user: User, agree: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(fake, user.id)
        self.user = user
        self._agree = agree

    async def _agreed(self) -> None:
        if self._agree is not None:
            agree, self._agree = self._agree, None
            await agree()

    async def says(self, text: str) -> int:
        await self._agreed()
        return await self.fake.push(self.fake.message_update(self.user, self.user.id, text=text))

    async def sends(self, kind: str, file_id: str, caption: str | None = None) -> int:
        await self._agreed()
        update = self.fake.message_update(
            self.user, self.user.id, file=(kind, file_id), caption=caption
        )
        return await self.fake.push(update)

    async def presses(self, label: str) -> None:
        """Press the button with this label under the last message received."""
        assert self.last is not None, "nothing received yet"
        [data] = [data for text, data in self.last.buttons if text == label]
        await self._agreed()
        await self.fake.push(self.fake.callback_update(self.user, self.last, data))


class StaffMember:
    """A member of the staff group, writing in a patient's topic (or replying to a post)."""

    def __init__(self, fake: FakeTelegram, user: User) -> None:
        self.fake = fake
        self.user = user

    async def says(
        self, text: str, *, topic: Sent | None = None, reply_to: Sent | None = None
    ) -> int:
        thread = topic.thread_id if topic is not None else None
        update = self.fake.message_update(
            self.user, STAFF_CHAT, text=text, thread_id=thread, reply_to=reply_to
        )
        return await self.fake.push(update)

    async def sends(
        self, kind: str, file_id: str, *, topic: Sent, caption: str | None = None
    ) -> int:
        update = self.fake.message_update(
            self.user, STAFF_CHAT, file=(kind, file_id), caption=caption, thread_id=topic.thread_id
        )
        return await self.fake.push(update)


@dataclass
class Telegram:
    """The running bot with its fake Telegram, and the people in the tests."""

    fake: FakeTelegram
    app: App
    config: Config
    clock: RunningClock
    restart: Callable[..., Awaitable[App]]

    def patient(self, user: User, *, consented: bool = True) -> Patient:
        """A patient; by default one who has agreed to what is stored."""

        async def agree() -> None:
            uid = str(user.id)
            await agreed(self.app.store, PATIENTS, uid, uid, self.clock())

        return Patient(self.fake, user, agree if consented else None)

    def staff(self, user: User = NURSE) -> StaffMember:
        self.fake.members[user.id] = "member"
        return StaffMember(self.fake, user)

    def staff_room(self) -> Reader:
        return Reader(self.fake, STAFF_CHAT)


def telegram_config(
    fake: FakeTelegram,
    tmp_path: Path,
    kb_file: Path,
    *,
    matcher_process: bool = False,  # a worker process per test costs seconds; few need it
    **telegram: object,
) -> Config:
    return Config.model_validate(
        {
            "faq": {
                "path": str(kb_file),
                "reload_check_seconds": 0,
                "matcher_process": matcher_process,
            },
            "storage": {"path": str(tmp_path / "faqbot.sqlite3")},
            "clinic": {"name": "テスト皮膚科"},
            "telegram": {
                "base_url": fake.base_url,
                "base_file_url": fake.base_file_url,
                "staff_chat_id": STAFF_CHAT,
                "admin_ids": [ADMIN.id],
                "poll_timeout": 1,
                **telegram,
            },
        }
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(staff_chat_id=STAFF_CHAT)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def tg(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Telegram]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with running_telegram(fake, telegram_config(fake, tmp_path, kb_file)) as harness:
        yield harness


@pytest.fixture
async def tg_with_worker(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Telegram]:
    """As `tg`, with the matcher in its worker process as in production."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    config = telegram_config(fake, tmp_path, kb_file, matcher_process=True)
    async with running_telegram(fake, config) as harness:
        yield harness


@asynccontextmanager
async def running_telegram(fake: FakeTelegram, config: Config) -> AsyncIterator[Telegram]:
    """The app against `fake`, restartable on the same database (`harness.start()`)."""
    clock = RunningClock()
    running: list[App] = []

    async def start(*, process_updates: bool = True) -> App:
        """Start the bot (again) on the same database, as after a restart."""
        for old in running:
            await old.stop()
        running.clear()
        tuning = replace(FAST, telegram=replace(FAST.telegram, process_updates=process_updates))
        app = await App.open(config, clock=clock, tuning=tuning)
        await app.start()
        running.append(app)
        harness.app = app
        return app

    harness = Telegram(fake, None, config, clock, start)  # type: ignore[arg-type]
    await start()
    yield harness
    for app in running:
        await app.stop()
