"""The learning loop: questions the bot could not help with, grouped by similarity.

Admins turn a group into another phrasing of an entry or a new entry (pre-filled with
the staff reply that resolved it). Similar means: the same content words, compared by
their kana reading (献血 and けんけつ meet, できますか and できる lose their endings),
each word weighted by how rare it is among the questions grouped, so two questions that
share イソトレチノイン but ask about 献血 and お酒 stay apart.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz, process

from bot.store import Store
from bot.store_learning import LearningRow
from faq.normalize import Normalizer

# Two questions are one group from this weighted overlap (of content words, or of their
# readings' bigrams) on. Measured on ~30 hand-written questions: kana or kanji, polite
# or casual variants of one question scored 0.57-1.0 (paraphrases with other words,
# 翌日/次の日, 0.39-0.52: left apart); different questions sharing イソトレチノイン/飲む
# or 治療中に…てもいい scored at most 0.48. tests/bot/test_learning.py keeps examples.
SIMILAR = 0.55
# ... or from this edit-distance ratio of their readings (typos, 日サロ/ひやけさろん
# read alike but split into different words).
SIMILAR_READING = 90.0
# At most this many questions are read for grouping: the newest.
MAX_ROWS = 2000
# Words that say nothing about what is asked, by reading; Normalizer drops most, not these
# dictionary forms (出来る for できる) nor the yes/no of the question (大丈夫, 駄目).
_GENERIC = frozenset(
    "いる できる する ある なる いい よい だめ だいじょうぶ へいき おーけー ok ちゅう"
    " おもう ください くださる".split()
)


@dataclass(frozen=True, slots=True)
class Member:
    """One question in a group: a patient's question, or a proposal staff made of it."""

    text: str = field(repr=False)
    asked_at: datetime
    question_id: int | None
    escalated: bool
    not_helpful: bool
    proposals: tuple[tuple[int, str], ...]  # (proposal id, entry id) staff proposed with /learn
    candidates: tuple[tuple[str, float], ...]  # the entries the matcher found closest
    staff_reply: str | None = field(repr=False)


@dataclass(frozen=True, slots=True)
class Suggested:
    """An entry the matcher found close to some members of a group."""

    faq_id: str
    members: int  # how many members had it among their candidates
    best_score: float


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Questions asked alike, newest first, with what an admin needs to act on them."""

    representative: str = field(repr=False)
    members: tuple[Member, ...]
    escalated: int
    not_helpful: int
    proposed: int
    suggested: tuple[Suggested, ...]  # most members first, then best score
    staff_replies: tuple[str, ...] = field(repr=False)  # distinct, newest first
    proposed_faq_ids: tuple[str, ...]  # distinct, most proposed first

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def last_asked(self) -> datetime:
        return self.members[0].asked_at

    @property
    def question_ids(self) -> tuple[int, ...]:
        return tuple(m.question_id for m in self.members if m.question_id is not None)

    @property
    def proposal_ids(self) -> tuple[int, ...]:
        return tuple(pid for m in self.members for pid, _ in m.proposals)


class ProposalError(Exception):
    """A proposal that cannot be resolved (unknown id, bad status)."""


async def unresolved_groups(
    store: Store, normalizer: Normalizer, *, since: datetime | None = None, limit: int = 50
) -> list[QuestionGroup]:
    """The `limit` largest groups of questions to learn from, most frequent first, then
    most recent: escalated (never urgent) or not helpful, and pending staff proposals."""
    async with store.transaction(write=False) as tx:
        questions = await tx.learning.unresolved_questions(since=since, limit=MAX_ROWS)
        proposals = await tx.learning.pending_proposals(since=since, limit=MAX_ROWS)
    members = merge_rows(questions, proposals)
    # Reading every question with SudachiPy is CPU work: keep the event loop free.
    return await asyncio.to_thread(group_members, members, normalizer, limit=limit)


async def resolve_proposal(store: Store, proposal_id: int, status: str) -> None:
    """Mark a staff proposal 'accepted' or 'rejected' once an admin has decided."""
    if status not in ("accepted", "rejected"):
        raise ProposalError(f"status must be 'accepted' or 'rejected', not {status!r}")
    async with store.transaction() as tx:
        if not await tx.learning.set_proposal_status(proposal_id, status):
            raise ProposalError(f"no proposal #{proposal_id}")


def merge_rows(questions: Sequence[LearningRow], proposals: Sequence[LearningRow]) -> list[Member]:
    """One member per question, carrying the proposals staff made of it; newest first."""
    members: dict[int, Member] = {}
    loose: list[Member] = []  # proposals from tickets without a question
    for row in questions:
        assert row.question_id is not None
        members[row.question_id] = _member(row)
    for row in proposals:
        assert row.proposal_id is not None and row.proposed_faq_id is not None
        proposal = (row.proposal_id, row.proposed_faq_id)
        if row.question_id is None:
            loose.append(_member(row, proposal))
        elif (known := members.get(row.question_id)) is not None:
            members[row.question_id] = replace(known, proposals=(*known.proposals, proposal))
        else:  # its question was answered and not rated: the proposal stands for it
            members[row.question_id] = _member(row, proposal)
    return sorted([*members.values(), *loose], key=lambda m: m.asked_at, reverse=True)


def group_members(
    members: Sequence[Member], normalizer: Normalizer, *, limit: int = 50
) -> list[QuestionGroup]:
    """Leader clustering: members with the same content words form buckets; the largest
    bucket leads a group and every later bucket joins the most similar leader, if any."""
    keys = _Keys(normalizer)
    buckets: dict[tuple[str, ...], list[Member]] = defaultdict(list)
    for member in members:  # newest first, so every bucket is too
        buckets[keys.words(member.text)].append(member)
    shapes = {words: (frozenset(words), _bigrams("".join(words))) for words in buckets}
    word_idf = _idf([(shapes[words][0], len(b)) for words, b in buckets.items()])
    gram_idf = _idf([(shapes[words][1], len(b)) for words, b in buckets.items()])

    def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
        # Words miss what SudachiPy splits differently in kana (ぴあす → ぴあ+す);
        # bigrams of the words run together do not.
        (a_words, a_grams), (b_words, b_grams) = shapes[a], shapes[b]
        return max(_overlap(a_words, b_words, word_idf), _overlap(a_grams, b_grams, gram_idf))

    ordered = sorted(buckets.items(), key=lambda kv: (-len(kv[1]), -kv[1][0].asked_at.timestamp()))
    leaders: list[tuple[str, ...]] = []
    spelled: list[str] = []  # each leader's words run together, for edit distance
    groups: list[list[Member]] = []
    by_gram: dict[str, list[int]] = defaultdict(list)  # bigram -> leaders having it
    for words, bucket in ordered:
        nearby = {n for g in shapes[words][1] for n in by_gram[g]}
        scores = {n: similarity(words, leaders[n]) for n in nearby}
        close = process.extractOne(
            "".join(words), spelled, scorer=fuzz.ratio, score_cutoff=SIMILAR_READING
        )
        if close is not None:
            scores[close[2]] = 1.0
        best = max(scores, key=lambda n: (scores[n], -n), default=None)
        if best is not None and scores[best] >= SIMILAR:
            groups[best].extend(bucket)
            continue
        for g in shapes[words][1]:
            by_gram[g].append(len(leaders))
        leaders.append(words)
        spelled.append("".join(words))
        groups.append(list(bucket))
    built = [_group(g) for g in groups]
    built.sort(key=lambda g: (-g.size, -g.last_asked.timestamp()))
    return built[:limit]


class _Keys:
    """The content words of a text by kana reading, in order, generic words left out."""

    def __init__(self, normalizer: Normalizer) -> None:
        self._normalizer = normalizer
        self._readings: dict[str, str] = {}

    def words(self, text: str) -> tuple[str, ...]:
        analysis = self._normalizer.analyse(text)
        readings = (self._reading(lemma) for lemma in analysis.lemmas)
        words = tuple(dict.fromkeys(r for r in readings if r not in _GENERIC))
        # nothing but generic words (「大丈夫ですか」): the whole reading is the key
        return words if words else (analysis.reading,)

    def _reading(self, lemma: str) -> str:
        if lemma not in self._readings:
            self._readings[lemma] = self._normalizer.analyse(lemma, synonyms=False).reading
        return self._readings[lemma]


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) or frozenset({text})


def _idf(features: list[tuple[frozenset[str], int]]) -> dict[str, float]:
    """How rare each feature is among the questions being grouped (feature set, count)."""
    df: Counter[str] = Counter()
    for found, count in features:
        for f in found:
            df[f] += count
    total = sum(count for _, count in features)
    return {f: math.log(1 + total / d) for f, d in df.items()}


def _overlap(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    """Overlap of two feature sets, each weighing idf squared: the rare words that say
    what is asked (献血) count far more than the common ones (イソトレチノイン)."""
    shared = sum(idf[f] ** 2 for f in a & b)
    total = sum(idf[f] ** 2 for f in a) + sum(idf[f] ** 2 for f in b)
    return 2 * shared / total if total else 0.0


def _group(members: list[Member]) -> QuestionGroup:
    """A group's counts and suggestions; the first member (the leader's newest) represents it."""
    representative = members[0].text
    members = sorted(members, key=lambda m: m.asked_at, reverse=True)
    hits: Counter[str] = Counter()
    best: dict[str, float] = {}
    for m in members:
        for faq_id, score in m.candidates:
            hits[faq_id] += 1
            best[faq_id] = max(best.get(faq_id, 0.0), score)
    suggested = sorted(
        (Suggested(faq_id, n, best[faq_id]) for faq_id, n in hits.items()),
        key=lambda s: (-s.members, -s.best_score, s.faq_id),
    )
    proposed = Counter(faq_id for m in members for _, faq_id in m.proposals)
    replies = dict.fromkeys(m.staff_reply for m in members if m.staff_reply)
    return QuestionGroup(
        representative=representative,
        members=tuple(members),
        escalated=sum(m.escalated for m in members),
        not_helpful=sum(m.not_helpful for m in members),
        proposed=sum(len(m.proposals) for m in members),
        suggested=tuple(suggested),
        staff_replies=tuple(replies),
        proposed_faq_ids=tuple(faq_id for faq_id, _ in proposed.most_common()),
    )


def _member(row: LearningRow, proposal: tuple[int, str] | None = None) -> Member:
    return Member(
        text=row.text,
        asked_at=row.created_at,
        question_id=row.question_id,
        escalated=row.escalated,
        not_helpful=row.not_helpful,
        proposals=(proposal,) if proposal is not None else (),
        candidates=row.candidates,
        staff_reply=row.staff_reply,
    )
