"""Staff in the forum group: topics per patient, relays both ways, commands, urgent tickets."""

from __future__ import annotations

import pytest

from bot.records import Author
from tests.bot.channels.conftest import ALICE, BOB, STAFF_CHAT, Telegram

STAFF_REPLY = "【テスト皮膚科より】\n2台分あります。"


async def test_escalation_opens_a_topic_and_a_staff_reply_reaches_the_patient(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    assert (await alice.receives_text()).startswith("担当スタッフが本日18:00までに")
    opening = await room.receives()
    assert list(tg.fake.topics.values()) == ["患者 #1"]
    assert opening.thread_id in tg.fake.topics
    assert opening.text is not None
    assert opening.text.startswith(
        "📩 新しいチケット #1\n患者 #1（Telegram） · 理由: ナレッジベースに該当なし"
    )
    assert "質問: 駐車場はありますか？" in opening.text
    assert "候補:" in opening.text  # the matcher's guesses with scores
    await nurse.says("2台分あります。", topic=opening)
    assert await alice.receives_text() == STAFF_REPLY
    room.assert_quiet()


async def test_the_patients_follow_ups_join_the_topic_and_the_bot_stays_out(tg: Telegram) -> None:
    alice, room = tg.patient(ALICE), tg.staff_room()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    opening = await room.receives()
    await alice.says("お酒を飲んでもいいですか？")  # an FAQ, but the patient is with staff
    assert await alice.receives_text() == "スタッフに伝えました。"
    follow_up = await room.receives()
    assert (follow_up.text, follow_up.thread_id) == (
        "💬 患者:\nお酒を飲んでもいいですか？",
        opening.thread_id,
    )


async def test_a_second_patient_gets_a_second_topic_and_a_returning_one_the_same(
    tg: Telegram,
) -> None:
    alice, bob, room, nurse = tg.patient(ALICE), tg.patient(BOB), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    alice_topic = await room.receives()
    await bob.says("駐車場はありますか？")
    bob_topic = await room.receives()
    assert alice_topic.thread_id != bob_topic.thread_id
    await nurse.says("/close", topic=alice_topic)
    await alice.says("スタッフと話したい")  # a new ticket for Alice: her topic again
    # the close's confirmation and the new ticket go out in either order (two tickets' queues)
    later = [await room.receives() for _ in range(2)]
    opening = [sent for sent in later if (sent.text or "").startswith("📩 新しいチケット #3")]
    assert len(opening) == 1
    assert opening[0].thread_id == alice_topic.thread_id
    assert len(tg.fake.topics) == 2


async def test_a_photo_is_relayed_both_ways(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    await alice.sends("photo", "skin-photo", caption="右頬です")
    assert await alice.receives_text() == "スタッフに伝えました。"
    relayed = await room.receives()
    assert (relayed.method, relayed.file, relayed.thread_id) == (
        "sendPhoto",
        ("photo", "skin-photo"),
        topic.thread_id,
    )
    assert relayed.text == "💬 患者:\n右頬です"
    await nurse.sends("photo", "sample-photo", topic=topic, caption="このような状態ですか？")
    back = await alice.receives()
    assert (back.method, back.file, back.text) == (
        "sendPhoto",
        ("photo", "sample-photo"),
        "【テスト皮膚科より】\nこのような状態ですか？",
    )


async def test_an_urgent_report_is_marked_loudly_and_pinned(tg: Telegram) -> None:
    alice, room = tg.patient(ALICE), tg.staff_room()
    await alice.says("胸が痛いです")
    assert await alice.receives_text() == "胸の痛みがある場合はすぐに119番に電話してください。"
    alert = await room.receives()
    assert alert.text is not None and alert.text.startswith("🚨【緊急】チケット #1")
    await tg.fake.wait_until(lambda: tg.fake.pinned == [(STAFF_CHAT, alert.message_id)])


async def test_notes_stay_with_staff_and_close_hands_the_patient_back(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    await nurse.says("/note 駐車場の件、受付に確認中", topic=topic)
    assert await room.receives_text() == "📝 メモを記録しました（患者には送られません）。"
    await nurse.says("/close", topic=topic)
    assert await alice.receives_text() == "お問い合わせを終了しました。"
    assert await room.receives_text() == "✅ チケット #1 を終了しました。患者に伝えました。"
    await alice.says("お酒を飲んでもいいですか？")  # the bot answers again
    assert (await alice.receives_text()).startswith("服用中の飲酒は控えてください。")
    alice.assert_quiet()
    async with tg.app.store.transaction(write=False) as tx:
        thread = await tx.tickets.messages(1)
    assert [(m.author, m.text) for m in thread if m.staff_name == "佐藤"] == [
        (Author.NOTE, "駐車場の件、受付に確認中")
    ]


async def test_pending_lists_open_tickets_and_reopen_undoes_a_close(tg: Telegram) -> None:
    alice, bob, room, nurse = tg.patient(ALICE), tg.patient(BOB), tg.staff_room(), tg.staff()
    await alice.says("胸が痛いです")
    alice_topic = await room.receives()
    await bob.says("駐車場はありますか？")
    await room.receives()
    await nurse.says("/pending")
    listing = await room.receives_text()
    assert listing.splitlines()[0] == "対応中のチケット: 2件"
    assert listing.splitlines()[1].startswith("🚨 #1 患者 #1 · 未返信 · 0分前")
    await nurse.says("/close", topic=alice_topic)
    await room.receives()
    await nurse.says("/reopen", topic=alice_topic)
    assert await room.receives_text() == "↩️ チケット #1 を再開しました。"


async def test_faq_sends_an_answer_and_learn_keeps_the_question_for_admins(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("ビール飲めますか")
    await alice.receives()
    topic = await room.receives()
    await nurse.says("/faq alcohol", topic=topic)
    assert await alice.receives_text() == (
        "【テスト皮膚科より】\n服用中の飲酒は控えてください。\n\n※一般的な情報です。"
    )
    assert await room.receives_text() == "📤 FAQ「お酒を飲んでもいいですか？」の回答を送りました。"
    await nurse.says("/learn alcohol", topic=topic)
    assert (await room.receives_text()).startswith("📚 「ビール飲めますか」を FAQ「alcohol」")
    async with tg.app.store.transaction(write=False) as tx:
        [proposal] = await tx.staff.proposals()
    assert (proposal.faq_id, proposal.text, proposal.status) == (
        "alcohol",
        "ビール飲めますか",
        "proposed",
    )


async def test_a_patient_who_blocked_the_bot_is_reported_in_the_topic(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    tg.fake.blocked.add(ALICE.id)
    await nurse.says("2台分あります。", topic=topic)
    report = await room.receives_text()
    assert report.startswith("⚠️ 患者にメッセージを届けられませんでした")
    async with tg.app.store.transaction(write=False) as tx:
        statuses = [item.status for item in await tx.outbox.items(channel="telegram")]
    assert statuses[-1] == "failed"


async def test_a_reply_too_long_for_one_message_arrives_split_and_whole(tg: Telegram) -> None:
    alice, room, nurse = tg.patient(ALICE), tg.staff_room(), tg.staff()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    long_text = "ご説明します。" * 585  # 4095 characters: with the header, over 4096
    await nurse.says(long_text, topic=topic)
    first, second = await alice.receives_text(), await alice.receives_text()
    assert first + second == f"【テスト皮膚科より】\n{long_text}"
    assert max(len(first), len(second)) <= 4096


@pytest.mark.parametrize(
    ("kind", "method"),
    [("document", "sendDocument"), ("voice", "sendVoice"), ("video", "sendVideo")],
    ids=["document", "voice", "video"],
)
async def test_documents_voice_and_video_reach_the_topic_too(
    tg: Telegram, kind: str, method: str
) -> None:
    alice, room = tg.patient(ALICE), tg.staff_room()
    await alice.says("駐車場はありますか？")
    await alice.receives()
    topic = await room.receives()
    await alice.sends(kind, f"{kind}-1")
    assert await alice.receives_text() == "スタッフに伝えました。"
    relayed = await room.receives()
    assert (relayed.method, relayed.file, relayed.thread_id) == (
        method,
        (kind, f"{kind}-1"),
        topic.thread_id,
    )
