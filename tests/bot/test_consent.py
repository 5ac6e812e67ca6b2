"""Consent: what is stored and why is shown, and agreed to, before a question is stored."""

from __future__ import annotations

from bot.config import Config
from bot.core import Conversation
from bot.kb_holder import KbHolder, Loaded
from bot.messages import Choice, ReplyKind
from bot.records import TicketStatus
from bot.store import Store
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from tests.bot.channels.conftest import ALICE, Telegram, fake, tg  # noqa: F401 (fixtures)
from tests.bot.channels.line.conftest import (  # noqa: F401 (fixtures)
    Line,
    bundled,
    fake_line,
    line,
)
from tests.bot.conftest import Alerts, Chat, Clock

AGREE = "同意する"
ALCOHOL_ANSWER = "服用中の飲酒は控えてください。\n\n※一般的な情報です。\n役に立ちましたか？"


async def stored_questions(store: Store) -> int:
    async with store.transaction(write=False) as tx:
        latest = await tx.questions.latest(1)
    return latest.id if latest is not None else 0


async def consented_at(store: Store, channel: str, user_id: str) -> object:
    async with store.transaction(write=False) as tx:
        patient = await tx.patients.find(channel, user_id)
    return patient.consented_at if patient is not None else "no patient"


async def test_the_first_question_gets_the_notice_and_is_not_stored(
    conv: Conversation, store: Store
) -> None:
    alice = Chat(conv, consented=False)
    await alice.push("お酒を飲んでもいいですか？")
    reply = alice.pop()
    assert reply.kind is ReplyKind.CONSENT
    assert reply.choices == (Choice(AGREE, "consent:yes"),)
    for said in ("ご質問などのメッセージ", "スタッフ", "365日間", "/forget"):
        assert said in reply.text
    alice.assert_quiet()
    assert await stored_questions(store) == 0
    assert await consented_at(store, "test", "alice") is None


async def test_agreeing_is_recorded_and_the_held_question_is_answered(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    alice = Chat(conv, consented=False)
    await alice.push("お酒を飲んでもいいですか？")
    alice.pop()
    await alice.press(AGREE)
    assert alice.pop_text() == "ご同意ありがとうございます。"
    assert alice.pop_text() == ALCOHOL_ANSWER
    alice.assert_quiet()
    assert await consented_at(store, "test", "alice") == clock.now
    assert await stored_questions(store) == 1


async def test_a_consented_patient_is_not_asked_again(conv: Conversation) -> None:
    alice = Chat(conv, consented=False)
    await alice.push("お酒を飲んでもいいですか？")
    alice.pop()
    await alice.press(AGREE)
    alice.pop(), alice.pop()
    await alice.push("献血はできますか？")
    assert alice.pop().kind is ReplyKind.ANSWER


async def test_a_red_flag_is_triaged_before_consent(
    conv: Conversation, store: Store, alerts: Alerts
) -> None:
    alice = Chat(conv, consented=False)
    await alice.push("胸が痛いです")
    reply = alice.pop()
    assert (reply.kind, reply.text) == (
        ReplyKind.URGENT,
        "胸の痛みがある場合はすぐに119番に電話してください。",
    )
    alice.assert_quiet()
    async with store.transaction(write=False) as tx:
        ticket = await tx.tickets.get(1)
    # stored without consent, for the patient's vital interests
    assert ticket is not None and (ticket.urgent, ticket.status) == (True, TicketStatus.OPEN)
    assert [(a.ticket_id, a.urgent) for a in alerts.sent] == [(1, True)]


async def test_messages_join_the_urgent_ticket_opened_without_consent(
    conv: Conversation, store: Store
) -> None:
    alice = Chat(conv, consented=False)
    await alice.push("胸が痛いです")
    alice.pop()
    await alice.push("どうすればいいですか")
    assert alice.pop().kind is ReplyKind.FOLLOWUP


async def test_start_shows_the_notice_with_the_button_until_agreed(conv: Conversation) -> None:
    alice = Chat(conv, consented=False)
    await alice.command("start")
    assert alice.pop().kind is ReplyKind.WELCOME
    notice = alice.pop()
    assert (notice.kind, [c.label for c in notice.choices]) == (ReplyKind.CONSENT, [AGREE])
    await alice.press(AGREE)
    assert alice.pop_text() == "ご同意ありがとうございます。"
    alice.assert_quiet()  # nothing was waiting
    await alice.command("start")
    assert alice.pop().kind is ReplyKind.WELCOME
    alice.assert_quiet()


async def test_asking_for_staff_waits_for_consent_too(conv: Conversation, store: Store) -> None:
    alice = Chat(conv, consented=False)
    await alice.command("staff")
    assert alice.pop().kind is ReplyKind.CONSENT
    async with store.transaction(write=False) as tx:
        assert await tx.tickets.get(1) is None
    await alice.press(AGREE)
    alice.pop()
    assert alice.pop().kind is ReplyKind.HANDOVER


async def test_forget_deletes_the_consent(conv: Conversation, store: Store) -> None:
    alice = Chat(conv)  # agreed
    await alice.command("forget")
    await alice.press(alice.pop().choices[0].label)  # 削除する
    alice.pop()
    assert await consented_at(store, "test", "alice") == "no patient"
    await alice.push("お酒を飲んでもいいですか？")
    assert alice.pop().kind is ReplyKind.CONSENT


async def test_consent_can_be_turned_off(
    kb: KnowledgeBase, matcher: Matcher, store: Store, clock: Clock
) -> None:
    config = Config.model_validate({"safety": {"consent": False}})
    conv = Conversation(KbHolder(Loaded(kb, matcher)), store, config, clock=clock)
    alice = Chat(conv, consented=False)
    await alice.push("お酒を飲んでもいいですか？")
    assert alice.pop_text() == ALCOHOL_ANSWER


async def test_on_telegram_the_button_agrees_and_the_question_is_answered(
    tg: Telegram,  # noqa: F811
) -> None:
    alice = tg.patient(ALICE, consented=False)
    await alice.says("お酒を飲んでもいいですか？")
    notice = await alice.receives()
    assert notice.buttons == [(AGREE, "consent:yes")]
    await alice.presses(AGREE)
    assert await alice.receives_text() == "ご同意ありがとうございます。"
    assert (await alice.receives_text()).startswith("服用中の飲酒は控えてください。")
    assert await consented_at(tg.app.store, "telegram", str(ALICE.id)) is not None


async def test_on_line_the_button_agrees_and_the_question_is_answered(
    line: Line,  # noqa: F811
) -> None:
    alice = line.patient(consented=False)
    await alice.says("お酒は飲めますか？")
    notice = await alice.receives()
    assert [b["label"] for b in notice.buttons] == [AGREE]
    await alice.presses(AGREE)
    assert await alice.receives_text() == "ご同意ありがとうございます。"
    answer = await alice.receives_text()
    assert "飲酒" in answer or "お酒" in answer
    assert await consented_at(line.store, "line", alice.user_id) is not None
