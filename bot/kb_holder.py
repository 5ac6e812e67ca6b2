"""The knowledge base and matcher in use, swapped as one on reload (validate, then swap)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from faq.decision import Decision
from faq.model import KnowledgeBase

if TYPE_CHECKING:
    from faq.loader import Problem

logger = logging.getLogger(__name__)


class DecisionMaker(Protocol):
    """What the core needs from a matcher."""

    def decide(self, text: str, *, top: int = 3) -> Decision: ...


@dataclass(frozen=True, slots=True)
class Loaded:
    """A knowledge base and the matcher built from it: used together for one message."""

    kb: KnowledgeBase
    matcher: DecisionMaker


class KbSource(Protocol):
    """Where the core gets the knowledge base and matcher for each message (a KbHolder)."""

    @property
    def current(self) -> Loaded: ...


LoadKb = Callable[[Path | None], KnowledgeBase]
MakeMatcher = Callable[[KnowledgeBase], DecisionMaker]


def _load_kb(path: Path | None) -> KnowledgeBase:
    from faq.loader import load_kb

    return load_kb(path)


def _make_matcher(kb: KnowledgeBase) -> DecisionMaker:
    from faq.matcher import Matcher  # building it loads SudachiPy: only when needed

    return Matcher(kb)


class KbHolder:
    """Holds the current `Loaded`; `reload()` keeps the last good one on error."""

    def __init__(
        self,
        loaded: Loaded,
        *,
        path: Path | None = None,
        load: LoadKb = _load_kb,
        make_matcher: MakeMatcher = _make_matcher,
    ) -> None:
        self._loaded = loaded
        self.path = path
        self._load = load
        self._make_matcher = make_matcher

    @classmethod
    def from_path(
        cls,
        path: Path | None,
        *,
        load: LoadKb = _load_kb,
        make_matcher: MakeMatcher = _make_matcher,
    ) -> KbHolder:
        """Load the knowledge base at `path` (None: bundled); raises KnowledgeBaseError."""
        kb = load(path)
        if kb.red_flags_off:
            logger.warning("red-flag rules switched off: %s", ", ".join(kb.red_flags_off))
        return cls(Loaded(kb, make_matcher(kb)), path=path, load=load, make_matcher=make_matcher)

    @property
    def current(self) -> Loaded:
        return self._loaded

    def reload(self) -> list[Problem]:
        """Load again from `path`; on errors keep the current one and return the problems.

        Blocking (it reads files and builds the matcher): from async code, run it
        with `asyncio.to_thread`. The swap itself is one assignment.
        """
        from faq.loader import KnowledgeBaseError

        try:
            kb = self._load(self.path)
            loaded = Loaded(kb, self._make_matcher(kb))
        except KnowledgeBaseError as exc:
            logger.warning(
                "knowledge base reload failed (%d problems); kept the old one", len(exc.problems)
            )
            return exc.problems
        self._loaded = loaded
        logger.info("knowledge base reloaded: %d entries", len(kb.entries))
        return []
