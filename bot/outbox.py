"""Delivering the outbox: enqueue is committed first, then sent, then marked sent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta

from bot.clock import Clock
from bot.messages import Reply
from bot.records import OutboxItem
from bot.store import Store

logger = logging.getLogger(__name__)

Send = Callable[[OutboxItem], Awaitable[None]]
# Told of an item given up for good, with the error of its last attempt.
FailureSink = Callable[[OutboxItem, Exception], Awaitable[None]]


class PermanentFailure(Exception):
    """A channel's `send` knows retrying cannot help (the patient blocked the bot, …)."""


class QuotaFailure(PermanentFailure):
    """The messenger's message quota (LINE's monthly pushes) is used up: no use retrying."""


QUOTA = "quota"  # an outbox item's `failure` when the quota was used up


def failure_of(error: Exception) -> str:
    """What an outbox item records about why it failed (never the error's text)."""
    return QUOTA if isinstance(error, QuotaFailure) else type(error).__name__


# Waits after the 1st, 2nd, … failed attempt of an item (the last one repeats).
RETRY_DELAYS = (1.0, 5.0, 30.0, 60.0, 300.0)


async def _log_failure(item: OutboxItem, error: Exception) -> None:
    logger.error("outbox %d to %s: given up", item.id, item.channel)


class SentMarks:
    """Commits "sent" marks; sends that finish while a commit is under way share the next.

    Each caller returns only once its own mark is committed, so a chat's next message is
    still sent after the previous one is recorded (a crash repeats at most the one message
    in flight, as before). Under load one commit covers the marks of many chats, instead of
    a transaction each waiting its turn for the store.
    """

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._queued: dict[int, asyncio.Future[None]] = {}
        self._lock = asyncio.Lock()

    async def mark(self, item_id: int) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued[item_id] = done
        async with self._lock:
            if not done.done():  # no one before us wrote it: write everything queued
                batch, self._queued = self._queued, {}
                try:
                    # not durable: undone by a power cut, the message is sent again
                    async with self._store.transaction(durable=False) as tx:
                        await tx.outbox.mark_sent_many(list(batch), self._clock())
                except Exception as exc:
                    for future in batch.values():
                        future.set_exception(exc)
                except BaseException:  # cancelled: the others' marks go to the next writer
                    del batch[item_id]
                    self._queued.update(batch)
                    raise
                else:
                    for future in batch.values():
                        future.set_result(None)
        await done


class Outbox:
    """Sends stored messages through a channel's `send`, in order, each once."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        on_failed: FailureSink = _log_failure,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        parallel: int = 8,
    ) -> None:
        self._store = store
        self._parallel = parallel
        self._clock = clock
        self._on_failed = on_failed
        self._retry_delays = tuple(retry_delays)
        self._marks = SentMarks(store, clock)
        # One deliverer per channel at a time in this process keeps each chat in order.
        self._locks: dict[str, asyncio.Lock] = {}

    async def enqueue(self, channel: str, chat_id: str, replies: Sequence[Reply]) -> list[int]:
        async with self._store.transaction() as tx:
            now = self._clock()
            return [await tx.outbox.enqueue(channel, chat_id, r, now) for r in replies]

    async def send_replies(
        self, channel: str, chat_id: str, replies: Sequence[Reply], send: Send
    ) -> int:
        """Store replies to one chat, then deliver everything pending for it."""
        await self.enqueue(channel, chat_id, replies)
        return await self.deliver(channel, send, chat_id=chat_id)

    async def recover(self, channel: str, *, chat_id: str | None = None) -> int:
        """Make items a crashed deliverer left half-sent pending again (at startup)."""
        async with self._store.transaction() as tx:
            return await tx.outbox.recover(channel, chat_id=chat_id)

    async def pending(self, channel: str) -> int:
        async with self._store.transaction(write=False) as tx:
            return await tx.outbox.pending(channel)

    async def deliver(self, channel: str, send: Send, *, chat_id: str | None = None) -> int:
        """Send pending items for a channel (or one chat); return how many were sent.

        Chats are served side by side (up to `parallel` at once), each chat's items in order.
        """
        async with self._locks.setdefault(channel, asyncio.Lock()):
            async with self._store.transaction(durable=False) as tx:
                items = await tx.outbox.claim(channel, self._clock(), chat_id=chat_id)
            chats: dict[str, list[OutboxItem]] = {}
            for item in items:
                chats.setdefault(item.chat_id, []).append(item)
            limit = asyncio.Semaphore(self._parallel)

            async def one_chat(queue: list[OutboxItem]) -> int:
                async with limit:
                    index = 0
                    try:
                        for index, item in enumerate(queue):
                            if not await self._send_one(item, send):
                                # Later messages to this chat wait, or they would arrive out
                                # of order.
                                await self._unclaim(i.id for i in queue[index + 1 :])
                                return index
                    except asyncio.CancelledError:
                        # Stopped mid-way: what was never tried is pending again at once;
                        # only the item in flight stays claimed (recovered at the next start).
                        await self._unclaim(i.id for i in queue[index + 1 :])
                        raise
                    return len(queue)

            return sum(await asyncio.gather(*(one_chat(queue) for queue in chats.values())))

    async def _send_one(self, item: OutboxItem, send: Send) -> bool:
        try:
            await send(item)
        except Exception as exc:
            for_good = isinstance(exc, PermanentFailure)
            logger.warning(
                "outbox %d to %s: delivery failed (attempt %d%s): %s",
                item.id,
                item.channel,
                item.attempts + 1,
                ", for good" if for_good else "",
                type(exc).__name__,
                exc_info=not for_good,
            )
            delay = self._retry_delays[min(item.attempts, len(self._retry_delays) - 1)]
            retry_at = self._clock() + timedelta(seconds=delay)
            async with self._store.transaction() as tx:
                given_up = await tx.outbox.mark_failed(
                    item.id, retry_at=retry_at, for_good=for_good, failure=failure_of(exc)
                )
            if given_up:
                await self._report(item, exc)
            return False
        await self._marks.mark(item.id)
        return True

    async def _report(self, item: OutboxItem, error: Exception) -> None:
        try:
            await self._on_failed(item, error)
        except Exception:
            logger.exception("outbox %d: reporting the failure failed", item.id)

    async def _unclaim(self, item_ids: Iterable[int]) -> None:
        ids = list(item_ids)
        if ids:
            async with self._store.transaction(durable=False) as tx:
                await tx.outbox.unclaim(ids)


class Courier:
    """Keeps one channel's outbox moving: delivers when kicked, and every `interval` seconds
    for items whose back-off has passed or that another process queued (`faqbot tickets`)."""

    def __init__(self, outbox: Outbox, channel: str, send: Send, *, interval: float = 1.0) -> None:
        self._outbox = outbox
        self.channel = channel
        self._send = send
        self._interval = interval
        self._kicked = asyncio.Event()
        self._finishing = False

    def kick(self) -> None:
        """Something was queued: deliver now."""
        self._kicked.set()

    def finish(self) -> None:
        """End after one last round, so a clean stop leaves nothing claimed and unsent."""
        self._finishing = True
        self._kicked.set()

    async def run(self) -> None:
        """Deliver until cancelled, starting with whatever a crash left half-sent."""
        recovered = False
        while True:
            self._kicked.clear()
            try:
                if not recovered:  # a database locked at start must not end the courier
                    await self._outbox.recover(self.channel)
                    recovered = True
                await self._outbox.deliver(self.channel, self._send)
            except Exception:  # the database is busy or gone: try again next round
                logger.exception("outbox delivery for %s failed", self.channel)
            if self._finishing:
                return
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation
            # that stops this loop if a kick comes at the same moment.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._kicked.wait()


async def wind_down(
    tasks: set[asyncio.Task[None]], couriers: dict[asyncio.Task[None], Courier], *, drain: float
) -> None:
    """Stop a channel's tasks: receivers and workers at once, then each courier after a
    last round of deliveries (at most `drain` seconds), so a clean stop sends nothing twice."""
    others = [task for task in tasks if task not in couriers]
    for task in others:
        task.cancel()
    for task in others:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for courier in couriers.values():
        courier.finish()
    if couriers:
        await asyncio.wait(couriers, timeout=drain)
    for task in couriers:
        task.cancel()
    for task in couriers:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()
    couriers.clear()
