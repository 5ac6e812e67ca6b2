"""LINE patients, Telegram staff: both channels in one app, each against its fake server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.channels import ChannelError
from bot.channels.line.channel import LineTiming
from bot.config import Config, LineConfig, TelegramConfig
from tests.bot.channels.conftest import FAST, NURSE, STAFF_CHAT, Reader, StaffMember
from tests.bot.channels.line.conftest import Line, LinePatient, RunningClock
from tests.fakes.line_api import FakeLine
from tests.fakes.line_events import ACCESS_TOKEN, CHANNEL_SECRET
from tests.fakes.telegram_api import TOKEN, FakeTelegram

PHOTO = b"\xff\xd8\xff\xe0 a photo of a rash \xff\xd9"
BOTH = replace(FAST, line=LineTiming(request_timeout=2.0, courier_interval=0.1))


@pytest.fixture
async def fake_line() -> AsyncIterator[FakeLine]:
    server = FakeLine()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def line(
    fake: FakeTelegram,
    fake_line: FakeLine,
    tmp_path: Path,
    kb_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Line]:
    """The app with LINE for patients and the Telegram staff group, from one config."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("FAQBOT_LINE_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("FAQBOT_LINE_ACCESS_TOKEN", ACCESS_TOKEN)
    config = Config.model_validate(
        {
            "faq": {"path": str(kb_file), "reload_check_seconds": 0, "matcher_process": False},
            "storage": {"path": str(tmp_path / "faqbot.sqlite3")},
            "clinic": {"name": "テスト皮膚科"},
            "telegram": {
                "base_url": fake.base_url,
                "base_file_url": fake.base_file_url,
                "staff_chat_id": STAFF_CHAT,
                "poll_timeout": 1,
            },
            "line": {
                "api_url": fake_line.api_url,
                "data_api_url": fake_line.data_url,
                "webhook": {"port": 0},
            },
        }
    )
    clock = RunningClock()
    async with await App.open(config, clock=clock, tuning=BOTH) as app:
        assert app.line is not None and app.line_webhook is not None
        url = f"http://127.0.0.1:{app.line_webhook.port}/line"
        yield Line(fake_line, app.line, app.conversation, app.store, app.outbox, clock, url)


def nurse(fake: FakeTelegram) -> StaffMember:
    fake.members[NURSE.id] = "member"
    return StaffMember(fake, NURSE)


async def escalated(line: Line, fake: FakeTelegram) -> tuple[LinePatient, Reader]:
    """A LINE patient whose question went to staff: ticket #1, its topic on Telegram."""
    alice = line.patient()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    room = Reader(fake, STAFF_CHAT)
    opening = await room.receives()
    assert (opening.text or "").startswith("📩 新しいチケット #1\n患者 #1（LINE）")
    return alice, room


async def test_a_staff_reply_in_the_telegram_topic_arrives_on_line(
    line: Line, fake: FakeTelegram
) -> None:
    alice, room = await escalated(line, fake)
    assert room.last is not None and room.last.thread_id is not None
    assert fake.topics[room.last.thread_id] == "患者 #1（LINE）"
    await nurse(fake).says("駐車場は2台分ございます。", topic=room.last)
    answer = await alice.receives()
    assert (answer.via, answer.text.split("\n")[-1]) == ("push", "駐車場は2台分ございます。")
    alice.assert_quiet()


async def test_an_image_during_an_open_ticket_reaches_the_staff_topic(
    line: Line, fake: FakeTelegram
) -> None:
    alice, room = await escalated(line, fake)
    assert room.last is not None
    topic = room.last.thread_id
    await alice.sends_image(PHOTO)
    await alice.receives()  # "added to your conversation with staff"
    photo = await room.receives()
    assert (photo.method, photo.thread_id) == ("sendPhoto", topic)
    assert photo.file is not None and fake.uploads[photo.file[1]] == PHOTO
    assert fake.calls_of("sendPhoto")[-1].content_type == "multipart/form-data"  # an upload


def line_only(fake_line: FakeLine, tmp_path: Path, kb_file: Path) -> Config:
    return Config.model_validate(
        {
            "faq": {"path": str(kb_file), "reload_check_seconds": 0, "matcher_process": False},
            "storage": {"path": str(tmp_path / "faqbot.sqlite3")},
            "line": {"api_url": fake_line.api_url, "webhook": {"port": 0}},
        }
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (
            "FAQBOT_LINE_CHANNEL_SECRET",
            "line.channel_secret_env: the environment variable FAQBOT_LINE_CHANNEL_SECRET"
            " is not set (it holds the channel secret)",
        ),
        (
            "FAQBOT_LINE_ACCESS_TOKEN",
            "line.access_token_env: the environment variable FAQBOT_LINE_ACCESS_TOKEN"
            " is not set (it holds the channel access token)",
        ),
    ],
    ids=["channel secret", "access token"],
)
async def test_a_missing_line_secret_is_one_error_naming_the_key(
    fake_line: FakeLine,
    tmp_path: Path,
    kb_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
    message: str,
) -> None:
    monkeypatch.setenv("FAQBOT_LINE_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("FAQBOT_LINE_ACCESS_TOKEN", ACCESS_TOKEN)
    monkeypatch.delenv(missing)
    with pytest.raises(ChannelError) as caught:
        await App.open(line_only(fake_line, tmp_path, kb_file))
    assert str(caught.value) == message


async def test_the_app_runs_with_line_alone(
    fake_line: FakeLine, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAQBOT_LINE_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("FAQBOT_LINE_ACCESS_TOKEN", ACCESS_TOKEN)
    config = line_only(fake_line, tmp_path, kb_file)
    clock = RunningClock()
    async with await App.open(config, clock=clock, tuning=BOTH) as app:
        assert app.telegram is None and app.line is not None and app.line_webhook is not None
        url = f"http://127.0.0.1:{app.line_webhook.port}/line"
        line = Line(fake_line, app.line, app.conversation, app.store, app.outbox, clock, url)
        alice = line.patient()
        await alice.says("お酒を飲んでもいいですか？")
        answer = await alice.receives()
    assert (answer.via, answer.text.startswith("服用中の飲酒は控えてください。")) == ("reply", True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_line_and_telegram_webhooks_on_one_address_share_one_server(
    fake: FakeTelegram,
    fake_line: FakeLine,
    tmp_path: Path,
    kb_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("FAQBOT_LINE_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setenv("FAQBOT_LINE_ACCESS_TOKEN", ACCESS_TOKEN)
    port = free_port()
    config = line_only(fake_line, tmp_path, kb_file).model_copy(
        update={
            "telegram": TelegramConfig.model_validate(
                {"base_url": fake.base_url, "mode": "webhook", "webhook": {"port": port}}
            ),
            "line": LineConfig.model_validate(
                {"api_url": fake_line.api_url, "webhook": {"port": port}}
            ),
        }
    )
    clock = RunningClock()
    async with await App.open(config, clock=clock, tuning=BOTH) as app:
        assert app.line is not None and app.line_webhook is None
        url = f"http://127.0.0.1:{port}/line"
        line = Line(fake_line, app.line, app.conversation, app.store, app.outbox, clock, url)
        alice = line.patient()
        await alice.says("お酒を飲んでもいいですか？")
        assert (await alice.receives()).via == "reply"
