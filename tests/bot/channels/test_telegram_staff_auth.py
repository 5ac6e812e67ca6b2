"""Only current human members of the staff group speak for the clinic; notes stay internal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.telegram.membership import (
    ANONYMOUS,
    CHECK_FAILED,
    FORWARDED,
    NOT_A_MEMBER,
    VIA_BOT,
)
from bot.config import SafetyConfig
from bot.records import Author
from tests.bot.channels.conftest import (
    ADMIN,
    ALICE,
    BOB,
    NURSE,
    STAFF_CHAT,
    Patient,
    Reader,
    Telegram,
    running_telegram,
    telegram_config,
)
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent
from tests.fakes.telegram_updates import DATE, JSON, User

STRANGER = User(800, "部外者")
OTHER_BOT = User(555, "OtherBot", is_bot=True)
CHANNEL = {"id": -1007770, "type": "channel", "title": "お知らせ"}
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel"}
TELEGRAM_SERVICE = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
WORDS = "駐車場は3台分あります。"
CLOSED = (
    "チケット #1 は終了しているため、患者には送っていません。/reopen で再開してから送ってください。"
)


@contextlib.asynccontextmanager
async def running(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, **telegram: object
) -> AsyncIterator[Telegram]:
    """The bot in polling mode; patients have nothing to consent to (not what is tested)."""
    config = telegram_config(fake, tmp_path, kb_file, **telegram)
    config = config.model_copy(update={"safety": SafetyConfig(consent=False)})
    async with running_telegram(fake, config) as bot:
        yield bot


@pytest.fixture
async def tg(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Telegram]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with running(fake, tmp_path, kb_file) as bot:
        yield bot


@pytest.fixture
async def uncached(
    fake: FakeTelegram, tmp_path: Path, kb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Telegram]:
    """The bot asking Telegram about membership for every staff message."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    async with running(fake, tmp_path, kb_file, staff_member_cache_seconds=0) as bot:
        yield bot


async def escalated(tg: Telegram) -> tuple[Patient, Reader, Sent]:
    """Alice is handed to staff: her patient chat, the staff room, and her topic's opening."""
    alice, room = tg.patient(ALICE), tg.staff_room()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    return alice, room, await room.receives()


async def processed(tg: Telegram, update_id: int) -> None:
    """Wait until the bot has worked on the update (for updates it answers with silence)."""

    async def done() -> bool:
        async with tg.app.store.transaction(write=False) as tx:
            statuses = dict(await tx.inbox.statuses("telegram"))
        return statuses.get(str(update_id), "pending") != "pending"

    async with asyncio.timeout(5):
        while not await done():
            await asyncio.sleep(0.02)


async def staff_words(tg: Telegram) -> list[str]:
    async with tg.app.store.transaction(write=False) as tx:
        return [m.text for m in await tx.tickets.messages(1) if m.author is Author.STAFF]


async def in_topic(tg: Telegram, user: User, topic: Sent, text: str, **extra: object) -> int:
    """Push a message in the topic as `user`, with `extra` fields of the Message set."""
    update = tg.fake.message_update(user, STAFF_CHAT, text=text, thread_id=topic.thread_id)
    update["message"].update(extra)
    return await tg.fake.push(update)


async def test_a_non_member_is_refused_in_the_topic_and_nothing_reaches_the_patient(
    tg: Telegram, caplog: pytest.LogCaptureFixture
) -> None:
    alice, room, topic = await escalated(tg)
    await in_topic(tg, STRANGER, topic, WORDS)
    assert await room.receives_text() == NOT_A_MEMBER
    alice.assert_quiet()
    assert await staff_words(tg) == []
    assert "from user 800 refused: not a member" in caplog.text
    assert WORDS not in caplog.text


async def test_a_non_members_command_is_not_run(tg: Telegram) -> None:
    alice, room, topic = await escalated(tg)
    await in_topic(tg, STRANGER, topic, "/close")
    assert await room.receives_text() == NOT_A_MEMBER
    alice.assert_quiet()
    async with tg.app.store.transaction(write=False) as tx:
        ticket = await tx.tickets.get(1)
    assert ticket is not None and ticket.active


def forwarded_by_a_member() -> JSON:
    return {"forward_origin": {"type": "hidden_user", "sender_user_name": "誰か", "date": DATE}}


REFUSALS = [
    pytest.param(
        {"from": ANONYMOUS_ADMIN, "sender_chat": {"id": STAFF_CHAT, "type": "supergroup"}},
        ANONYMOUS[1],
        id="anonymous admin",
    ),
    pytest.param({"from": CHANNEL_BOT, "sender_chat": CHANNEL}, ANONYMOUS[1], id="as a channel"),
    pytest.param(
        {
            "from": TELEGRAM_SERVICE,
            "sender_chat": CHANNEL,
            "is_automatic_forward": True,
            "forward_origin": {"type": "channel", "chat": CHANNEL, "message_id": 5, "date": DATE},
        },
        None,
        id="automatic forward",
    ),
    pytest.param(forwarded_by_a_member(), FORWARDED[1], id="forwarded"),
    pytest.param(
        {"via_bot": {"id": 999, "is_bot": True, "first_name": "gif"}}, VIA_BOT[1], id="via a bot"
    ),
    pytest.param({"from": OTHER_BOT.json()}, None, id="another bot"),
]


@pytest.mark.parametrize(("fields", "told"), REFUSALS)
async def test_messages_not_written_by_a_member_themselves_are_refused(
    tg: Telegram, fields: JSON, told: str | None
) -> None:
    alice, room, topic = await escalated(tg)
    tg.staff()  # the nurse (sender of the forward and the inline bot's message) is a member
    tg.fake.members[OTHER_BOT.id] = "member"
    update_id = await in_topic(tg, NURSE, topic, WORDS, **fields)
    if told is not None:
        assert await room.receives_text() == told
    await processed(tg, update_id)
    room.assert_quiet()
    alice.assert_quiet()
    assert await staff_words(tg) == []


@pytest.mark.parametrize("how", ["left_chat_member", "chat_member"])
async def test_a_member_removed_from_the_group_loses_access_at_once(tg: Telegram, how: str) -> None:
    alice, room, topic = await escalated(tg)
    nurse = tg.staff()
    await nurse.says("確認します。", topic=topic)
    await alice.receives()  # relayed: the membership is now cached
    if how == "chat_member":
        await tg.fake.push(tg.fake.member_update(NURSE, "kicked"))
    else:
        tg.fake.members[NURSE.id] = "left"
        service = tg.fake.message_update(ADMIN, STAFF_CHAT)
        service["message"]["left_chat_member"] = NURSE.json()
        await tg.fake.push(service)
    await nurse.says(WORDS, topic=topic)
    assert await room.receives_text() == NOT_A_MEMBER
    alice.assert_quiet()
    assert await staff_words(tg) == ["確認します。"]


async def test_the_bot_asks_telegram_for_chat_member_updates(tg: Telegram) -> None:
    await tg.fake.wait_until(lambda: bool(tg.fake.calls_of("getUpdates")))
    asked = json.loads(tg.fake.calls_of("getUpdates")[0].params["allowed_updates"])
    assert "chat_member" in asked


async def test_membership_is_asked_once_then_cached(tg: Telegram) -> None:
    alice, _, topic = await escalated(tg)
    nurse = tg.staff()
    await nurse.says("確認します。", topic=topic)
    await nurse.says(WORDS, topic=topic)
    assert [await alice.receives_text() for _ in range(2)] == [
        "【テスト皮膚科より】\n確認します。",
        f"【テスト皮膚科より】\n{WORDS}",
    ]
    assert len(asked_about(tg, NURSE)) == 1


@pytest.mark.parametrize(
    ("status", "out", "relayed"),
    [
        ("creator", False, True),
        ("administrator", False, True),
        ("restricted", False, True),
        ("restricted", True, False),
        ("left", False, False),
        ("kicked", False, False),
    ],
    ids=["creator", "admin", "restricted member", "restricted, gone", "left", "kicked"],
)
async def test_who_counts_as_a_member(tg: Telegram, status: str, out: bool, relayed: bool) -> None:
    alice, room, topic = await escalated(tg)
    tg.fake.members[NURSE.id] = status
    if out:
        tg.fake.restricted_out.add(NURSE.id)
    await in_topic(tg, NURSE, topic, WORDS)
    if relayed:
        assert await alice.receives_text() == f"【テスト皮膚科より】\n{WORDS}"
    else:
        assert await room.receives_text() == NOT_A_MEMBER
        alice.assert_quiet()


async def test_a_failed_check_refuses_and_the_next_message_is_checked_again(
    tg: Telegram,
) -> None:
    alice, room, topic = await escalated(tg)
    nurse = tg.staff()
    tg.fake.fail("getChatMember", kind="server_error")
    await nurse.says("確認します。", topic=topic)
    assert await room.receives_text() == CHECK_FAILED
    await nurse.says(WORDS, topic=topic)
    assert await alice.receives_text() == f"【テスト皮膚科より】\n{WORDS}"
    assert await staff_words(tg) == [WORDS]


async def test_without_the_cache_a_silent_removal_ends_access_too(uncached: Telegram) -> None:
    alice, room, topic = await escalated(uncached)
    nurse = uncached.staff()
    await nurse.says("確認します。", topic=topic)
    await alice.receives()
    uncached.fake.members[NURSE.id] = "left"  # removed, and no update told the bot
    await nurse.says(WORDS, topic=topic)
    assert await room.receives_text() == NOT_A_MEMBER
    alice.assert_quiet()


async def test_a_note_never_reaches_the_patient(tg: Telegram) -> None:
    alice, room, topic = await escalated(tg)
    nurse = tg.staff()
    await nurse.says("/note 皮膚科の佐藤先生に確認中", topic=topic)
    assert await room.receives_text() == "📝 メモを記録しました（患者には送られません）。"
    await nurse.says(WORDS, topic=topic)
    assert await alice.receives_text() == f"【テスト皮膚科より】\n{WORDS}"
    alice.assert_quiet()
    assert not [s for s in tg.fake.sent if "佐藤先生" in (s.text or "")]


async def test_a_relay_to_a_closed_ticket_is_refused_until_reopened(tg: Telegram) -> None:
    alice, room, topic = await escalated(tg)
    nurse = tg.staff()
    await nurse.says("/close", topic=topic)
    assert await alice.receives_text() == "お問い合わせを終了しました。"
    await room.receives()
    await nurse.says(WORDS, topic=topic)
    assert await room.receives_text() == CLOSED
    await nurse.says("/faq alcohol", topic=topic)
    assert await room.receives_text() == f"⚠️ {CLOSED}"
    alice.assert_quiet()
    await nurse.says("/reopen", topic=topic)
    await room.receives()
    await nurse.says(WORDS, topic=topic)
    assert await alice.receives_text() == f"【テスト皮膚科より】\n{WORDS}"


async def test_refusals_are_logged_as_warnings_without_the_text(
    tg: Telegram, caplog: pytest.LogCaptureFixture
) -> None:
    _, room, topic = await escalated(tg)
    caplog.set_level(logging.WARNING)
    await in_topic(tg, NURSE, topic, WORDS, **forwarded_by_a_member())
    await room.receives()
    [record] = [r for r in caplog.records if "refused" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("from user 700 refused: forwarded")
    assert WORDS not in caplog.text


async def test_a_slow_membership_check_does_not_hold_the_store(tg: Telegram) -> None:
    """Telegram answers getChatMember slowly: meanwhile other updates are still stored and
    confirmed (the question is asked before the inbox's transaction, not inside it)."""
    alice, _, topic = await escalated(tg)
    bob = tg.patient(BOB)
    await bob.says("献血はできますか？")  # agreed to the notice, answered: nothing pending
    await bob.receives()
    tg.fake.delays["getChatMember"] = 1.5  # within the tests' request timeout (2 s)
    await tg.staff().says(WORDS, topic=topic)
    await tg.fake.wait_until(lambda: bool(asked_about(tg, NURSE)))
    bob_update = await bob.says("お酒を飲んでもいいですか？")  # while Telegram is thinking
    await tg.fake.wait_until(lambda: tg.fake.confirmed(bob_update), timeout=0.75)
    assert await alice.receives_text() == f"【テスト皮膚科より】\n{WORDS}"


def asked_about(tg: Telegram, user: User) -> list[object]:
    return [c for c in tg.fake.calls_of("getChatMember") if c.params["user_id"] == str(user.id)]


async def test_without_the_cache_each_message_is_asked_about_once(uncached: Telegram) -> None:
    alice, _, topic = await escalated(uncached)
    nurse = uncached.staff()
    await nurse.says("確認します。", topic=topic)
    assert await alice.receives_text() == "【テスト皮膚科より】\n確認します。"
    await nurse.says(WORDS, topic=topic)
    assert await alice.receives_text() == f"【テスト皮膚科より】\n{WORDS}"
    assert len(asked_about(uncached, NURSE)) == 2  # not asked again inside the transaction
