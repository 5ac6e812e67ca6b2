"""Per-patient rate limiting: a flood is answered once and never becomes hundreds of tickets."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Config
from bot.core import Conversation
from bot.flood import FloodGate, Verdict
from bot.kb_holder import KbHolder, Loaded
from bot.messages import ReplyKind
from bot.records import TicketStatus
from bot.store import Store
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from tests.bot.conftest import Alerts, Chat, Clock

NOTICE = "短時間に多くのメッセージが届いたため"
UNANSWERABLE = "駐車場はありますか？"  # no entry fits: a ticket for staff
SAFETY = "胸の痛みがある場合はすぐに119番に電話してください。"


async def count(store: Store, table: str) -> int:
    async with store.transaction(write=False) as tx:
        tickets = await tx.tickets.in_status(list(TicketStatus))
        latest = await tx.questions.latest(1)
    return len(tickets) if table == "tickets" else (latest.id if latest else 0)


async def test_300_messages_get_one_notice_one_ticket_and_bounded_alerts(
    alice: Chat, store: Store, alerts: Alerts
) -> None:
    for _ in range(300):
        await alice.push(UNANSWERABLE)
    # 20 a minute: the consent button press, 19 questions; then the notice, then silence
    assert [r.kind for r in alice.replies] == [
        ReplyKind.ESCALATION,
        *[ReplyKind.FOLLOWUP] * 18,
        ReplyKind.FLOOD,
    ]
    assert await count(store, "tickets") == 1
    assert await count(store, "questions") == 19
    assert len(alerts.sent) == 19


async def test_the_notice_is_the_texts_flood_notice(alice: Chat) -> None:
    for _ in range(21):
        await alice.push("こんにちは")
    *_, last = alice.replies
    assert (last.kind, last.text.startswith(NOTICE)) == (ReplyKind.FLOOD, True)


async def test_after_a_quiet_minute_the_patient_is_answered_again(
    alice: Chat, clock: Clock
) -> None:
    for _ in range(25):
        await alice.push("こんにちは")
    alice.replies.clear()
    clock.now += timedelta(seconds=61)
    await alice.push("こんにちは")
    assert alice.pop_text() == "こんにちは！ご質問をどうぞ。"


async def test_a_red_flag_while_flooding_gets_the_safety_message_rarely(
    alice: Chat, clock: Clock
) -> None:
    for _ in range(21):
        await alice.push("こんにちは")
    alice.replies.clear()
    await alice.push("胸が痛い")
    assert [r.text for r in alice.replies] == [SAFETY]
    alice.replies.clear()
    await alice.push("胸が痛い")  # again at once: already told
    alice.assert_quiet()
    clock.now += timedelta(minutes=5)
    await alice.push("胸が痛い")
    assert alice.pop().kind is ReplyKind.URGENT


async def test_one_patient_flooding_does_not_limit_another(alice: Chat, conv: Conversation) -> None:
    for _ in range(30):
        await alice.push("こんにちは")
    bob = Chat(conv, "bob")
    await bob.push("こんにちは")
    assert bob.pop_text() == "こんにちは！ご質問をどうぞ。"


async def test_the_limits_come_from_the_config(
    kb: KnowledgeBase, matcher: Matcher, store: Store, clock: Clock
) -> None:
    config = Config.model_validate({"safety": {"rate_per_minute": 3}})
    alice = Chat(Conversation(KbHolder(Loaded(kb, matcher)), store, config, clock=clock))
    for _ in range(3):  # the consent button press counts as the first
        await alice.push("こんにちは")
    assert [r.kind for r in alice.replies][-1] is ReplyKind.FLOOD


def test_the_hourly_limit_holds_when_each_minute_is_within_limits(clock: Clock) -> None:
    gate = FloodGate(per_minute=5, per_hour=12)
    verdicts = []
    for n in range(15):
        verdicts.append(gate.check("test", "alice", clock.now + timedelta(minutes=2 * n)))
    assert verdicts[:12] == [Verdict.PASS] * 12
    assert verdicts[12:] == [Verdict.NOTICE, Verdict.DROP, Verdict.DROP]
