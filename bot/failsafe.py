"""Triage that keeps working when the knowledge base or the database does not.

- The clinic's knowledge base fails to load at start: the bot starts anyway with the
  bundled knowledge base's red flags and texts, and hands every other question to staff
  (the bundled answers are not this clinic's). A reload of the fixed files replaces it.
- The database fails on a write (locked, disk I/O, read-only): an urgent message still
  gets its safety message, built in memory, and its ticket and staff alert are held here
  until the store works again. Other messages raise, so the messenger sends them again.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.kb_holder import KbHolder, Loaded
from bot.messages import IncomingMessage
from bot.store import StoreError
from faq.decision import Action, Decision
from faq.model import KnowledgeBase, RedFlag
from faq.normalize import Normalizer
from faq.rules import RuleSet

if TYPE_CHECKING:
    from faq.loader import Problem

logger = logging.getLogger(__name__)

# What a store that cannot be written raises (sqlite3's errors come through aiosqlite as is).
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, StoreError)
# Urgent messages held while the store is down; beyond this the oldest are logged and dropped.
MAX_HELD = 1000
NO_KB_REASON = "knowledge base not loaded"


class RedFlagTriage:
    """A matcher that only knows red flags: everything else goes to staff."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._normalizer = Normalizer(kb.synonyms)
        self._rules = RuleSet[RedFlag](kb.red_flags, self._normalizer)

    def red_flag(self, text: str) -> Decision | None:
        """The urgent decision if a red flag fires, else None."""
        found = self._rules.first_match(self._normalizer.analyse(text))
        if found is None:
            return None
        flag, term = found
        return Decision(Action.URGENT, None, 1.0, rule_id=flag.id, reason=f"red flag: {term}")

    def decide(self, text: str, *, top: int = 3) -> Decision:
        return self.red_flag(text) or Decision(Action.ESCALATE, None, 0.0, reason=NO_KB_REASON)


class TriageCache:
    """A RedFlagTriage for the knowledge base in use, built again after a reload."""

    def __init__(self) -> None:
        self._built: RedFlagTriage | None = None

    def of(self, loaded: Loaded) -> RedFlagTriage:
        if isinstance(loaded.matcher, RedFlagTriage):
            return loaded.matcher
        if self._built is None or self._built.kb is not loaded.kb:
            self._built = RedFlagTriage(loaded.kb)
        return self._built


def open_holder(path: Path | None) -> tuple[KbHolder, list[Problem]]:
    """The clinic's knowledge base, or else the fail-safe one and why (the problems).

    Blocking (files, SudachiPy): run it in a thread. Raises KnowledgeBaseError only if
    the bundled knowledge base itself is broken.
    """
    from faq.loader import KnowledgeBaseError, load_kb

    try:
        return KbHolder.from_path(path), []
    except KnowledgeBaseError as exc:
        problems = exc.problems
        logger.error(
            "knowledge base %s did not load (%d problems); triaging with the bundled red flags"
            " and handing every question to staff until it is fixed",
            path,
            len(exc.problems),
        )
        for problem in exc.problems:
            logger.error("knowledge base problem: %s", problem)
    bundled = load_kb(None)
    return KbHolder(Loaded(bundled, RedFlagTriage(bundled)), path=path), problems


@dataclass(frozen=True, slots=True)
class HeldUrgent:
    """An urgent message answered from memory while the store was down, to be recorded."""

    msg: IncomingMessage
    kb: KnowledgeBase
    decision: Decision
    at: datetime


class HeldUrgents:
    """Urgent messages waiting for the store, once each (a redelivered update is one)."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str, str], HeldUrgent] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, held: HeldUrgent) -> None:
        if len(self._held) >= MAX_HELD:
            oldest = next(iter(self._held))
            logger.error("too many urgent messages held; dropped the oldest (%s)", oldest[0])
            del self._held[oldest]
        self._held[_key(held.msg)] = held

    def take(self, msg: IncomingMessage) -> HeldUrgent | None:
        """The held copy of this message, removed (its normal handling records it)."""
        return self._held.pop(_key(msg), None)

    def take_all(self) -> list[HeldUrgent]:
        held, self._held = list(self._held.values()), {}
        return held


def _key(msg: IncomingMessage) -> tuple[str, str, str]:
    return (msg.channel, msg.user_id, msg.message_id)
