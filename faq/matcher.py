"""Decide what to do with a patient's message: urgent, answer, clarify or escalate.

Scoring, per entry, combines three kinds of evidence, each in 0..1:
- phrasing: the best of (a) IDF-weighted overlap of reading bigrams and words with
  one phrasing, and (b) RapidFuzz's edit-distance ratio on the readings (typos);
- vocabulary: how much of the message the entry's whole vocabulary explains
  (long messages with context around the question);
- keyword: an entry keyword occurs in the message (exactly, or with a typo).
"""

from __future__ import annotations

import bisect
import math
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

from rapidfuzz import fuzz, process

from faq.decision import Action, Candidate, Decision
from faq.keywords import KeywordIndex
from faq.model import Entry, Handover, KnowledgeBase, RedFlag
from faq.normalize import Analysis, Normalizer
from faq.rules import RuleSet

# Weights of the three kinds of evidence; they sum to 1.
W_PHRASING, W_VOCABULARY, W_KEYWORD = 0.5, 0.2, 0.3
# A phrasing wholly inside a longer message counts this much of an exact match.
W_CONTAINED = 0.6
# Edit-distance ratios of readings below this say nothing.
RATIO_FLOOR = 70.0
# Up to this many phrasings every reading is compared by edit distance; beyond,
# only those of the entries already found.
RATIO_SCAN_ALL = 20_000
# How much a feature no entry has weighs, relative to the rarest known one.
UNSEEN_WEIGHT = 0.25
# Candidates are the SHORTLIST phrasings sharing the most features that at most
# SELECTIVE_SHARE of all phrasings (or SELECTIVE_MIN) have.
SHORTLIST = 100
# Entries given the full score (with vocabulary evidence), best by the rest first.
ENTRY_SHORTLIST = 30
SELECTIVE_SHARE = 0.005
SELECTIVE_MIN = 200
# A keyword word used by at most this many entries is matched in any conjugation.
SPECIFIC_LEMMA_ENTRIES = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where the decision bands start; precision first, a wrong answer costs most."""

    answer: float = 0.55
    margin: float = 0.08
    # a lower score is enough when nothing else comes close
    answer_alone: float = 0.44
    margin_alone: float = 0.2
    clarify: float = 0.35
    # a greeting or thanks answered by mistake costs little, so it needs less
    smalltalk: float = 0.45


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    text: str
    reading: str
    features: tuple[str, ...]
    weight: float


class Matcher:
    """Matches messages against one knowledge base; build once per knowledge base."""

    def __init__(self, kb: KnowledgeBase, *, thresholds: Thresholds | None = None) -> None:
        self.kb = kb
        self.thresholds = thresholds or Thresholds()
        self.normalizer = Normalizer(kb.synonyms)
        self._entries: tuple[Entry, ...] = kb.entries
        self._red_flags = RuleSet[RedFlag](kb.red_flags, self.normalizer)
        self._handover = RuleSet[Handover](kb.handover, self.normalizer)
        raw = [self._phrasings_of(i, e) for i, e in enumerate(self._entries)]
        vocabularies = [set().union(*(f for _, _, f in phr)) for phr in raw]
        self._idf = _idf(vocabularies)
        self._unseen = math.log(1 + (len(raw) + 0.5) / 0.5) * UNSEEN_WEIGHT
        self._keywords = KeywordIndex(
            [e.keywords for e in self._entries],
            self.normalizer,
            specific_lemmas=_specific_lemmas(vocabularies),
        )
        self._phrasings = [
            _Phrasing(i, text, reading, feats, self._weight(feats))
            for i, phr in enumerate(raw)
            for text, reading, feats in phr
        ]
        self._phrasing_readings = [p.reading for p in self._phrasings]
        # the phrasings by the length of their reading, for _close_readings' window
        self._by_length = sorted(
            range(len(self._phrasings)), key=lambda n: len(self._phrasing_readings[n])
        )
        self._readings_by_length = [self._phrasing_readings[n] for n in self._by_length]
        self._lengths = [len(r) for r in self._readings_by_length]
        self._vocab = [frozenset(v) for v in vocabularies]
        self._index: dict[str, list[int]] = defaultdict(list)
        self._entry_phrasings: list[list[int]] = [[] for _ in self._entries]
        for n, p in enumerate(self._phrasings):
            self._entry_phrasings[p.entry].append(n)
            for f in p.features:
                self._index[f].append(n)
        # a feature in more phrasings than this is too common to find candidates by
        self._selective = max(SELECTIVE_MIN, int(SELECTIVE_SHARE * len(self._phrasings)))
        # the features that find candidates, with their weight: one lookup per feature
        self._selective_index = {
            f: (self._idf[f], postings)
            for f, postings in self._index.items()
            if len(postings) <= self._selective
        }
        self._by_id = {e.id: e for e in self._entries}

    def decide(self, text: str, *, top: int = 3) -> Decision:
        """The decision for one message, with its score and best candidates."""
        message = self.normalizer.analyse(text)
        red_flag = self._red_flags.first_match(message)
        if red_flag is not None:
            flag, term = red_flag
            return Decision(Action.URGENT, None, 1.0, rule_id=flag.id, reason=f"red flag: {term}")
        candidates = self.rank(message, limit=max(top, 2))
        handover = self._handover.first_match(message)
        if handover is not None:
            rule, term = handover
            return Decision(
                Action.ESCALATE,
                None,
                0.0,
                tuple(candidates[:top]),
                rule_id=rule.id,
                reason=f"handover: {term}",
            )
        return self._band(candidates, top)

    def rank(self, message: Analysis, *, limit: int = 10) -> list[Candidate]:
        """The `limit` best entries with any evidence, best first."""
        keyword, message = self._keywords.hits(message)
        features = _features(message)
        present = frozenset(features)
        q_weight = self._weight(features) or 1.0
        known = self._known_weight
        best = self._phrasing_evidence(features, present, q_weight)
        # edit distance catches typos the bigrams miss
        for n, ratio in self._close_readings(message.reading, best):
            p = self._phrasings[n]
            rescaled = _rescale(ratio)
            if rescaled > best.get(p.entry, _NOTHING)[0]:
                best[p.entry] = (rescaled, p.text)
        # vocabulary evidence (at most W_VOCABULARY) only for the entries ahead without it
        ahead = _largest(
            max(limit, ENTRY_SHORTLIST),
            set(best) | set(keyword),
            key=lambda i: W_PHRASING * best.get(i, _NOTHING)[0] + W_KEYWORD * keyword.get(i, 0),
        )
        scores = []
        for i in ahead:
            phrasing, matched = best.get(i) or (0.0, self._entries[i].question)
            vocabulary = known(present.intersection(self._vocab[i])) / q_weight
            score = (
                W_PHRASING * phrasing + W_VOCABULARY * vocabulary + W_KEYWORD * keyword.get(i, 0)
            )
            scores.append((score, i, matched))
        return self._best_candidates(scores, limit)

    def _best_candidates(self, scores: list[tuple[float, int, str]], limit: int) -> list[Candidate]:
        """The `limit` best by score rounded to 4 places, then by id. Only those that may
        be among them are rounded (rounding is slow): the others score less than the
        `limit`-th best by more than a rounding can make up."""
        if not scores or limit <= 0:
            return []
        floor = sorted([s for s, _, _ in scores], reverse=True)[: min(limit, len(scores))][-1]
        ranked = sorted(
            (-round(score, 4), self._entries[i].id, matched)
            for score, i, matched in scores
            if score > floor - _ROUNDING
        )
        return [Candidate(id_, -score, matched) for score, id_, matched in ranked[:limit]]

    def _phrasing_evidence(
        self, features: Sequence[str], present: frozenset[str], q_weight: float
    ) -> dict[int, tuple[float, str]]:
        """Per entry, the best overlap of a shortlisted phrasing with the message, and
        that phrasing."""
        # What the message's features too common to shortlist by may add to a phrasing's.
        common = sum(
            self._idf[f] for f in features if f in self._idf and f not in self._selective_index
        )
        best: dict[int, tuple[float, str]] = {}
        for n, selective in self._shortlist(features):
            p = self._phrasings[n]
            behind = best.get(p.entry, _NOTHING)[0]
            if behind:
                # even sharing every feature it may, would it beat the best?
                most = min(selective + common, p.weight)
                if max(2 * most / (q_weight + p.weight), W_CONTAINED * most / p.weight) < (
                    behind - _SUM_ERROR
                ):
                    continue
            # summed over the set, as before: the order decides the last bit of a score
            # (a phrasing wholly inside the message scores exactly W_CONTAINED or not)
            shared = self._known_weight(present.intersection(p.features))
            overlap = _overlap(shared, q_weight, p.weight)
            if overlap > behind:
                best[p.entry] = (overlap, p.text)
        return best

    def _shortlist(self, features: Sequence[str]) -> list[tuple[int, float]]:
        """Phrasings worth scoring: the SHORTLIST sharing the most selective features with
        the message (features in many phrasings, like です, would touch them all), with
        the weight of those features."""
        # a list by phrasing number: faster than a dict for the few hundred additions
        shared = [0.0] * len(self._phrasings)
        touched = []  # in the order first touched, which breaks ties
        selective = self._selective_index
        for f in features:
            found = selective.get(f)
            if found is not None:
                weight, postings = found
                for n in postings:
                    so_far = shared[n]
                    if not so_far:  # weights are positive: 0 is untouched
                        touched.append(n)
                    shared[n] = so_far + weight
        return [(n, shared[n]) for n in _largest(SHORTLIST, touched, key=shared.__getitem__)]

    def _band(self, candidates: list[Candidate], top: int) -> Decision:
        t = self.thresholds
        if not candidates or candidates[0].score < t.clarify:
            score = candidates[0].score if candidates else 0.0
            return Decision(
                Action.ESCALATE, None, score, tuple(candidates[:top]), reason="no match"
            )
        best = candidates[0]
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        shown = tuple(candidates[:top])
        needed = t.answer if self._is_faq(best.id) else t.smalltalk
        margin = best.score - runner_up
        if (best.score >= needed and margin >= t.margin) or (
            best.score >= t.answer_alone and margin >= t.margin_alone
        ):
            also = tuple(
                c.id for c in candidates[1:3] if c.score >= t.answer_alone and self._is_faq(c.id)
            )
            return Decision(
                Action.ANSWER,
                best.id,
                best.score,
                shown,
                reason=f"matched: {best.phrasing}",
                choices=also,
            )
        choices = tuple(c.id for c in candidates[:3] if c.score >= t.clarify and self._is_faq(c.id))
        if not choices:
            return Decision(
                Action.ESCALATE, None, best.score, shown, reason="only small talk close"
            )
        return Decision(Action.CLARIFY, None, best.score, shown, reason="unsure", choices=choices)

    def _is_faq(self, entry_id: str) -> bool:
        entry = self._by_id.get(entry_id)
        return entry is not None and entry.kind == "faq"

    def _phrasings_of(self, index: int, entry: Entry) -> list[tuple[str, str, tuple[str, ...]]]:
        out = []
        for text in (entry.question, *entry.phrasings):
            analysis = self.normalizer.analyse(text)
            out.append((text, analysis.reading, _features(analysis)))
        return out

    def _close_readings(
        self, reading: str, best: dict[int, tuple[float, str]]
    ) -> list[tuple[int, float]]:
        """(phrasing, ratio) for phrasings whose reading is within edit distance of the
        message's: all of them in a small knowledge base; in a large one (the scan is
        linear) the phrasings of the entries already found."""
        if len(self._phrasings) > RATIO_SCAN_ALL:
            numbers = [n for i in best for n in self._entry_phrasings[i]]
            readings = [self._phrasing_readings[n] for n in numbers]
            found = process.extract(
                reading, readings, scorer=fuzz.ratio, score_cutoff=RATIO_FLOOR, limit=None
            )
            return [(numbers[i], ratio) for _, ratio, i in found]
        # Only readings of a length that can reach the floor are compared at all.
        low, high = _length_window(len(reading))
        start = bisect.bisect_left(self._lengths, low)
        end = bisect.bisect_right(self._lengths, high)
        found = process.extract(
            reading,
            self._readings_by_length[start:end],
            scorer=fuzz.ratio,
            score_cutoff=RATIO_FLOOR,
            limit=None,
        )
        # best first and, as a scan of every phrasing returns them, ties in their order
        return sorted(
            ((self._by_length[start + i], ratio) for _, ratio, i in found),
            key=lambda hit: (-hit[1], hit[0]),
        )

    def _weight(self, features: Iterable[str]) -> float:
        # A feature no entry has weighs most: a message full of words the knowledge
        # base never uses (ラーメン屋) is about something else.
        return sum(map(self._idf.get, features, repeat(self._unseen)))

    def _known_weight(self, features: Iterable[str]) -> float:
        """`_weight` of features some entry has (those shared with a phrasing or an
        entry's vocabulary): the same sum, in the same order, without the default."""
        return sum(map(self._idf.__getitem__, features))


# More than a score's rounding to 4 places can move it.
_ROUNDING = 1e-3
# More than the last bits by which two sums of the same weights may differ.
_SUM_ERROR = 1e-9
# What `best` holds for an entry no phrasing has matched yet.
_NOTHING = (0.0, "")


def _overlap(shared: float, q_weight: float, p_weight: float) -> float:
    """F1 of the message and a phrasing or (long messages) how much of the phrasing the
    message holds, from the weight of the features they share."""
    return max(2 * shared / (q_weight + p_weight), W_CONTAINED * shared / p_weight)


def _largest(n: int, items: Iterable[int], key: Callable[[int], float]) -> list[int]:
    """The `n` items with the largest keys, ties in their order: what heapq.nlargest
    returns (its documented equivalent), but sorted in C, faster for a few hundred."""
    return sorted(items, key=key, reverse=True)[:n]


def _features(message: Analysis) -> tuple[str, ...]:
    """Reading bigrams (kana-proof, typo-tolerant) and content-word lemmas, each once,
    sorted so that scores add up in the same order in every run."""
    reading = message.reading
    grams = set(map(operator.add, reading, reading[1:]))
    if len(reading) == 1:
        grams.add(reading)
    return tuple(sorted(grams | {"w:" + lemma for lemma in message.lemmas}))


def _length_window(length: int) -> tuple[int, int]:
    """The reading lengths that may reach RATIO_FLOOR against a reading this long, with
    one to spare on each side. RapidFuzz's ratio is 200 × LCS / (sum of the lengths), so
    readings of lengths m <= n score at most 200m / (m + n): below the 70 of the floor
    when m < 7n / 13."""
    floor = RATIO_FLOOR / 100
    shortest = math.floor(length * floor / (2 - floor)) - 1
    longest = math.ceil(length * (2 - floor) / floor) + 1
    return shortest, longest


def _rescale(ratio: float) -> float:
    """RapidFuzz's ratio (0..100) above the floor, to 0..1: two readings sharing only a
    polite ending (…はありますか) score 0, not 0.7."""
    return max(ratio - RATIO_FLOOR, 0.0) / (100 - RATIO_FLOOR)


def _specific_lemmas(vocabularies: list[set[str]]) -> set[str]:
    """Words few entries use: a keyword may be found by them in any conjugation."""
    df: dict[str, int] = defaultdict(int)
    for vocab in vocabularies:
        for f in vocab:
            if f.startswith("w:"):
                df[f[2:]] += 1
    return {lemma for lemma, d in df.items() if d <= SPECIFIC_LEMMA_ENTRIES}


def _idf(vocabularies: list[set[str]]) -> dict[str, float]:
    """Inverse document frequency of each feature over entries."""
    df: dict[str, int] = defaultdict(int)
    for vocab in vocabularies:
        for f in vocab:
            df[f] += 1
    n = len(vocabularies)
    return {f: math.log(1 + (n - d + 0.5) / (d + 0.5)) for f, d in df.items()}
