"""A database that cannot be written: Telegram's update is refused, admins are told, and the
update Telegram sends again once the database works is stored and answered once.

Another connection holding SQLite's write lock (as a stuck `faqbot tickets` would) makes
the bot's commits fail with "database is locked" once its busy timeout passes; chmod
would not do here, as the tests may run as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.config import Config, SafetyConfig
from bot.store import Store
from bot.store_alarm import StoreAlarm
from tests.bot.channels.conftest import (
    ADMIN,
    ALICE,
    FAST,
    STAFF_CHAT,
    Patient,
    RunningClock,
    telegram_config,
)
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.telegram_updates import JSON

QUESTION = "お酒を飲んでもいいですか？"
ANSWER = "服用中の飲酒は控えてください。"
ALERT = "⚠️ データベースに書き込めません（database is locked）"
SECRET = "webhook-secret-0123456789"
# Loops that write to the database seldom when idle: each waits out the lock, one at a time.
CALM = replace(FAST, reminder_interval=60.0, telegram=replace(FAST.telegram, courier_interval=2.0))


@contextlib.asynccontextmanager
async def locked(database: Path) -> AsyncIterator[None]:
    """Another process holds the database's write lock until the block ends."""
    holder = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    await asyncio.to_thread(holder.execute, "BEGIN EXCLUSIVE")  # waits out a bot's commit
    try:
        yield
    finally:
        await asyncio.to_thread(holder.execute, "ROLLBACK")
        holder.close()


async def settled(store: Store) -> None:
    """Let the bot's loops start (a courier finding the database locked as it starts stops)."""
    for _ in range(3):
        await asyncio.sleep(0)
    async with store.transaction():  # after theirs: the store's lock is first come first served
        pass


@dataclass
class Bot:
    fake: FakeTelegram
    app: App
    database: Path
    webhook_url: str

    async def stored(self) -> list[tuple[str, str]]:
        async with self.app.store.transaction(write=False) as tx:
            return await tx.inbox.statuses("telegram")

    async def deliver(self, update: JSON) -> int:
        """Post the update as Telegram does; its status code."""
        headers = {SECRET_HEADER: SECRET}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.webhook_url, json=update, headers=headers) as response,
        ):
            return response.status

    async def processed(self, update_id: int) -> None:
        async with asyncio.timeout(5):
            while dict(await self.stored()).get(str(update_id), "pending") == "pending":
                await asyncio.sleep(0.02)


def config_for(fake: FakeTelegram, tmp_path: Path, kb_file: Path, **telegram: object) -> Config:
    config = telegram_config(fake, tmp_path, kb_file, **telegram)
    return config.model_copy(update={"safety": SafetyConfig(consent=False)})


@contextlib.asynccontextmanager
async def running(config: Config) -> AsyncIterator[App]:
    app = await App.open(config, clock=RunningClock(), tuning=CALM)
    await app.start()
    await settled(app.store)
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def hooked(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    """The bot in webhook mode on a free local port."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    hook = {"listen": "127.0.0.1", "port": 0, "path": "/telegram"}
    config = config_for(fake, tmp_path, kb_file, mode="webhook", webhook=hook)
    async with running(config) as app:
        assert app.telegram is not None and app.telegram.webhook is not None
        url = f"http://127.0.0.1:{app.telegram.webhook.port}/telegram"
        yield Bot(fake, app, config.storage.path, url)


@pytest.fixture
async def polling(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    config = config_for(fake, tmp_path, kb_file)
    async with running(config) as app:
        yield Bot(fake, app, config.storage.path, "")


def question(fake: FakeTelegram, update_id: int) -> JSON:
    return {"update_id": update_id, **fake.message_update(ALICE, ALICE.id, text=QUESTION)}


async def test_the_webhook_answers_503_until_stored_then_the_retry_is_answered_once(
    hooked: Bot,
) -> None:
    alice = Patient(hooked.fake, ALICE)
    update = question(hooked.fake, 5001)
    async with locked(hooked.database):
        assert await hooked.deliver(update) == 503
        assert await hooked.stored() == []  # reading still works; nothing was kept
    assert await hooked.deliver(update) == 200  # Telegram's retry
    assert (await alice.receives_text()).startswith(ANSWER)
    assert await hooked.deliver(update) == 200  # and once more: already stored
    await hooked.processed(5001)
    assert await hooked.stored() == [("5001", "done")]
    alice.assert_quiet()


async def test_admins_and_the_staff_room_are_alerted_once_and_the_log_keeps_no_text(
    hooked: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    async with locked(hooked.database):
        updates = [question(hooked.fake, 5001), question(hooked.fake, 5002)]
        statuses = await asyncio.gather(*(hooked.deliver(update) for update in updates))
        assert statuses == [503, 503]
    fake = hooked.fake
    await fake.wait_until(lambda: bool(fake.sent_to(ADMIN.id) and fake.sent_to(STAFF_CHAT)))
    alerts = [(s.chat_id, (s.text or "")[: len(ALERT)]) for s in fake.sent]
    assert alerts == [(ADMIN.id, ALERT), (STAFF_CHAT, ALERT)]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors.count("telegram webhook: update not stored, asked for a retry: "
                        "database is locked") == 2  # fmt: skip
    assert QUESTION not in caplog.text


async def test_polling_confirms_nothing_unstored_and_keeps_trying(polling: Bot) -> None:
    fake, alice = polling.fake, Patient(polling.fake, ALICE)
    async with locked(polling.database):
        update_id = await alice.says(QUESTION)
        await fake.wait_until(lambda: bool(fake.sent_to(ADMIN.id)), timeout=30)
        assert not fake.confirmed(update_id)
    assert ((await alice.receives(timeout=30)).text or "").startswith(ANSWER)
    await fake.wait_until(lambda: fake.confirmed(update_id))
    assert polling.app.telegram is not None
    assert not [task for task in polling.app.telegram.tasks if task.done()]  # still polling
    await polling.processed(update_id)
    alice.assert_quiet()


class Clock:
    """Seconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_alarm_alerts_at_most_once_per_interval() -> None:
    told: list[str] = []

    async def send(text: str) -> None:
        told.append(text)

    clock = Clock()
    alarm = StoreAlarm(every=600, now=clock)
    alarm.senders.append(send)
    for seconds in (0, 10, 599, 600, 601):
        clock.now = seconds
        alarm.failed("test", sqlite3.OperationalError("database or disk is full"))
    await asyncio.sleep(0)  # the alerts go out in the background
    await alarm.close()
    assert len(told) == 2
    assert told[0].startswith("⚠️ データベースに書き込めません（database or disk is full）")
