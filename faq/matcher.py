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
from dataclasses import dataclass, replace

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from faq.decision import Action, Candidate, Decision
from faq.model import Entry, Handover, KnowledgeBase, RedFlag
from faq.normalize import Analysis, Normalizer, is_kana
from faq.rules import RuleSet

# Weights of the three kinds of evidence; they sum to 1.
W_PHRASING, W_VOCABULARY, W_KEYWORD = 0.5, 0.2, 0.3
# A phrasing wholly inside a longer message counts this much of an exact match.
W_CONTAINED = 0.6
# Edit-distance ratios of readings below this say nothing.
RATIO_FLOOR = 70.0
# A keyword found with a typo counts this much of an exact one.
FUZZY_KEYWORD = 0.7
FUZZY_KEYWORD_PREFILTER = 70.0
MIN_FUZZY_KEYWORD_READING = 5
MIN_FUZZY_KEYWORD_KANJI = 4
# How much a feature no entry has weighs, relative to the rarest known one.
UNSEEN_WEIGHT = 0.25
# Shorter readings (うみ: 海 but also 膿) occur by chance inside other words.
MIN_KANA_KEYWORD_READING = 3
MIN_KANJI_KEYWORD_READING = 3
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
    features: frozenset[str]
    weight: float


@dataclass(frozen=True, slots=True)
class _Keyword:
    entry: int
    whole_word: bool  # a noun keyword must end where a word of the message ends
    surface: str
    reading: str
    canonical: str  # reading of the keyword after synonyms, as phrasings hold it
    lemmas: frozenset[str]  # its words' dictionary forms: やめる also finds やめて


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
        specific = _specific_lemmas(vocabularies)
        self._keywords = [
            _Keyword(
                i,
                form.ends_in_noun,
                form.compact,
                form.reading if len(form.reading) >= _min_reading(form) else "",
                canonical,
                frozenset(form.lemmas) if specific & set(form.lemmas) else frozenset(),
            )
            for i, e in enumerate(self._entries)
            for form, canonical in self._keyword_forms(e.keywords)
        ]
        self._unseen = math.log(1 + (len(raw) + 0.5) / 0.5) * UNSEEN_WEIGHT
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
        keyword, message = self._keyword_hits(message)
        features = _features(message)
        q_weight = self._weight(features) or 1.0
        best: dict[int, tuple[float, str]] = {}
        for n in {n for f in features for n in self._index.get(f, ())}:
            p = self._phrasings[n]
            shared = self._weight(features & p.features)
            # F1 of the two, or (long messages) how much of the phrasing the message holds
            overlap = max(2 * shared / (q_weight + p.weight), W_CONTAINED * shared / p.weight)
            if overlap > best.get(p.entry, (0.0, ""))[0]:
                best[p.entry] = (overlap, p.text)
        for p in self._phrasings:  # edit distance catches typos the bigrams miss
            ratio = _rescale(fuzz.ratio(message.reading, p.reading, score_cutoff=RATIO_FLOOR))
            if ratio > best.get(p.entry, (0.0, ""))[0]:
                best[p.entry] = (ratio, p.text)
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
        needed = t.answer if self._is_faq(best.id) else t.smalltalk
        margin = best.score - runner_up
        if (best.score >= needed and margin >= t.margin) or (
            best.score >= t.answer_alone and margin >= t.margin_alone
        ):
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

    def _keyword_hits(self, message: Analysis) -> tuple[dict[int, float], Analysis]:
        """Entries whose keywords occur, and the message with keyword typos corrected."""
        hits: dict[int, float] = {}
        reading = message.reading
        lemmas = set(message.lemmas)
        for k in self._keywords:
            if hits.get(k.entry, 0.0) == 1.0:
                continue
            if (
                (k.surface and k.surface in message.compact)
                or (k.reading and _reading_in(k, message))
                or (k.lemmas and k.lemmas <= lemmas)
            ):
                hits[k.entry] = 1.0
            elif len(k.reading) >= MIN_FUZZY_KEYWORD_READING and k.reading not in message.reading:
                typo = _fuzzy_find(k.reading, message.reading)
                if typo is not None:
                    hits[k.entry] = FUZZY_KEYWORD
                    reading = reading.replace(typo, k.canonical)
            elif len(k.surface) >= MIN_FUZZY_KEYWORD_KANJI and not k.surface.isascii():
                # a wrong kanji with another reading (初期悪下 for 初期悪化)
                if _fuzzy_find(k.surface, message.compact) is not None:
                    hits[k.entry] = max(hits.get(k.entry, 0.0), FUZZY_KEYWORD)
        return hits, replace(message, reading=reading)

    def _keyword_forms(self, keywords: Iterable[str]) -> list[tuple[Analysis, str]]:
        """Keywords as the message will show them, and every synonym as typed (for typos),
        each with the reading the phrasings hold for it."""
        forms: dict[Analysis, str] = {}
        for keyword in keywords:
            canonical = self.normalizer.analyse(keyword)
            forms[canonical] = canonical.reading
            for variant in self.normalizer.variants(keyword):
                forms.setdefault(
                    self.normalizer.analyse(variant, synonyms=False), canonical.reading
                )
        return sorted(forms.items(), key=lambda item: item[0].compact)

    def _phrasings_of(self, index: int, entry: Entry) -> list[tuple[str, str, frozenset[str]]]:
        out = []
        for text in (entry.question, *entry.phrasings):
            analysis = self.normalizer.analyse(text)
            out.append((text, analysis.reading, _features(analysis)))
        return out

    def _weight(self, features: Iterable[str]) -> float:
        # A feature no entry has weighs most: a message full of words the knowledge
        # base never uses (ラーメン屋) is about something else.
        return sum(self._idf.get(f, self._unseen) for f in features)


def _fuzzy_find(word: str, text: str) -> str | None:
    """The part of `text` that is `word` with one typo (two in long words), or None."""
    # partial_ratio (fast, in C) finds the likely spot; OSA then counts a swapped
    # pair (リバンウド for リバウンド) as one edit, as a patient's thumb makes it.
    found = fuzz.partial_ratio_alignment(word, text, score_cutoff=FUZZY_KEYWORD_PREFILTER)
    if found is None:
        return None
    allowed = 1 if len(word) < 9 else 2
    for begin in range(max(found.dest_start - 1, 0), min(found.dest_start + 2, len(text))):
        for size in (len(word), len(word) - 1, len(word) + 1):
            window = text[begin : begin + size]
            if len(window) == size and 0 < OSA.distance(word, window) <= allowed:
                return window
    return None


def _features(message: Analysis) -> frozenset[str]:
    """Reading bigrams (kana-proof, typo-tolerant) and content-word lemmas."""
    reading = message.reading
    grams = {reading[i : i + 2] for i in range(len(reading) - 1)}
    if len(reading) == 1:
        grams.add(reading)
    return frozenset(grams | {"w:" + lemma for lemma in message.lemmas})


def _rescale(ratio: float) -> float:
    """RapidFuzz's ratio (0..100) above the floor, to 0..1: two readings sharing only a
    polite ending (…はありますか) score 0, not 0.7."""
    return max(ratio - RATIO_FLOOR, 0.0) / (100 - RATIO_FLOOR)


def _reading_in(keyword: _Keyword, message: Analysis) -> bool:
    """Whether the keyword's reading occurs in the message's; a noun's only as a whole word
    (注射 ちゅうしゃ is not in 駐車場 ちゅうしゃじょう)."""
    start = message.reading.find(keyword.reading)
    while start >= 0:
        if not keyword.whole_word or start + len(keyword.reading) in message.word_ends:
            return True
        start = message.reading.find(keyword.reading, start + 1)
    return False


def _min_reading(keyword: Analysis) -> int:
    """How long a keyword's reading must be to be looked for in a message's reading."""
    # A kanji keyword's short reading (胎児 たいじ) turns up inside other words
    # (体重 たいじゅう); a keyword the admin wrote in kana means to be found in kana.
    return MIN_KANA_KEYWORD_READING if is_kana(keyword.compact) else MIN_KANJI_KEYWORD_READING


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
