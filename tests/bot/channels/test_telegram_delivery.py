"""Nothing lost, nothing twice: failures, redelivery, restarts, and the webhook's secret."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.app import App
from bot.channels.telegram.client import PATIENTS
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.clock import utc_now
from tests.bot.channels.conftest import (
    ADMIN,
    ALICE,
    FAST,
    NURSE,
    STAFF_CHAT,
    RunningClock,
    Telegram,
    telegram_config,
)
from tests.bot.conftest import agreed
from tests.fakes.telegram_api import TOKEN, FakeTelegram

STAFF_REPLY = "【テスト皮膚科より】\n2台分あります。"


async def open_ticket(tg: Telegram) -> object:
    """Alice asks what the bot cannot answer; return her topic's opening post."""
    alice, room = tg.patient(ALICE), tg.staff_room()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    return await room.receives()


async def test_a_429_and_a_500_during_a_relay_still_deliver_it_once(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    tg.fake.fail("sendMessage", kind="retry_after", retry_after=1)
    tg.fake.fail("sendMessage", kind="server_error")
    await nurse.says("2台分あります。", topic=topic)
    assert await alice.receives_text() == STAFF_REPLY
    alice.assert_quiet()
    attempts = [c for c in tg.fake.calls_of("sendMessage") if c.params["chat_id"] == str(ALICE.id)]
    assert len(attempts) == 4  # the escalation notice, then 429, 500 and the delivery


async def test_a_staff_reply_received_before_a_crash_is_relayed_after_the_restart(
    tg: Telegram,
) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    await tg.restart(process_updates=False)  # this one commits updates, then "dies"
    update_id = await nurse.says("2台分あります。", topic=topic)
    await tg.fake.wait_until(lambda: tg.fake.confirmed(update_id))  # committed, confirmed
    async with tg.app.store.transaction(write=False) as tx:
        assert (await tx.inbox.statuses("telegram"))[-1] == (str(update_id), "pending")
    await tg.restart()
    assert await alice.receives_text() == STAFF_REPLY
    alice.assert_quiet()


async def test_messages_a_crash_left_unsent_are_delivered_after_the_restart(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    tg.fake.fail("sendMessage", times=50, kind="server_error")  # Telegram is down for now
    await alice.says("お酒を飲んでもいいですか？")
    await tg.fake.wait_until(lambda: len(tg.fake.calls_of("sendMessage")) >= 3)
    await tg.restart()
    tg.fake.fail("sendMessage", times=0, kind="server_error")
    tg.fake._failures.clear()
    assert (await alice.receives_text()).startswith("服用中の飲酒は控えてください。")
    alice.assert_quiet()


async def test_a_group_without_topics_threads_tickets_by_replies(tg: Telegram) -> None:
    tg.fake.forum = False
    await tg.restart()
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    opening = await room.receives()
    assert (opening.thread_id, tg.fake.topics) == (None, {})
    await alice.says("何台ですか")
    assert await alice.receives_text() == "スタッフに伝えました。"
    follow_up = await room.receives()
    assert follow_up.reply_to == opening.message_id
    await nurse.says("2台分あります。", reply_to=follow_up)
    assert await alice.receives_text() == STAFF_REPLY


async def test_an_admin_reload_of_a_broken_knowledge_base_keeps_the_old_one(
    tg: Telegram,
) -> None:
    kb_file = tg.config.faq.path
    assert kb_file is not None
    kb_file.write_text(
        kb_file.read_text(encoding="utf-8").replace("related: [blood_donation]", "related: [x]"),
        encoding="utf-8",
    )
    admin, alice = tg.patient(ADMIN), tg.patient(ALICE)
    await admin.says("/reload")
    report = await admin.receives_text()
    assert report.startswith("❌ ナレッジベースに問題があるため、以前の内容のまま動いています:")
    assert "related: unknown entry id 'x'" in report
    await alice.says("お酒を飲んでもいいですか？")
    assert (await alice.receives_text()).startswith("服用中の飲酒は控えてください。")


async def test_a_non_admin_cannot_reload(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.says("/reload")
    assert await alice.receives_text() == "もう一度お書きください。"


async def test_a_ticket_left_waiting_is_reminded_once(tg: Telegram) -> None:
    from datetime import timedelta

    topic = await open_ticket(tg)
    room = tg.staff_room()
    room.seen = len(tg.fake.sent_to(STAFF_CHAT))
    tg.clock.skipped = timedelta(minutes=61)  # an hour of business hours later
    reminder = await room.receives()
    assert (reminder.text, reminder.thread_id) == (
        "⏰ 患者が返信を待っています（診療時間内で61分）。",
        topic.thread_id,  # type: ignore[attr-defined]
    )
    await asyncio.sleep(0.3)  # several reminder rounds
    room.assert_quiet()


@pytest.fixture
async def webhook_app(
    fake: FakeTelegram, tmp_path: object, kb_file: object, monkeypatch: pytest.MonkeyPatch
) -> object:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-token_1")
    config = telegram_config(
        fake,
        tmp_path,  # type: ignore[arg-type]
        kb_file,  # type: ignore[arg-type]
        mode="webhook",
        webhook={"port": 0, "path": "/tg", "url": "https://bot.example.jp/tg"},
    )
    app = await App.open(config, clock=RunningClock(), tuning=FAST)
    await app.start()
    yield app
    await app.stop()


async def test_the_webhook_refuses_requests_without_the_right_secret(
    webhook_app: App, fake: FakeTelegram
) -> None:
    assert fake.webhook is not None and fake.webhook["secret_token"] == "s3cret-token_1"
    assert webhook_app.telegram is not None
    server = webhook_app.telegram.webhook
    assert server is not None
    url = f"http://127.0.0.1:{server.port}/tg"
    update = fake.message_update(ALICE, ALICE.id, text="お酒を飲んでもいいですか？")
    update["update_id"] = 1
    uid = str(ALICE.id)
    await agreed(webhook_app.store, PATIENTS, uid, uid, utc_now())  # not under test
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        async with http.post(
            url, data=json.dumps(update), headers={SECRET_HEADER: "s3cret-token_1"}
        ) as response:
            assert response.status == 200
    await fake.wait_until(lambda: len(fake.sent_to(ALICE.id)) == 1)
    assert (fake.sent_to(ALICE.id)[0].text or "").startswith("服用中の飲酒は控えてください。")
    assert NURSE.id  # the staff side is the same as in polling mode
