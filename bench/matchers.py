"""What the bench needs from a matcher, and our matcher seen through that interface."""

from __future__ import annotations

from typing import Protocol

from faq.decision import Candidate, Decision
from faq.matcher import Matcher

OURS = "faqbot"


class BenchMatcher(Protocol):
    """A matcher the bench can score: decisions for accuracy, rank lists for retrieval."""

    @property
    def name(self) -> str: ...

    def decide(self, text: str, *, top: int = 3) -> Decision: ...

    def rank(self, text: str) -> list[Candidate]:
        """Entries with some evidence for the text, best first."""
        ...


class Ours:
    """Our matcher, red-flag and handover rules included, as the bot runs it."""

    def __init__(self, matcher: Matcher, name: str = OURS) -> None:
        self.matcher = matcher
        self.name = name

    def decide(self, text: str, *, top: int = 3) -> Decision:
        return self.matcher.decide(text, top=top)

    def rank(self, text: str) -> list[Candidate]:
        return self.matcher.rank(self.matcher.normalizer.analyse(text))
