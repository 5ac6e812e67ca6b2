"""Retention: patients' words older than the period go; newer ones and open tickets stay."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

from bot.config import Config
from bot.core import Conversation
from bot.inbox import Inbox
from bot.outbox import Outbox
from bot.records import OutboxItem
from bot.retention import cutoff, purge_old, retention_loop
from bot.store import Store
from bot.store_privacy import PurgeReport
from tests.bot.conftest import Chat, Clock
from tests.bot.test_forget_everything import leftovers

OLD_CLOSED = "駐車場はありますか？去年の質問です"
OLD_OPEN = "駐車場の場所を教えてください、まだ対応中です"
NEW = "駐車場は何台ありますか？今年の質問です"


async def _send(item: OutboxItem) -> None:
    """Every message is delivered."""


async def fill(conv: Conversation, store: Store, clock: Clock) -> None:
    """A closed and an open ticket from 400 days ago, a new ticket today; all delivered."""
    outbox, inbox = Outbox(store, clock), Inbox(store, "test", clock)

    async def ignore(payload: str) -> list[object]:
        return []

    old, waiting, new = Chat(conv, "old"), Chat(conv, "waiting"), Chat(conv, "new")
    await old.push(OLD_CLOSED)
    await waiting.push(OLD_OPEN)
    await conv.staff_reply(1, "去年のスタッフの返事", "佐藤")
    await conv.close_ticket(1)
    await inbox.receive([("old-update", "{}")])
    await inbox.process_pending(ignore)  # type: ignore[arg-type]
    await outbox.enqueue("test", "chat-old", list(old.replies))
    await outbox.deliver("test", _send)
    clock.now += timedelta(days=400)
    await new.push(NEW)
    await outbox.enqueue("test", "chat-new", list(new.replies))
    await outbox.deliver("test", _send)


async def test_old_words_are_removed_and_new_ones_kept(
    conv: Conversation, store: Store, clock: Clock, tmp_path: Path
) -> None:
    await fill(conv, store, clock)
    db = tmp_path / "faqbot.sqlite3"

    report = await purge_old(store, older_than=clock.now - timedelta(days=365))

    assert report == PurgeReport(
        questions=2, ticket_messages=4, staff_posts=0, proposals=0, outbox=3, inbox=1
    )
    assert leftovers(db, [OLD_CLOSED, "去年のスタッフの返事"]) == []
    # The open ticket keeps its thread; only the question log's copy went.
    assert leftovers(db, [OLD_OPEN]) == [("ticket_messages", "text", OLD_OPEN)]
    assert {table for table, _, _ in leftovers(db, [NEW])} == {"questions", "ticket_messages"}
    async with store.transaction(write=False) as tx:
        first = await tx.questions.get(1)
        assert first is not None and first.text == "" and first.action == "escalate"
        assert (await tx.tickets.get(1)) is not None  # the ticket stays, as a fact


async def test_a_second_run_finds_nothing_more(
    conv: Conversation, store: Store, clock: Clock
) -> None:
    await fill(conv, store, clock)
    await purge_old(store, older_than=clock.now - timedelta(days=365))
    again = await purge_old(store, older_than=clock.now - timedelta(days=365))
    assert again.total == 0


async def test_the_loop_purges_by_the_configured_period_on_the_clock(
    conv: Conversation, store: Store, clock: Clock, tmp_path: Path
) -> None:
    await fill(conv, store, clock)
    config = Config.model_validate({"privacy": {"retention_days": 365}})
    db = tmp_path / "faqbot.sqlite3"
    task = asyncio.create_task(retention_loop(store, config, clock, interval=0.01))
    try:
        async with asyncio.timeout(5):
            while leftovers(db, [OLD_CLOSED]):
                await asyncio.sleep(0.01)
        assert leftovers(db, [NEW]) != []
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_period_is_a_year_by_default_and_zero_keeps_everything(clock: Clock) -> None:
    assert cutoff(Config(), clock.now) == clock.now - timedelta(days=365)
    keep = Config.model_validate({"privacy": {"retention_days": 0}})
    assert cutoff(keep, clock.now) is None
