"""Patients in private chats, through the real app and PTB against the fake Bot API."""

from __future__ import annotations

import json

from tests.bot.channels.conftest import ALICE, Telegram

ALCOHOL_ANSWER = "服用中の飲酒は控えてください。\n\n※一般的な情報です。\n役に立ちましたか？"


async def test_a_patient_question_is_answered_with_related_and_feedback_buttons(
    tg: Telegram,
) -> None:
    alice = tg.patient(ALICE)
    await alice.says("お酒を飲んでもいいですか？")
    answer = await alice.receives()
    assert answer.text == ALCOHOL_ANSWER
    assert answer.labels == ["献血はできますか？", "役に立った", "役に立たなかった"]
    alice.assert_quiet()
    # sent as the Bot API takes a JSON body: the text as it is, the buttons as objects in it
    send = tg.fake.calls_of("sendMessage")[-1]
    assert send.content_type == "application/json"
    assert send.params["text"] == ALCOHOL_ANSWER
    assert json.loads(send.params["reply_markup"])["inline_keyboard"][0][0]["text"] == (
        "献血はできますか？"
    )


async def test_start_greets_with_the_disclaimer_and_a_topic_menu(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.says("/start")
    welcome = await alice.receives()
    assert (
        welcome.text == "こんにちは。イソトレチノインの質問にお答えします。\n\n※一般的な情報です。"
    )
    assert welcome.labels == ["生活"]
    await alice.presses("生活")
    assert (await alice.receives()).labels == ["お酒を飲んでもいいですか？", "献血はできますか？"]
    await alice.presses("献血はできますか？")
    assert (await alice.receives_text()).startswith("服用中と服用後1ヶ月は献血できません。")


async def test_clarify_buttons_answer_the_chosen_question(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.says("飲酒とけんけつはできますか？")
    clarify = await alice.receives()
    assert (clarify.text, clarify.labels) == (
        "どの質問に近いですか？",
        ["献血はできますか？", "お酒を飲んでもいいですか？", "どれも違う"],
    )
    await alice.presses("お酒を飲んでもいいですか？")
    assert await alice.receives_text() == ALCOHOL_ANSWER
    assert len(tg.fake.calls_of("answerCallbackQuery")) == 1  # the button stops spinning


async def test_feedback_is_thanked_and_its_buttons_are_taken_away(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.says("お酒を飲んでもいいですか？")
    answer = await alice.receives()
    await alice.presses("役に立たなかった")
    thanks = await alice.receives()
    assert (thanks.text, thanks.labels) == ("ご回答ありがとうございます。", ["スタッフに相談する"])
    await tg.fake.wait_until(lambda: answer.labels == ["献血はできますか？"])
    async with tg.app.store.transaction(write=False) as tx:
        assert await tx.questions.feedback(1) is False


async def test_a_sticker_gets_a_polite_reply(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.sends("sticker", "sticker-1")
    assert await alice.receives_text() == "もう一度お書きください。"


async def test_a_redelivered_update_is_answered_once(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    update = tg.fake.message_update(ALICE, ALICE.id, text="お酒を飲んでもいいですか？")
    update_id = await tg.fake.push(dict(update))
    await alice.receives()
    await tg.fake.wait_until(lambda: tg.fake.confirmed(update_id))
    await tg.fake.push({**update, "update_id": update_id})  # Telegram sends it again
    await alice.says("献血はできますか？")
    assert (await alice.receives_text()).startswith("服用中と服用後1ヶ月は献血できません。")
    alice.assert_quiet()


async def test_a_patient_sending_staff_commands_is_refused(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.says("駐車場はありますか？")  # opens ticket #1
    await alice.receives()
    await alice.says("/close")
    assert await alice.receives_text() == "もう一度お書きください。"
    async with tg.app.store.transaction(write=False) as tx:
        ticket = await tx.tickets.get(1)
    assert ticket is not None and ticket.active


async def test_other_groups_are_ignored(tg: Telegram) -> None:
    other_group = -100999
    update_id = await tg.fake.push(
        tg.fake.message_update(ALICE, other_group, text="お酒を飲んでもいいですか？")
    )
    alice = tg.patient(ALICE)
    await alice.says("献血はできますか？")  # processed after the group's message
    await alice.receives()
    assert tg.fake.confirmed(update_id)
    assert tg.fake.sent_to(other_group) == []


async def test_forget_deletes_the_patients_data_after_confirmation(tg: Telegram) -> None:
    alice = tg.patient(ALICE)
    await alice.says("お酒を飲んでもいいですか？")
    await alice.receives()
    await alice.says("/forget")
    confirm = await alice.receives()
    assert confirm.labels == ["削除する", "やめる"]
    await alice.presses("削除する")
    assert (
        await alice.receives_text()
        == "あなたのデータを削除しました。ご利用ありがとうございました。"
    )
    async with tg.app.store.transaction(write=False) as tx:
        assert await tx.patients.find("telegram", str(ALICE.id)) is None
        assert await tx.questions.get(1) is None
