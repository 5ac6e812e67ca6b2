"""Urgent tickets no staff member opened are re-alerted every N minutes, at most K times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.telegram.client import STAFF
from bot.config import Config, SafetyConfig
from bot.core import Conversation
from bot.kb_holder import KbHolder, Loaded
from bot.messages import ReplyKind
from bot.staff_feed import StaffFeed
from bot.store import Store
from bot.urgent_realert import realert_urgent
from faq.matcher import Matcher
from faq.model import KnowledgeBase
from tests.bot.conftest import Chat, Clock

SETTINGS = SafetyConfig(urgent_realert_minutes=10, urgent_realert_max=2)


@pytest.fixture
def feed(store: Store, config: Config, clock: Clock) -> StaffFeed:
    return StaffFeed(store, STAFF, config.clinic, clock)


@pytest.fixture
def staffed(
    kb: KnowledgeBase, matcher: Matcher, store: Store, config: Config, clock: Clock, feed: StaffFeed
) -> Conversation:
    holder = KbHolder(Loaded(kb, matcher))
    return Conversation(holder, store, config, clock=clock, alerts=feed.alert, staff_channel=STAFF)


async def loud(store: Store) -> list[str]:
    """The loud (pinned / mentioned) messages queued for staff, by ticket."""
    async with store.transaction(write=False) as tx:
        items = await tx.outbox.items(channel=STAFF)
    return [i.chat_id for i in items if i.reply.kind is ReplyKind.STAFF_URGENT]


async def after(minutes: float, clock: Clock, store: Store, feed: StaffFeed) -> int:
    clock.now += timedelta(minutes=minutes)
    return await realert_urgent(store, feed, SETTINGS, clock)


async def test_unopened_urgent_ticket_is_realerted_every_n_minutes_at_most_k_times(
    staffed: Conversation, store: Store, feed: StaffFeed, clock: Clock
) -> None:
    await Chat(staffed).push("胸が痛いです")
    assert await loud(store) == ["ticket:1"]  # the opening alert
    assert await after(9, clock, store, feed) == 0
    assert await after(1, clock, store, feed) == 1
    assert await after(5, clock, store, feed) == 0
    assert await after(5, clock, store, feed) == 1
    assert await after(10, clock, store, feed) == 0  # K = 2 re-alerts
    assert await loud(store) == ["ticket:1"] * 3
    async with store.transaction(write=False) as tx:
        last = (await tx.outbox.items(channel=STAFF))[-1].reply.text
    assert "チケット #1" in last and "20分" in last and "2回目" in last


async def test_opening_the_ticket_stops_the_realerts(
    staffed: Conversation, store: Store, feed: StaffFeed, clock: Clock
) -> None:
    await Chat(staffed).push("胸が痛いです")
    clock.now += timedelta(minutes=3)
    async with store.transaction() as tx:  # the console's ticket page was viewed
        await tx.safety.mark_seen(1, clock())
    assert await after(10, clock, store, feed) == 0


async def test_a_staff_message_in_the_thread_counts_as_opened(
    staffed: Conversation, store: Store, feed: StaffFeed, clock: Clock
) -> None:
    await Chat(staffed).push("胸が痛いです")
    clock.now += timedelta(minutes=2)
    await staffed.desk.note(1, "確認中", "佐藤")
    assert await after(10, clock, store, feed) == 0


async def test_a_ticket_that_becomes_urgent_must_be_opened_again(
    staffed: Conversation, store: Store, feed: StaffFeed, clock: Clock
) -> None:
    alice = Chat(staffed)
    await alice.push("駐車場はありますか？")  # an ordinary ticket
    await staffed.staff_reply(1, "ございます", "佐藤")
    assert await after(30, clock, store, feed) == 0  # not urgent: reminders, not re-alerts
    await alice.push("胸が痛いです")
    assert await after(9, clock, store, feed) == 0
    assert await after(1, clock, store, feed) == 1


async def test_realerts_can_be_turned_off(
    staffed: Conversation, store: Store, feed: StaffFeed, clock: Clock
) -> None:
    await Chat(staffed).push("胸が痛いです")
    clock.now += timedelta(hours=1)
    off = SafetyConfig(urgent_realert_minutes=0)
    assert await realert_urgent(store, feed, off, clock) == 0


async def test_a_closed_urgent_ticket_is_not_realerted(
    staffed: Conversation, store: Store, feed: StaffFeed, clock: Clock
) -> None:
    await Chat(staffed).push("胸が痛いです")
    await staffed.close_ticket(1)
    assert await after(10, clock, store, feed) == 0
