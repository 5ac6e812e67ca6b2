"""The baselines a clinic would otherwise use, each deciding answer-or-escalate only.

None of them has triage: they never say "urgent" and know no handover rules, so a
red-flag report is answered or escalated like any other message.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from faq.decision import Action, Candidate, Decision
from faq.model import KnowledgeBase

KEYWORD = "keyword"
RAPIDFUZZ = "rapidfuzz"
BM25 = "bm25"
# Until tuned, a threshold that lets nothing through (retrieval needs none).
UNTUNED = math.inf


def nfkc(text: str) -> str:
    """NFKC and case folding, the only normalisation the baselines get."""
    return unicodedata.normalize("NFKC", text).casefold()


def bigrams(text: str) -> list[str]:
    """Character bigrams of the letters and digits of a text (one character: itself)."""
    chars = "".join(ch for ch in nfkc(text) if ch.isalnum())
    if len(chars) < 2:
        return [chars] if chars else []
    return [chars[i : i + 2] for i in range(len(chars) - 1)]


class Scorer(Protocol):
    """A baseline's index: its best entry for a text, and every entry it scores."""

    def best(self, text: str, *, cutoff: float = 0.0) -> Candidate | None:
        """The best-scoring entry, or None when nothing scores `cutoff` or more."""
        ...

    def rank(self, text: str) -> list[Candidate]: ...


@dataclass(frozen=True, slots=True)
class Baseline:
    """A scorer with one threshold: answer its best entry at or above it, else escalate."""

    name: str
    scorer: Scorer
    threshold: float = UNTUNED

    def decide(self, text: str, *, top: int = 3) -> Decision:
        # the cutoff lets RapidFuzz skip phrasings early, as a user of it would
        best = None if math.isinf(self.threshold) else self.scorer.best(text, cutoff=self.threshold)
        if best is None or best.score < self.threshold:
            shown = (best,) if best is not None else ()
            score = best.score if best is not None else 0.0
            return Decision(Action.ESCALATE, None, score, shown[:top], reason="below threshold")
        return Decision(
            Action.ANSWER, best.id, best.score, (best,), reason=f"matched: {best.phrasing}"
        )

    def rank(self, text: str) -> list[Candidate]:
        return self.scorer.rank(text)


@dataclass(frozen=True, slots=True)
class _Phrasings:
    """Every entry's question and phrasings, flat, with the entry each belongs to."""

    texts: tuple[str, ...]
    owners: tuple[int, ...]
    ids: tuple[str, ...]

    @classmethod
    def of(cls, kb: KnowledgeBase) -> _Phrasings:
        pairs = [(t, i) for i, e in enumerate(kb.entries) for t in (e.question, *e.phrasings)]
        return cls(
            tuple(t for t, _ in pairs), tuple(i for _, i in pairs), tuple(e.id for e in kb.entries)
        )

    def candidate(self, n: int, score: float) -> Candidate:
        return Candidate(self.ids[self.owners[n]], score, self.texts[n])

    def best_per_entry(self, scores: Sequence[float]) -> list[Candidate]:
        """Each entry's best phrasing score (above 0), best first."""
        best: dict[int, tuple[float, int]] = {}
        for n, score in enumerate(scores):
            owner = self.owners[n]
            if score > 0 and score > best.get(owner, (0.0, 0))[0]:
                best[owner] = (float(score), n)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        return [self.candidate(n, s) for _, (s, n) in ranked]


class KeywordScorer:
    """A LINE official account's keyword response: an entry's keyword occurs verbatim.

    No normalisation at all (LINE does none): 日焼け止め does not find ひやけどめ. Every
    hit scores 1; when keywords of several entries occur, the longest keyword wins
    (then the entry first in the knowledge base).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self._keywords = [(k, n, e.id) for n, e in enumerate(kb.entries) for k in e.keywords]

    def rank(self, text: str) -> list[Candidate]:
        hits: dict[str, tuple[int, int, str]] = {}
        for keyword, order, entry_id in self._keywords:
            if keyword in text and len(keyword) > hits.get(entry_id, (0, 0, ""))[0]:
                hits[entry_id] = (len(keyword), order, keyword)
        ranked = sorted(hits.items(), key=lambda item: (-item[1][0], item[1][1]))
        return [Candidate(entry_id, 1.0, keyword) for entry_id, (_, _, keyword) in ranked]

    def best(self, text: str, *, cutoff: float = 0.0) -> Candidate | None:
        ranked = self.rank(text)
        return ranked[0] if ranked else None


class FuzzyScorer:
    """RapidFuzz `process.extractOne` with `WRatio` (0..100) over NFKC phrasings."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._phrasings = _Phrasings.of(kb)
        self._choices = [nfkc(t) for t in self._phrasings.texts]

    def best(self, text: str, *, cutoff: float = 0.0) -> Candidate | None:
        found = process.extractOne(
            nfkc(text), self._choices, scorer=fuzz.WRatio, processor=None, score_cutoff=cutoff
        )
        return self._phrasings.candidate(found[2], found[1]) if found is not None else None

    def rank(self, text: str) -> list[Candidate]:
        scores = process.cdist(
            [nfkc(text)], self._choices, scorer=fuzz.WRatio, processor=None, dtype=np.float32
        )[0]
        return self._phrasings.best_per_entry(scores.tolist())


class Bm25Scorer:
    """BM25 (bm25s, Lucene variant) over character bigrams, one document per phrasing;
    an entry scores its best phrasing's BM25 score, which is unbounded."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._phrasings = _Phrasings.of(kb)
        self._index = bm25s.BM25()
        self._index.index([bigrams(t) for t in self._phrasings.texts], show_progress=False)
        self._vocab: dict[str, int] = self._index.vocab_dict

    def scores(self, text: str) -> np.ndarray:
        """The BM25 score of every phrasing for the text."""
        ids = [self._vocab[g] for g in bigrams(text) if g in self._vocab]
        if not ids:
            return np.zeros(len(self._phrasings.texts), dtype=np.float32)
        return np.asarray(self._index.get_scores_from_ids(ids))

    def best(self, text: str, *, cutoff: float = 0.0) -> Candidate | None:
        scores = self.scores(text)
        n = int(np.argmax(scores))
        score = float(scores[n])
        return self._phrasings.candidate(n, score) if score > 0 and score >= cutoff else None

    def rank(self, text: str) -> list[Candidate]:
        return self._phrasings.best_per_entry(self.scores(text).tolist())


def baselines(kb: KnowledgeBase) -> tuple[Baseline, Baseline, Baseline]:
    """The three baselines on a knowledge base, rapidfuzz and BM25 not yet tuned."""
    return (
        Baseline(KEYWORD, KeywordScorer(kb), threshold=1.0),
        Baseline(RAPIDFUZZ, FuzzyScorer(kb)),
        Baseline(BM25, Bm25Scorer(kb)),
    )
