"""The outbox: each message is delivered once, in order, and survives failures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.messages import Reply
from bot.outbox import QUOTA, Outbox, PermanentFailure, QuotaFailure, SentMarks
from bot.records import OutboxItem
from bot.store import Store
from bot.store_outbox import MAX_ATTEMPTS
from tests.bot.conftest import Clock


class Channel:
    """Records what it is asked to send; can be told to fail."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[str] = []
        self.failures = failures

    async def send(self, item: OutboxItem) -> None:
        await asyncio.sleep(0)  # let other deliverers run, as a real network call would
        if self.failures:
            self.failures -= 1
            raise ConnectionError("network down")
        self.sent.append(item.reply.text)


async def statuses(store: Store) -> list[tuple[str, int]]:
    async with store.transaction(write=False) as tx:
        return [(i.status, i.attempts) for i in await tx.outbox.items()]


async def items(store: Store) -> list[OutboxItem]:
    async with store.transaction(write=False) as tx:
        return await tx.outbox.items()


async def test_enqueued_message_is_sent_once(store: Store, clock: Clock) -> None:
    outbox, channel = Outbox(store, clock), Channel()
    await outbox.enqueue("test", "c1", [Reply("one"), Reply("two")])
    assert await outbox.deliver("test", channel.send) == 2
    assert await outbox.deliver("test", channel.send) == 0
    assert channel.sent == ["one", "two"]
    assert await statuses(store) == [("sent", 0), ("sent", 0)]


async def test_concurrent_deliverers_never_send_twice(store: Store, clock: Clock) -> None:
    channel = Channel()
    await Outbox(store, clock).enqueue("test", "c1", [Reply(str(n)) for n in range(10)])
    await asyncio.gather(
        Outbox(store, clock).deliver("test", channel.send),
        Outbox(store, clock).deliver("test", channel.send),
    )
    assert sorted(channel.sent, key=int) == [str(n) for n in range(10)]


async def test_failed_message_is_retried_after_a_pause_and_later_ones_wait(
    store: Store, clock: Clock
) -> None:
    outbox, channel = Outbox(store, clock, retry_delays=[10]), Channel(failures=1)
    await outbox.enqueue("test", "c1", [Reply("first"), Reply("second")])
    await outbox.enqueue("test", "c2", [Reply("other chat")])
    assert await outbox.deliver("test", channel.send) == 1
    assert channel.sent == ["other chat"]
    assert await outbox.deliver("test", channel.send) == 0  # still backing off
    clock.now += timedelta(seconds=10)
    assert await outbox.deliver("test", channel.send) == 2
    assert channel.sent == ["other chat", "first", "second"]


async def test_a_permanent_failure_is_not_retried_and_is_reported(
    store: Store, clock: Clock
) -> None:
    reported: list[str] = []

    async def report(item: OutboxItem, error: Exception) -> None:
        reported.append(item.reply.text)

    async def blocked(item: OutboxItem) -> None:
        raise PermanentFailure("the patient blocked the bot")

    outbox = Outbox(store, clock, on_failed=report)
    await outbox.enqueue("test", "c1", [Reply("unwanted")])
    assert await outbox.deliver("test", blocked) == 0
    assert await statuses(store) == [("failed", 1)]
    assert reported == ["unwanted"]


async def test_message_fails_for_good_after_the_last_attempt(store: Store, clock: Clock) -> None:
    reported: list[int] = []

    async def report(item: OutboxItem, error: Exception) -> None:
        reported.append(item.id)

    outbox, channel = Outbox(store, clock, on_failed=report), Channel(failures=MAX_ATTEMPTS)
    await outbox.enqueue("test", "c1", [Reply("lost cause")])
    for _ in range(MAX_ATTEMPTS + 1):
        await outbox.deliver("test", channel.send)
        clock.now += timedelta(hours=1)
    assert channel.sent == []
    assert await statuses(store) == [("failed", MAX_ATTEMPTS)]
    assert reported == [1]


async def test_other_channels_and_chats_are_left_alone(store: Store, clock: Clock) -> None:
    outbox, channel = Outbox(store, clock), Channel()
    await outbox.enqueue("line", "c1", [Reply("for LINE")])
    await outbox.enqueue("test", "c2", [Reply("for c2")])
    await outbox.enqueue("test", "c1", [Reply("for c1")])
    assert await outbox.deliver("test", channel.send, chat_id="c1") == 1
    assert channel.sent == ["for c1"]


async def test_message_a_crash_left_half_sent_is_sent_after_recovery(
    store: Store, clock: Clock
) -> None:
    outbox, channel = Outbox(store, clock), Channel()
    await outbox.enqueue("test", "c1", [Reply("interrupted")])
    async with store.transaction() as tx:
        await tx.outbox.claim("test", clock())  # a deliverer claimed it, then the process died
    assert await outbox.deliver("test", channel.send) == 0
    assert await outbox.recover("test") == 1
    assert await outbox.deliver("test", channel.send) == 1
    assert channel.sent == ["interrupted"]


async def test_replies_keep_their_buttons_through_the_outbox(store: Store, clock: Clock) -> None:
    from bot.messages import Choice, ReplyKind

    reply = Reply("どれですか？", (Choice("献血", "faq:blood_donation"),), ReplyKind.CLARIFY)
    received: list[Reply] = []

    async def keep(item: OutboxItem) -> None:
        received.append(item.reply)

    await Outbox(store, clock).send_replies("test", "c1", [reply], keep)
    assert received == [reply]


async def test_a_used_up_quota_is_recorded_and_reported_with_its_error(
    store: Store, clock: Clock
) -> None:
    reported: list[tuple[str, type[Exception]]] = []

    async def report(item: OutboxItem, error: Exception) -> None:
        reported.append((item.reply.text, type(error)))

    async def over_quota(item: OutboxItem) -> None:
        raise QuotaFailure("monthly limit")

    outbox = Outbox(store, clock, on_failed=report)
    await outbox.enqueue("test", "c1", [Reply("too late this month")])
    assert await outbox.deliver("test", over_quota) == 0
    [item] = await items(store)
    assert (item.status, item.failure) == ("failed", QUOTA)
    assert reported == [("too late this month", QuotaFailure)]


async def test_a_failed_attempt_records_the_error_type(store: Store, clock: Clock) -> None:
    outbox, channel = Outbox(store, clock), Channel(failures=1)
    await outbox.enqueue("test", "c1", [Reply("hello")])
    await outbox.deliver("test", channel.send)
    [item] = await items(store)
    assert (item.status, item.failure) == ("pending", "ConnectionError")


async def test_sent_marks_waiting_for_a_busy_store_return_only_once_committed(
    store: Store, clock: Clock
) -> None:
    ids = []
    for chat in ("c1", "c2", "c3"):
        ids += await Outbox(store, clock).enqueue("test", chat, [Reply(chat)])
    marks, busy, release = SentMarks(store, clock), asyncio.Event(), asyncio.Event()

    async def hold_the_store() -> None:
        async with store.transaction():
            busy.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_store())
    await busy.wait()
    waiting = [asyncio.create_task(marks.mark(item_id)) for item_id in ids]
    await asyncio.sleep(0.05)
    assert [w.done() for w in waiting] == [False, False, False]
    release.set()
    await asyncio.gather(holder, *waiting)
    assert await statuses(store) == [("sent", 0), ("sent", 0), ("sent", 0)]
