"""The console dashboard's numbers: questions per day, per entry, response times, open tickets.

Definitions (what the dashboard shows, and what it does not):
- Days are the clinic's local calendar days; the window is the last `days` of them,
  today included, and every day appears even with no questions.
- Overall answer rate: typed questions (`via='text'`) the bot answered from the knowledge
  base, over all typed questions. Button presses (picking an entry from a clarification
  or the menu) are left out of both sides: they are answers to a question already counted.
- Per entry, `answered` counts every answer with that entry, typed or picked.
  `offered` counts typed questions answered directly with the entry plus clarifications
  that listed it among the matcher's candidates; the entry's answer rate is direct answers
  over `offered`: how often, when the matcher thinks of this entry, it dares to answer.
  Escalations are not counted against an entry: their candidates are weak guesses.
- Not-helpful rate: answers with this entry marked 「役に立たなかった」 over answers with
  any feedback (None without feedback).
- Staff first response: `first_response_at - created_at` of tickets opened in the window
  that staff answered, as wall-clock time; given the clinic, also in business-hours
  minutes (the clock stops at night and on holidays), the fairer measure for staff.
- Open tickets are those waiting for staff (status 'open'), bucketed by age since they
  were opened; `answered` tickets wait for the patient and are counted apart.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.config import Clinic
from bot.hours import business_minutes
from bot.records import TicketStatus
from bot.store import Store
from bot.store_analytics import QuestionFact, TicketFact
from faq.decision import Action

# Decisions in the order charts stack them, with their Japanese labels.
ACTIONS: tuple[Action, ...] = (Action.ANSWER, Action.CLARIFY, Action.ESCALATE, Action.URGENT)
ACTION_LABELS: dict[Action, str] = {
    Action.ANSWER: "回答",
    Action.CLARIFY: "聞き返し",
    Action.ESCALATE: "スタッフへ",
    Action.URGENT: "緊急",
}

# (label, lower bound inclusive, upper bound exclusive or None)
AGE_BUCKETS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("1時間未満", timedelta(0), timedelta(hours=1)),
    ("1〜4時間", timedelta(hours=1), timedelta(hours=4)),
    ("4〜24時間", timedelta(hours=4), timedelta(hours=24)),
    ("1〜3日", timedelta(days=1), timedelta(days=3)),
    ("3日以上", timedelta(days=3), None),
)


@dataclass(frozen=True, slots=True)
class DayCounts:
    """Questions asked on one local day, by the bot's decision."""

    day: date
    answer: int = 0
    clarify: int = 0
    escalate: int = 0
    urgent: int = 0

    @property
    def total(self) -> int:
        return self.answer + self.clarify + self.escalate + self.urgent

    def count(self, action: Action) -> int:
        return int(getattr(self, action.value))


@dataclass(frozen=True, slots=True)
class EntryStats:
    """How one knowledge-base entry fared (see the module docstring for definitions)."""

    faq_id: str
    answered: int  # all answers with the entry, typed or picked from a button
    direct: int  # typed questions answered with it at once
    offered: int  # direct answers plus clarifications that listed it
    feedback: int
    not_helpful: int

    @property
    def answer_rate(self) -> float | None:
        return self.direct / self.offered if self.offered else None

    @property
    def not_helpful_rate(self) -> float | None:
        return self.not_helpful / self.feedback if self.feedback else None


@dataclass(frozen=True, slots=True)
class AgeBucket:
    """Open tickets whose age falls in [lower, upper)."""

    label: str
    lower: timedelta
    upper: timedelta | None
    count: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard page shows, for one window of local days."""

    since: datetime  # local midnight starting the first day
    until: datetime  # `now`
    days: tuple[DayCounts, ...]
    entries: tuple[EntryStats, ...]  # most answered first
    typed_questions: int
    typed_answered: int
    responded: int  # tickets opened in the window that staff answered
    median_first_response: timedelta | None
    median_first_response_business_minutes: float | None  # None without a clinic
    open_tickets: int  # waiting for staff
    answered_tickets: int  # staff answered, not closed: waiting for the patient
    urgent_tickets: int  # urgent among open and answered
    ticket_ages: tuple[AgeBucket, ...]

    @property
    def questions(self) -> int:
        return sum(d.total for d in self.days)

    @property
    def answer_rate(self) -> float | None:
        return self.typed_answered / self.typed_questions if self.typed_questions else None


async def dashboard(
    store: Store,
    *,
    clinic_tz: tzinfo,
    now: datetime,
    days: int = 30,
    clinic: Clinic | None = None,
) -> Dashboard:
    """The dashboard for the last `days` local days up to `now`.

    With `clinic`, the median first response is also given in business-hours minutes.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    today = now.astimezone(clinic_tz).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(), clinic_tz)
    # To the end of today, not `now`: a row stamped at `now` itself is in the window.
    end = datetime.combine(today + timedelta(days=1), time(), clinic_tz)
    async with store.transaction(write=False) as tx:
        questions = await tx.analytics.questions(since, end)
        tickets = await tx.analytics.tickets(since, end)
        active = await tx.analytics.active_tickets()
    typed = [q for q in questions if q.via == "text"]
    waiting = [t for t in active if t.status is TicketStatus.OPEN]
    responded = [t for t in tickets if t.first_response_at is not None]
    return Dashboard(
        since=since,
        until=now,
        days=per_day(questions, clinic_tz, first, days),
        entries=entry_stats(questions),
        typed_questions=len(typed),
        typed_answered=sum(q.action == Action.ANSWER for q in typed),
        responded=len(responded),
        median_first_response=median_first_response(tickets),
        median_first_response_business_minutes=(
            median_business_minutes(tickets, clinic) if clinic is not None else None
        ),
        open_tickets=len(waiting),
        answered_tickets=sum(t.status is TicketStatus.ANSWERED for t in active),
        urgent_tickets=sum(t.urgent for t in active),
        ticket_ages=age_buckets((t.created_at for t in waiting), now),
    )


def per_day(
    questions: Iterable[QuestionFact], tz: tzinfo, first: date, days: int
) -> tuple[DayCounts, ...]:
    """Counts per local day from `first`, `days` of them, zero-filled."""
    counts = {first + timedelta(days=i): dict.fromkeys(ACTIONS, 0) for i in range(days)}
    for q in questions:
        day = counts.get(q.created_at.astimezone(tz).date())
        if day is not None:
            day[Action(q.action)] += 1
    return tuple(
        DayCounts(day, *(by_action[a] for a in ACTIONS)) for day, by_action in counts.items()
    )


def entry_stats(questions: Iterable[QuestionFact]) -> tuple[EntryStats, ...]:
    """Per entry figures, most answered first (then by id)."""
    answered: dict[str, int] = {}
    direct: dict[str, int] = {}
    clarified: dict[str, int] = {}
    feedback: dict[str, int] = {}
    not_helpful: dict[str, int] = {}
    for q in questions:
        if q.action == Action.ANSWER and q.faq_id is not None:
            _bump(answered, q.faq_id)
            if q.via == "text":
                _bump(direct, q.faq_id)
            if q.helpful is not None:
                _bump(feedback, q.faq_id)
                if not q.helpful:
                    _bump(not_helpful, q.faq_id)
        elif q.action == Action.CLARIFY and q.via == "text":
            for faq_id in dict.fromkeys(q.candidates):
                _bump(clarified, faq_id)
    stats = [
        EntryStats(
            faq_id=faq_id,
            answered=answered.get(faq_id, 0),
            direct=direct.get(faq_id, 0),
            offered=direct.get(faq_id, 0) + clarified.get(faq_id, 0),
            feedback=feedback.get(faq_id, 0),
            not_helpful=not_helpful.get(faq_id, 0),
        )
        for faq_id in answered.keys() | clarified.keys()
    ]
    return tuple(sorted(stats, key=lambda s: (-s.answered, s.faq_id)))


def median_first_response(tickets: Iterable[TicketFact]) -> timedelta | None:
    """Median wall-clock time from a ticket's opening to staff's first reply."""
    waits = [
        (t.first_response_at - t.created_at).total_seconds()
        for t in tickets
        if t.first_response_at is not None
    ]
    return timedelta(seconds=statistics.median(waits)) if waits else None


def median_business_minutes(tickets: Iterable[TicketFact], clinic: Clinic) -> float | None:
    """Median business-hours minutes from a ticket's opening to staff's first reply."""
    waits = [
        business_minutes(clinic, t.created_at, t.first_response_at)
        for t in tickets
        if t.first_response_at is not None
    ]
    return float(statistics.median(waits)) if waits else None


def age_buckets(opened: Iterable[datetime], now: datetime) -> tuple[AgeBucket, ...]:
    """How many tickets opened at these times fall in each age bucket at `now`."""
    counts = [0] * len(AGE_BUCKETS)
    for created in opened:
        age = max(now - created, timedelta(0))  # a clock skew must not lose a ticket
        counts[_bucket(age)] += 1
    return tuple(
        AgeBucket(label, lower, upper, n)
        for (label, lower, upper), n in zip(AGE_BUCKETS, counts, strict=True)
    )


def _bucket(age: timedelta) -> int:
    for index, (_, _, upper) in enumerate(AGE_BUCKETS):
        if upper is None or age < upper:
            return index
    raise AssertionError("the last bucket has no upper bound")


def _bump(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def rate_text(value: float | None) -> str:
    """A rate as 「42%」, or 「—」 when there is nothing to divide by."""
    return "—" if value is None else f"{value:.0%}"
