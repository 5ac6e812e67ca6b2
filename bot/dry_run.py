"""The dry run: which past questions a knowledge-base change would answer, or answer
differently, before the change is saved."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.store import Store
from bot.store_learning import PastQuestion
from faq.decision import Action, Decision
from faq.matcher import Matcher
from faq.model import KnowledgeBase

__all__ = ["Change", "DryRunReport", "Outcome", "PastQuestion", "dry_run", "past_questions"]

# How many distinct past questions a dry run tries by default: the newest.
DEFAULT_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one knowledge base makes the bot do with a question."""

    action: Action
    faq_id: str | None
    score: float

    @classmethod
    def of(cls, decision: Decision) -> Outcome:
        return cls(decision.action, decision.faq_id, decision.score)

    @property
    def answered(self) -> bool:
        return self.action is Action.ANSWER


@dataclass(frozen=True, slots=True)
class Change:
    """A past question the candidate knowledge base handles differently."""

    text: str = field(repr=False)
    asked: int  # how many times patients asked it
    before: Outcome  # with the current knowledge base
    after: Outcome  # with the candidate


@dataclass(frozen=True, slots=True)
class DryRunReport:
    """What a change would do to the questions patients asked, most asked first."""

    now_answered: tuple[Change, ...]  # escalated, clarified (or urgent) before
    changed: tuple[Change, ...]  # answered before and after, by another entry
    no_longer_answered: tuple[Change, ...]
    unchanged: int  # past questions whose answer (or lack of one) stays the same
    checked: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "now_answered": len(self.now_answered),
            "changed": len(self.changed),
            "no_longer_answered": len(self.no_longer_answered),
            "unchanged": self.unchanged,
            "checked": self.checked,
        }


async def past_questions(store: Store, *, limit: int = DEFAULT_LIMIT) -> list[PastQuestion]:
    """The newest `limit` distinct typed questions, with what was decided the last time."""
    async with store.transaction(write=False) as tx:
        return await tx.learning.past_questions(limit=limit)


def dry_run(
    current: KnowledgeBase | Matcher,
    candidate: KnowledgeBase | Matcher,
    questions: Sequence[PastQuestion],
) -> DryRunReport:
    """Run every question through both knowledge bases' matchers and report the changes.

    CPU-bound (a matcher takes ~0.4 s to build, ~1 ms a question): from async code call it
    with `asyncio.to_thread`, or use `preview`. Pass the live Matcher as `current` to
    save building it again.
    """
    before = current if isinstance(current, Matcher) else Matcher(current)
    after = candidate if isinstance(candidate, Matcher) else Matcher(candidate)
    now_answered: list[Change] = []
    changed: list[Change] = []
    lost: list[Change] = []
    for question in sorted(questions, key=lambda q: -q.asked):
        change = Change(
            question.text,
            question.asked,
            Outcome.of(before.decide(question.text)),
            Outcome.of(after.decide(question.text)),
        )
        was, now = change.before, change.after
        if now.answered and not was.answered:
            now_answered.append(change)
        elif was.answered and not now.answered:
            lost.append(change)
        elif was.answered and was.faq_id != now.faq_id:
            changed.append(change)
    unchanged = len(questions) - len(now_answered) - len(changed) - len(lost)
    return DryRunReport(tuple(now_answered), tuple(changed), tuple(lost), unchanged, len(questions))


async def preview(
    store: Store,
    current: KnowledgeBase | Matcher,
    candidate: KnowledgeBase | Matcher,
    *,
    limit: int = DEFAULT_LIMIT,
) -> DryRunReport:
    """The dry run of `candidate` on the store's past questions, off the event loop."""
    questions = await past_questions(store, limit=limit)
    return await asyncio.to_thread(dry_run, current, candidate, questions)
