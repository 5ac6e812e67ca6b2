"""Decide what to do with a patient's message: urgent, answer, clarify or escalate.

Scoring, per entry, combines three kinds of evidence, each in 0..1:
- phrasing: the best of (a) IDF-weighted overlap of reading bigrams and words with
  one phrasing, and (b) RapidFuzz's edit-distance ratio on the readings (typos);
- vocabulary: how much of the message the entry's whole vocabulary explains
  (long messages with context around the question);
- keyword: an entry keyword occurs in the message (exactly, or with a typo).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from faq.decision import Action, Candidate, Decision
from faq.model import Entry, Handover, KnowledgeBase, RedFlag
from faq.normalize import Analysis, Normalizer
from faq.rules import RuleSet

# Weights of the three kinds of evidence; they sum to 1.
W_PHRASING, W_VOCABULARY, W_KEYWORD = 0.5, 0.2, 0.3
# A fuzzy keyword hit (partial ratio on readings) counts this much of an exact one.
FUZZY_KEYWORD = 0.7
FUZZY_KEYWORD_CUTOFF = 86.0
MIN_FUZZY_KEYWORD_READING = 4


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where the decision bands start; precision first, a wrong answer costs most."""

    answer: float = 0.55
    margin: float = 0.08
    clarify: float = 0.35


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    text: str
    reading: str
    features: frozenset[str]
    weight: float


@dataclass(frozen=True, slots=True)
class _Keyword:
    entry: int
    surface: str
    reading: str


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
        self._keywords = [
            _Keyword(i, a.compact, a.reading)
            for i, e in enumerate(self._entries)
            for a in map(self.normalizer.analyse, e.keywords)
        ]
        self._idf = _idf([set().union(*(f for _, _, f in phr)) for phr in raw], self._keywords)
        self._phrasings = [
            _Phrasing(i, text, reading, feats, self._weight(feats))
            for i, phr in enumerate(raw)
            for text, reading, feats in phr
        ]
        self._vocab = [frozenset().union(*(f for _, _, f in phr)) for phr in raw]
        self._index: dict[str, list[int]] = defaultdict(list)
        for n, p in enumerate(self._phrasings):
            for f in p.features:
                self._index[f].append(n)

    def decide(self, text: str, *, top: int = 3) -> Decision:
        """The decision for one message, with its score and best candidates."""
        message = self.normalizer.analyse(text)
        red_flag = self._red_flags.first_match(message)
        if red_flag is not None:
            flag, term = red_flag
            return Decision(Action.URGENT, None, 1.0, rule_id=flag.id, reason=f"red flag: {term}")
        candidates = self.rank(message)[: max(top, 2)]
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

    def rank(self, message: Analysis) -> list[Candidate]:
        """Every entry with some evidence, best first."""
        features = _features(message)
        q_weight = self._weight(features) or 1.0
        best: dict[int, tuple[float, str]] = {}
        for n in {n for f in features for n in self._index.get(f, ())}:
            p = self._phrasings[n]
            shared = self._weight(features & p.features)
            overlap = 2 * shared / (q_weight + p.weight)
            if overlap > best.get(p.entry, (0.0, ""))[0]:
                best[p.entry] = (overlap, p.text)
        for p in self._phrasings:  # edit distance catches typos the bigrams miss
            ratio = fuzz.ratio(message.reading, p.reading, score_cutoff=70) / 100
            if ratio > best.get(p.entry, (0.0, ""))[0]:
                best[p.entry] = (ratio, p.text)
        keyword = self._keyword_hits(message)
        scores = []
        for i in set(best) | set(keyword):
            phrasing, matched = best.get(i, (0.0, self._entries[i].question))
            vocabulary = self._weight(features & self._vocab[i]) / q_weight
            score = (
                W_PHRASING * phrasing + W_VOCABULARY * vocabulary + W_KEYWORD * keyword.get(i, 0)
            )
            scores.append(Candidate(self._entries[i].id, round(score, 4), matched))
        return sorted(scores, key=lambda c: (-c.score, c.id))

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
        if best.score >= t.answer and best.score - runner_up >= t.margin:
            return Decision(
                Action.ANSWER, best.id, best.score, shown, reason=f"matched: {best.phrasing}"
            )
        choices = tuple(c.id for c in candidates[:3] if c.score >= t.clarify and self._is_faq(c.id))
        if not choices:
            return Decision(
                Action.ESCALATE, None, best.score, shown, reason="only small talk close"
            )
        return Decision(Action.CLARIFY, None, best.score, shown, reason="unsure", choices=choices)

    def _is_faq(self, entry_id: str) -> bool:
        entry = self.kb.entry(entry_id)
        return entry is not None and entry.kind == "faq"

    def _keyword_hits(self, message: Analysis) -> dict[int, float]:
        hits: dict[int, float] = {}
        for k in self._keywords:
            if (k.surface and k.surface in message.compact) or (
                len(k.reading) >= 2 and k.reading in message.reading
            ):
                hits[k.entry] = 1.0
            elif len(k.reading) >= MIN_FUZZY_KEYWORD_READING and hits.get(k.entry, 0) < 1.0:
                ratio = fuzz.partial_ratio(
                    k.reading, message.reading, score_cutoff=FUZZY_KEYWORD_CUTOFF
                )
                if ratio:
                    hits[k.entry] = max(hits.get(k.entry, 0.0), FUZZY_KEYWORD)
        return hits

    def _phrasings_of(self, index: int, entry: Entry) -> list[tuple[str, str, frozenset[str]]]:
        out = []
        for text in (entry.question, *entry.phrasings):
            analysis = self.normalizer.analyse(text)
            out.append((text, analysis.reading, _features(analysis)))
        return out

    def _weight(self, features: Iterable[str]) -> float:
        return sum(self._idf.get(f, 0.0) for f in features)


def _features(message: Analysis) -> frozenset[str]:
    """Reading bigrams (kana-proof, typo-tolerant) and content-word lemmas."""
    reading = message.reading
    grams = {reading[i : i + 2] for i in range(len(reading) - 1)}
    if len(reading) == 1:
        grams.add(reading)
    return frozenset(grams | {"w:" + lemma for lemma in message.lemmas})


def _idf(vocabularies: list[set[str]], keywords: list[_Keyword]) -> dict[str, float]:
    """Inverse document frequency of each feature over entries."""
    df: dict[str, int] = defaultdict(int)
    for vocab in vocabularies:
        for f in vocab:
            df[f] += 1
    n = len(vocabularies)
    return {f: math.log(1 + (n - d + 0.5) / (d + 0.5)) for f, d in df.items()}
