"""The inbox: updates are committed before the messenger is told, then processed in order.

Each update is processed together with everything it causes (the patient's question, the
ticket, the replies queued in the outbox) and marked done in the same transaction: after
a crash it is either wholly done or still pending. A few updates share one commit, each
in its own savepoint, so one that fails is undone alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.store import Store

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]
# Processes one update's payload inside the inbox's transaction; network calls belong
# in the returned actions, which run after the commit.
Handler = Callable[[str], Awaitable[Sequence[AfterCommit]]]


class HeadStart(Protocol):
    """Work on updates that needs no store (the matcher's decisions, in a worker
    process): started when they are received and awaited before their transaction opens,
    so that the store's lock is never held while it is done. Only ever a head start: the
    handler must get the same result without it."""

    def start(self, payloads: Sequence[str]) -> None: ...

    async def finished(self, payloads: Sequence[str]) -> None: ...


# Telegram keeps an unconfirmed update for 24 hours; a key older than this cannot come again.
KEEP_KEYS = timedelta(days=2)


class Inbox:
    """One channel's incoming updates."""

    def __init__(
        self, store: Store, channel: str, clock: Clock, *, head_start: HeadStart | None = None
    ) -> None:
        self._store = store
        self._head_start = head_start
        self.channel = channel
        self._clock = clock
        self._arrived = asyncio.Event()

    async def receive(self, updates: Sequence[tuple[str, str]]) -> int:
        """Commit (update id, payload) pairs; return how many were new. Then confirm them."""
        async with self._store.transaction() as tx:
            added = await tx.inbox.add_many(self.channel, updates, self._clock())
        self._arrived.set()
        if self._head_start is not None:
            try:
                self._head_start.start([payload for _, payload in updates])
            except Exception:  # only a head start: the handler does it all anyway
                logger.exception("%s updates: head start failed", self.channel)
        return added

    async def process_pending(self, handler: Handler, *, batch: int = 4) -> int:
        """Process every pending update, oldest first; return how many were processed.

        Up to `batch` updates share one commit; their follow-ups run after it. Small
        batches hold the store's lock briefly, so the couriers send while we process
        (`python -m bench telegram`, A/B: 20 a batch ran at 69–79 messages/s, 4 at 96–102).
        """
        count = 0
        while True:
            after: list[AfterCommit] = []
            await self._finish_head_start(batch)
            # not durable: the updates are (receive), and are done again if this is undone
            async with self._store.transaction(durable=False) as tx:
                rows = await tx.inbox.pending(self.channel, limit=batch)
                for row in rows:
                    follow_ups = await self._process(row.update_id, row.payload, handler)
                    after += follow_ups or ()
                    await tx.inbox.finish(row.id, failed=follow_ups is None, now=self._clock())
            if not rows:
                return count
            count += len(rows)
            for action in after:
                try:
                    await action()
                except Exception:
                    logger.exception("%s update: follow-up failed", self.channel)

    async def _finish_head_start(self, batch: int) -> None:
        """Wait for the head start of the next batch (or start it: updates a crash left)."""
        if self._head_start is None:
            return
        async with self._store.transaction(write=False) as tx:
            rows = await tx.inbox.pending(self.channel, limit=batch)
        payloads = [row.payload for row in rows]
        try:
            self._head_start.start(payloads)  # a no-op for what has been started
            await self._head_start.finished(payloads)
        except Exception:
            logger.exception("%s updates: head start failed", self.channel)

    async def _process(
        self, update_id: str, payload: str, handler: Handler
    ) -> Sequence[AfterCommit] | None:
        """The update's follow-ups; None if it failed (its work is undone, it is logged)."""
        try:
            async with self._store.transaction():  # a savepoint: failure undoes it all
                return await handler(payload)
        except Exception:
            logger.exception("%s update %s: processing failed", self.channel, update_id)
            return None

    async def prune(self) -> int:
        async with self._store.transaction() as tx:
            return await tx.inbox.prune(received_before=self._clock() - KEEP_KEYS)

    async def run(self, handler: Handler, *, interval: float = 60.0) -> None:
        """Process updates as they arrive (and any a crash left pending) until cancelled."""
        pruned = False
        while True:
            self._arrived.clear()
            try:
                if not pruned:  # a database locked at start must not end the worker
                    await self.prune()
                    pruned = True
                await self.process_pending(handler)
            except Exception:  # the database itself failed: try again shortly
                logger.exception("%s inbox: processing stopped; retrying", self.channel)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation
            # that stops this loop if the event is set at the same moment.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._arrived.wait()
