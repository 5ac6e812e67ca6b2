"""Decide what to do with a patient's message: urgent, answer, clarify or escalate.

Scoring, per entry, combines three kinds of evidence, each in 0..1:
- phrasing: the best of (a) IDF-weighted overlap of reading bigrams and words with
  one phrasing, and (b) RapidFuzz's edit-distance ratio on the readings (typos);
- vocabulary: how much of the message the entry's whole vocabulary explains
  (long messages with context around the question);
- keyword: an entry keyword occurs in the message (exactly, or with a typo).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
        self._vocab = [frozenset(v) for v in vocabularies]
        self._index: dict[str, list[int]] = defaultdict(list)
        self._entry_phrasings: list[list[int]] = [[] for _ in self._entries]
        for n, p in enumerate(self._phrasings):
            self._entry_phrasings[p.entry].append(n)
            for f in p.features:
                self._index[f].append(n)
        # a feature in more phrasings than this is too common to find candidates by
        self._selective = max(SELECTIVE_MIN, int(SELECTIVE_SHARE * len(self._phrasings)))
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
        best: dict[int, tuple[float, str]] = {}
        for n in self._shortlist(features):
            p = self._phrasings[n]
            shared = self._weight(present.intersection(p.features))
            # F1 of the two, or (long messages) how much of the phrasing the message holds
            overlap = max(2 * shared / (q_weight + p.weight), W_CONTAINED * shared / p.weight)
            if overlap > best.get(p.entry, (0.0, ""))[0]:
                best[p.entry] = (overlap, p.text)
        # edit distance catches typos the bigrams miss
        for n, ratio in self._close_readings(message.reading, best):
            p = self._phrasings[n]
            if _rescale(ratio) > best.get(p.entry, (0.0, ""))[0]:
                best[p.entry] = (_rescale(ratio), p.text)
        # vocabulary evidence (at most W_VOCABULARY) only for the entries ahead without it
        ahead = heapq.nlargest(
            max(limit, ENTRY_SHORTLIST),
            set(best) | set(keyword),
            key=lambda i: W_PHRASING * best.get(i, (0.0, ""))[0] + W_KEYWORD * keyword.get(i, 0),
        )
        scores = []
        for i in ahead:
            phrasing, matched = best.get(i, (0.0, self._entries[i].question))
            vocabulary = self._weight(present.intersection(self._vocab[i])) / q_weight
            score = (
                W_PHRASING * phrasing + W_VOCABULARY * vocabulary + W_KEYWORD * keyword.get(i, 0)
            )
            scores.append(Candidate(self._entries[i].id, round(score, 4), matched))
        return heapq.nsmallest(limit, scores, key=lambda c: (-c.score, c.id))

    def _shortlist(self, features: Sequence[str]) -> list[int]:
        """Phrasings worth scoring: the SHORTLIST sharing the most selective features with
        the message (features in many phrasings, like です, would touch them all)."""
        shared: dict[int, float] = defaultdict(float)
        for f in features:
            postings = self._index.get(f)
            if postings and len(postings) <= self._selective:
                weight = self._idf[f]
                for n in postings:
                    shared[n] += weight
        return heapq.nlargest(SHORTLIST, shared, key=shared.__getitem__)

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
        if len(self._phrasings) <= RATIO_SCAN_ALL:
            numbers: Sequence[int] = range(len(self._phrasings))
            readings = self._phrasing_readings
        else:
            numbers = [n for i in best for n in self._entry_phrasings[i]]
            readings = [self._phrasing_readings[n] for n in numbers]
        found = process.extract(
            reading, readings, scorer=fuzz.ratio, score_cutoff=RATIO_FLOOR, limit=None
        )
        return [(numbers[i], ratio) for _, ratio, i in found]

    def _weight(self, features: Iterable[str]) -> float:
        # A feature no entry has weighs most: a message full of words the knowledge
        # base never uses (ラーメン屋) is about something else.
        return sum(self._idf.get(f, self._unseen) for f in features)


def _features(message: Analysis) -> tuple[str, ...]:
    """Reading bigrams (kana-proof, typo-tolerant) and content-word lemmas, each once,
    sorted so that scores add up in the same order in every run."""
    reading = message.reading
    grams = {reading[i : i + 2] for i in range(len(reading) - 1)}
    if len(reading) == 1:
        grams.add(reading)
    return tuple(sorted(grams | {"w:" + lemma for lemma in message.lemmas}))


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
