"""The fake Bot API server speaks well enough for python-telegram-bot's real client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from tests.fakes.telegram_api import BOT, TOKEN, FakeTelegram
from tests.fakes.telegram_updates import User

STAFF = -100777
ALICE = User(501, "Alice")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(staff_chat_id=STAFF)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    client = Bot(
        TOKEN,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=HTTPXRequest(read_timeout=0.5),
    )
    async with client:  # initialize() calls getMe
        yield client


async def test_the_bot_learns_who_it_is(bot: Bot, fake: FakeTelegram) -> None:
    assert (bot.id, bot.username) == (BOT.id, "clinic_faq_bot")
    assert [call.method for call in fake.calls] == ["getMe"]


async def test_sent_messages_are_recorded_with_their_buttons(bot: Bot, fake: FakeTelegram) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("はい", callback_data="yes")]])
    message = await bot.send_message(ALICE.id, "こんにちは", reply_markup=markup)
    [sent] = fake.sent_to(ALICE.id)
    assert (sent.text, sent.buttons, sent.message_id) == ("こんにちは", [("はい", "yes")], 1)
    assert message.message_id == 1


async def test_updates_stay_until_a_later_offset_confirms_them(
    bot: Bot, fake: FakeTelegram
) -> None:
    first = await fake.push(fake.message_update(ALICE, ALICE.id, text="one"))
    await fake.push(fake.message_update(ALICE, ALICE.id, text="two"))
    assert [u.message.text for u in await bot.get_updates(timeout=0) if u.message] == [
        "one",
        "two",
    ]
    assert [u.update_id for u in await bot.get_updates(offset=first + 1, timeout=0)] == [first + 1]
    assert fake.confirmed(first) and not fake.confirmed(first + 1)


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(
    bot: Bot, fake: FakeTelegram
) -> None:
    import asyncio

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await fake.push(fake.message_update(ALICE, ALICE.id, text="hi"))
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates if u.message] == ["hi"]


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("retry_after", RetryAfter),
        ("server_error", NetworkError),
        ("forbidden", Forbidden),
        ("timeout", TimedOut),
    ],
    ids=["429", "500", "403", "timeout"],
)
async def test_injected_failures_reach_the_client_as_telegram_errors(
    bot: Bot, fake: FakeTelegram, kind: str, error: type[Exception]
) -> None:
    fake.fail("sendMessage", kind=kind, delay=1.0)  # type: ignore[arg-type]
    with pytest.raises(error):
        await bot.send_message(ALICE.id, "x")
    await bot.send_message(ALICE.id, "y")  # only the next call fails
    assert [s.text for s in fake.sent_to(ALICE.id)] == ["y"]


async def test_forum_topics_and_files(bot: Bot, fake: FakeTelegram) -> None:
    topic = await bot.create_forum_topic(STAFF, "患者 #1")
    await bot.send_photo(
        STAFF, "photo-1", caption="写真", message_thread_id=topic.message_thread_id
    )
    [sent] = fake.sent_to(STAFF)
    assert (sent.thread_id, sent.file, sent.text) == (
        topic.message_thread_id,
        ("photo", "photo-1"),
        "写真",
    )
    fake.files["files/doc-1"] = b"%PDF"
    file = await bot.get_file("doc-1")
    assert bytes(await file.download_as_bytearray()) == b"%PDF"
