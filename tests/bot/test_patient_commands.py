"""Commands, the topic menu, forgetting, and files, read as chat transcripts."""

from __future__ import annotations

from bot.messages import AlertEvent, Attachment, StaffAlert
from bot.records import Author
from bot.store import Store
from tests.bot.conftest import Alerts, Chat

PHOTO = Attachment("photo", "file-123")


# texts of tests/bot/conftest.py's knowledge base
MENU_PROMPT = "テーマを選んでください。"
FORGET_CONFIRM, FORGET_YES, FORGET_NO = "削除しますか？", "削除する", "やめる"
FORGET_DONE = "あなたのデータを削除しました。ご利用ありがとうございました。"
FORGET_CANCELLED = "やめました。"


async def test_start_greets_with_the_disclaimer_and_the_topic_menu(alice: Chat) -> None:
    await alice.command("start")
    reply = alice.pop()
    assert reply.text == (
        "こんにちは。イソトレチノインの質問にお答えします。\n\n※一般的な情報です。"
    )
    assert [c.label for c in reply.choices] == ["生活"]  # smalltalk has no menu entry


async def test_a_menu_category_lists_its_questions_and_one_answers(alice: Chat) -> None:
    await alice.command("menu")
    assert alice.pop_text() == MENU_PROMPT
    await alice.press("生活")
    reply = alice.pop()
    assert reply.text == "「生活」についてのよくあるご質問です。"
    assert [c.label for c in reply.choices] == ["お酒を飲んでもいいですか？", "献血はできますか？"]
    await alice.press("献血はできますか？")
    assert alice.pop_text().startswith("服用中と服用後1ヶ月は献血できません。")


async def test_help_explains_the_commands(alice: Chat) -> None:
    await alice.command("help")
    assert "/forget" in alice.pop_text()


async def test_staff_command_opens_a_ticket(alice: Chat, alerts: Alerts) -> None:
    await alice.command("staff")
    assert alice.pop_text().startswith("スタッフにおつなぎします。")
    assert [a.event for a in alerts.sent] == [AlertEvent.OPENED]


async def test_unknown_command_is_not_understood(alice: Chat) -> None:
    await alice.command("close")
    assert alice.pop_text() == "もう一度お書きください。"


async def test_forget_asks_first_and_then_deletes_everything(alice: Chat, store: Store) -> None:
    await alice.push("駐車場はありますか？")  # a ticket with the question
    alice.pop()
    await alice.command("forget")
    assert alice.pop_text() == FORGET_CONFIRM
    await alice.press(FORGET_YES)
    assert alice.pop_text() == FORGET_DONE
    async with store.transaction(write=False) as tx:
        assert await tx.patients.find("test", "alice") is None
        assert await tx.tickets.get(1) is None
        assert await tx.questions.get(1) is None


async def test_forget_can_be_called_off(alice: Chat, store: Store) -> None:
    await alice.command("forget")
    alice.pop()
    await alice.press(FORGET_NO)
    assert alice.pop_text() == FORGET_CANCELLED
    async with store.transaction(write=False) as tx:
        assert await tx.patients.find("test", "alice") is not None


async def test_a_photo_outside_a_ticket_gets_a_polite_reply_and_a_way_to_staff(
    alice: Chat, alerts: Alerts
) -> None:
    await alice.push("", attachment=PHOTO)
    reply = alice.pop()
    assert (reply.text, [c.label for c in reply.choices]) == (
        "もう一度お書きください。",
        ["スタッフに相談する"],
    )
    assert alerts.sent == []


async def test_a_photo_during_a_ticket_reaches_staff(
    alice: Chat, alerts: Alerts, store: Store
) -> None:
    await alice.push("駐車場はありますか？")
    alice.pop()
    await alice.push("", attachment=PHOTO)
    assert alice.pop_text() == "スタッフに伝えました。"
    assert alerts.sent[-1] == StaffAlert(1, False, "", attachment=PHOTO)
    async with store.transaction(write=False) as tx:
        thread = await tx.tickets.messages(1)
    assert (thread[-1].author, thread[-1].text) == (Author.PATIENT, "［写真］")


async def test_a_photo_with_a_question_is_escalated_with_the_photo(
    alice: Chat, alerts: Alerts
) -> None:
    await alice.push("この赤みは大丈夫ですか", attachment=PHOTO)
    assert alice.pop_text().startswith("担当スタッフが")
    [alert] = alerts.sent
    assert (alert.event, alert.attachment) == (AlertEvent.OPENED, PHOTO)
