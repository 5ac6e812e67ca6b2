"""Triage keeps working when the knowledge base did not load or the database cannot be written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import Config
from bot.core import Conversation
from bot.failsafe import RedFlagTriage, open_holder
from bot.kb_holder import KbHolder, Loaded
from bot.messages import ReplyKind
from bot.records import Author
from bot.store import Store
from faq.decision import Action
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from tests.bot.channels.conftest import ADMIN, ALICE, Telegram, fake, tg  # noqa: F401
from tests.bot.conftest import KB_YAML, Alerts, Chat, Clock

SAFETY = "胸の痛みがある場合はすぐに119番に電話してください。"
BROKEN = KB_YAML.replace("    answer: 服用中の飲酒は控えてください。\n", "")


@pytest.fixture
def broken_kb(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


async def read_only(store: Store, on: bool) -> None:
    """The database refuses writes (as a read-only file does), or takes them again."""
    await store._conn.execute(f"PRAGMA query_only = {int(on)}")


async def tickets(store: Store) -> list[tuple[bool, str]]:
    async with store.transaction(write=False) as tx:
        found = [await tx.tickets.get(n) for n in range(1, 5)]
    return [(t.urgent, t.reason) for t in found if t is not None]


def test_a_broken_knowledge_base_starts_the_fail_safe_one(broken_kb: Path) -> None:
    holder, problems = open_holder(broken_kb)
    assert problems and "answer" in str(problems[0])
    assert isinstance(holder.current.matcher, RedFlagTriage)
    assert holder.path == broken_kb  # a fixed file is loaded by the next reload
    bundled = load_kb(None)
    assert holder.current.kb.red_flags == bundled.red_flags
    decided = holder.current.matcher.decide("子どもがけいれんしています")
    assert (decided.action, decided.rule_id) == (Action.URGENT, "seizure")
    assert holder.current.matcher.decide("お酒を飲んでもいいですか？").action is Action.ESCALATE


async def test_without_the_clinics_kb_red_flags_are_triaged_and_the_rest_goes_to_staff(
    broken_kb: Path, store: Store, config: Config, clock: Clock
) -> None:
    holder, _ = open_holder(broken_kb)
    chat = Chat(Conversation(holder, store, config, clock=clock))
    bundled = load_kb(None)
    [seizure] = [f for f in bundled.red_flags if f.id == "seizure"]
    await chat.push("子どもがけいれんしています")
    assert (chat.pop().kind, chat.last and chat.last.text) == (ReplyKind.URGENT, seizure.message)
    holder.reload()  # still broken: stays in fail-safe, nothing lost
    await chat.push("お酒を飲んでもいいですか？")
    assert chat.pop().kind is ReplyKind.FOLLOWUP  # joins the open ticket, for staff
    assert [urgent for urgent, _ in await tickets(store)] == [True]


async def test_an_urgent_message_is_answered_from_memory_and_recorded_later(
    conv: Conversation, store: Store, alerts: Alerts
) -> None:
    alice = Chat(conv)
    await alice.push("こんにちは")  # agreed and known before the store fails
    alice.pop()
    await read_only(store, True)
    await alice.push("胸が痛いです")
    assert (alice.pop().kind, alice.last and alice.last.text) == (ReplyKind.URGENT, SAFETY)
    assert await conv.record_held_urgent() == 0  # still read-only: kept for later
    await read_only(store, False)
    assert await tickets(store) == []
    assert await conv.record_held_urgent() == 1
    assert await tickets(store) == [(True, "胸の痛み")]
    assert [(a.ticket_id, a.urgent) for a in alerts.sent] == [(1, True)]
    async with store.transaction(write=False) as tx:
        thread = await tx.tickets.messages(1)
    assert [(m.author, m.text) for m in thread if m.author is not Author.NOTE] == [
        (Author.PATIENT, "胸が痛いです"),
        (Author.BOT, SAFETY),
    ]
    assert await conv.record_held_urgent() == 0  # once only


async def test_a_message_that_is_not_urgent_raises_so_it_is_delivered_again(
    conv: Conversation, store: Store
) -> None:
    alice = Chat(conv)
    await alice.push("こんにちは")
    alice.pop()
    await read_only(store, True)
    with pytest.raises(sqlite3.OperationalError):
        await alice.push("お酒を飲んでもいいですか？")
    await read_only(store, False)
    assert await conv.record_held_urgent() == 0


async def test_an_urgent_message_delivered_again_once_the_store_works_is_one_ticket(
    kb: KnowledgeBase, matcher: Matcher, store: Store, config: Config, clock: Clock
) -> None:
    conv = Conversation(KbHolder(Loaded(kb, matcher)), store, config, clock=clock)
    alice = Chat(conv)
    await alice.push("こんにちは")
    alice.pop()
    await read_only(store, True)
    await alice.push("胸が痛いです")
    alice.pop()
    await read_only(store, False)
    alice._count -= 1  # the messenger delivers the same message (same id) again
    await alice.push("胸が痛いです")
    assert alice.pop().kind is ReplyKind.URGENT
    assert await conv.record_held_urgent() == 0  # the redelivery recorded it
    assert await tickets(store) == [(True, "胸の痛み")]


async def test_a_database_locked_by_another_process_still_gets_the_safety_message(
    conv: Conversation, store: Store
) -> None:
    alice = Chat(conv)
    await alice.push("こんにちは")
    alice.pop()
    other = sqlite3.connect(store.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # the write lock, held past the busy timeout
        await alice.push("胸が痛いです")
        assert alice.pop().text == SAFETY
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await conv.record_held_urgent() == 1
    assert await tickets(store) == [(True, "胸の痛み")]


class TestStartingWithABrokenKnowledgeBase:
    @pytest.fixture
    def kb_file(self, broken_kb: Path) -> Path:
        """The Telegram harness's knowledge base file: broken, for these tests."""
        return broken_kb

    async def test_the_bot_starts_and_tells_admins_and_triages(
        self,
        tg: Telegram,  # noqa: F811
    ) -> None:
        admin = tg.patient(ADMIN)  # an admin's private chat with the bot
        report = await admin.receives_text()
        assert report.startswith("❌ ナレッジベースに問題があるため")
        alice = tg.patient(ALICE)
        await alice.says("子どもがけいれんしています")
        bundled = load_kb(None)
        [seizure] = [f for f in bundled.red_flags if f.id == "seizure"]
        assert await alice.receives_text() == seizure.message.strip()
