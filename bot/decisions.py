"""The matcher's decisions, made ahead in a worker process when the bot has one.

Matching is the largest piece of CPU work a patient's message causes (~2 ms), and the
inbox used to do it inside the store's transaction, holding the store's lock while the
event loop could do nothing else. Here the inbox hands the texts of the next updates to
`prepare` before its transaction opens; a worker process (the machine's other core)
decides them, and the conversation core takes each decision from here when it gets to
the message. Anything not prepared (a button, a message that came in between, a worker
that is slow or gone) is decided inline exactly as before: preparing only saves time,
it never changes an answer. The worker builds its own matcher from the same knowledge
base object, so its decisions are the ones the bot's own matcher would make.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.kb_holder import KbSource, Loaded
from faq.decision import Decision
from faq.model import KnowledgeBase

if TYPE_CHECKING:
    from faq.matcher import Matcher
    from faq.risk import Bands

logger = logging.getLogger(__name__)

KEEP = 512  # decisions prepared but not yet used; more means they will not be
PREPARE_TIMEOUT = 5.0  # seconds; a slower worker is skipped, its texts decided inline
WARM_UP = "はじめまして"  # decided once at start: the worker builds its matcher then


class UnknownKnowledgeBase(Exception):
    """The worker has not seen this knowledge base version (it was restarted)."""


# The worker process's one matcher, and the version of the knowledge base it was built from.
_worker: dict[int, Matcher] = {}


def decide_in_worker(
    version: int,
    kb: KnowledgeBase | None,
    thresholds: Bands,
    texts: Sequence[str],
    top: int,
) -> list[Decision]:
    """Runs in the worker: `kb` comes with the first request of each new version."""
    from faq.matcher import Matcher  # loads SudachiPy: in the worker, and only here

    matcher = _worker.get(version)
    if matcher is None:
        if kb is None:
            raise UnknownKnowledgeBase(version)
        _worker.clear()
        matcher = _worker[version] = Matcher(kb, thresholds=thresholds)
    return [matcher.decide(text, top=top) for text in texts]


def _end_with_parent() -> None:
    """Runs in the worker at start: when the bot's process ends, even by kill -9, so does
    the worker (it would otherwise wait for work forever)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Decider:
    """Decisions for the conversation core: prepared in a worker process, else inline."""

    def __init__(self, *, worker: bool) -> None:
        self._use_worker = worker
        self._pool: ProcessPoolExecutor | None = None
        self._sent: Loaded | None = None  # the knowledge base the worker has (kept alive)
        self._version = 0
        # (loaded's id, text, top) -> (loaded, the batch's decisions, the text's place in it)
        self._pending: dict[tuple[int, str, int], _Prepared] = {}
        self.from_worker = 0  # decisions the worker made that were used (for tests, benches)

    def decide(self, loaded: Loaded, text: str, *, top: int) -> Decision:
        """The decision the worker made for `text` under `loaded`, if it is back; else one
        made here and now (never waiting: the caller holds the store's lock; waiting is
        `finished`'s job, before the transaction)."""
        prepared = self._pending.pop((id(loaded), text, top), None)
        if prepared is not None and prepared.loaded is loaded:
            batch = prepared.batch
            if batch.done() and not batch.cancelled() and batch.exception() is None:
                self.from_worker += 1
                return batch.result()[prepared.index]
        return loaded.matcher.decide(text, top=top)

    def prepare(self, loaded: Loaded, texts: Sequence[str], *, top: int) -> None:
        """Send `texts` to the worker now; `decide` takes their decisions later."""
        if not self._use_worker:
            return
        matcher = _ours(loaded)
        wanted = [
            t for t in dict.fromkeys(texts) if t and (id(loaded), t, top) not in self._pending
        ]
        if matcher is None or not wanted:
            return  # a test's own matcher, or nothing new: decided inline
        try:
            future = self._submit(loaded, matcher.thresholds, wanted, top)
        except (BrokenProcessPool, RuntimeError):
            self._restart()  # decided inline this time
            return
        batch = asyncio.wrap_future(future)
        batch.add_done_callback(self._settled)
        for index, text in enumerate(wanted):
            self._pending[(id(loaded), text, top)] = _Prepared(loaded, batch, index)
        while len(self._pending) > KEEP:  # prepared for messages never handled: oldest go
            del self._pending[next(iter(self._pending))]

    async def finished(self, loaded: Loaded, texts: Sequence[str], *, top: int) -> None:
        """Until the decisions of `texts` are back (or PREPARE_TIMEOUT has passed)."""
        keys = ((id(loaded), text, top) for text in texts)
        batches = {p.batch for p in map(self._pending.get, keys) if p is not None}
        if batches:
            _, late = await asyncio.wait(batches, timeout=PREPARE_TIMEOUT)
            if late:
                logger.warning("the matcher's worker is slow; deciding inline meanwhile")

    async def start(self, loaded: Loaded, *, top: int) -> None:
        """Start the worker and have it build its matcher now, not at the first message."""
        self.prepare(loaded, [WARM_UP], top=top)
        await self.finished(loaded, [WARM_UP], top=top)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        self._pending.clear()
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    def _submit(
        self, loaded: Loaded, thresholds: Bands, texts: list[str], top: int
    ) -> Future[list[Decision]]:
        if self._pool is None:
            # spawn: a fork of a process with threads (aiosqlite's) is not safe
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_end_with_parent
            )
        kb = None
        if loaded is not self._sent:
            self._version += 1
            self._sent, kb = loaded, loaded.kb
        return self._pool.submit(decide_in_worker, self._version, kb, thresholds, texts, top)

    def _settled(self, batch: asyncio.Future[list[Decision]]) -> None:
        """A batch came back; if the worker failed, the next batch starts it afresh."""
        if batch.cancelled():
            return
        error = batch.exception()
        if isinstance(error, UnknownKnowledgeBase):
            self._sent = None  # a new worker: the knowledge base goes with the next batch
        elif isinstance(error, BrokenProcessPool):
            logger.warning("the matcher's worker process stopped; starting a new one")
            self._restart()
        elif error is not None:
            logger.error("the matcher's worker failed: %r", error)

    def _restart(self) -> None:
        pool, self._pool, self._sent = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class _Prepared:
    loaded: Loaded
    batch: asyncio.Future[list[Decision]]
    index: int


def _ours(loaded: Loaded) -> Matcher | None:
    """The knowledge base's own matcher (which the worker can rebuild); None for others."""
    from faq.matcher import Matcher  # already imported wherever a Matcher exists

    return loaded.matcher if isinstance(loaded.matcher, Matcher) else None


TextOf = Callable[[str], str | None]  # a stored update's payload -> the words to match


class MatchAhead:
    """The inbox's head start (bot.inbox.HeadStart): patients' words go to the matcher's
    worker as their updates are received, and the inbox waits for the decisions before
    it opens the transaction that handles them."""

    def __init__(self, decider: Decider, kb: KbSource, top: int, text_of: TextOf) -> None:
        self._decider = decider
        self._kb = kb
        self._top = top
        self._text_of = text_of

    def start(self, payloads: Sequence[str]) -> None:
        self._decider.prepare(self._kb.current, self._texts(payloads), top=self._top)

    async def finished(self, payloads: Sequence[str]) -> None:
        await self._decider.finished(self._kb.current, self._texts(payloads), top=self._top)

    def _texts(self, payloads: Sequence[str]) -> list[str]:
        return [text.strip() for text in map(self._text_of, payloads) if text]
