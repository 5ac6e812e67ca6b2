"""Entry keywords found in a message: as written, by reading, in any conjugation, or with a typo."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import chain

import jaconv
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from faq.normalize import Analysis, Normalizer
from faq.occurrences import WordFinder

# A keyword found with a typo counts this much of an exact one.
FUZZY_KEYWORD = 0.7
FUZZY_PREFILTER = 70.0
MIN_TYPO_READING = 5  # shorter kana words differ by one kana from other words
MIN_TYPO_KANJI = 4
# Bigrams in more typo candidates than this share (or GRAM_CAP_MIN) are not walked.
GRAM_CAP_SHARE, GRAM_CAP_MIN = 0.02, 50
_KANJI = re.compile(r"[\u3400-\u9fff々]+")
# Shorter readings (うみ: 海 but also 膿) occur by chance inside other words.
MIN_READING = 3


@dataclass(frozen=True, slots=True)
class Keyword:
    entry: int
    surface: str
    reading: str
    canonical: str  # reading of the keyword after synonyms, as phrasings hold it
    lemmas: frozenset[str]  # dictionary forms that find it in any conjugation (やめる: やめて)
    whole_word: bool  # a noun must end where a word of the message ends


class KeywordIndex:
    """Every entry's keywords, indexed so that a message is scanned once per form."""

    def __init__(
        self,
        keywords: Sequence[Iterable[str]],
        normalizer: Normalizer,
        *,
        specific_lemmas: set[str],
    ) -> None:
        """`keywords[i]` are entry i's; `specific_lemmas` are words few entries use."""
        self._normalizer = normalizer
        self._keywords = [
            Keyword(
                entry=i,
                surface=form.compact,
                reading=form.reading if len(form.reading) >= MIN_READING else "",
                canonical=canonical,
                lemmas=_lemmas(form, specific_lemmas),
                whole_word=form.ends_in_noun,
            )
            for i, words in enumerate(keywords)
            for form, canonical in _forms(words, normalizer)
        ]
        self._by_surface = _group(self._keywords, lambda k: k.surface)
        self._by_reading = _group(self._keywords, lambda k: k.reading)
        self._surfaces = WordFinder(self._by_surface)
        self._readings = WordFinder(self._by_reading)
        self._by_lemma: dict[str, list[Keyword]] = defaultdict(list)
        for k in self._keywords:
            for lemma in k.lemmas:
                self._by_lemma[lemma].append(k)
        # typo candidates, one per distinct form (many keywords share a reading)
        self._typo_readings = {
            r: ks for r, ks in self._by_reading.items() if len(r) >= MIN_TYPO_READING
        }
        self._typo_kanji = {
            w: ks
            for w, ks in self._by_surface.items()
            if len(w) >= MIN_TYPO_KANJI and _KANJI.fullmatch(w)
        }
        self._typo_reading_grams = _GramIndex(list(self._typo_readings))
        self._typo_kanji_grams = _GramIndex(list(self._typo_kanji))

    def hits(self, message: Analysis) -> tuple[dict[int, float], Analysis]:
        """Evidence per entry (1.0 exact, 0.7 with a typo) and the message with typos fixed."""
        hits: dict[int, float] = {}
        # a wrong kanji with another reading (初期悪下 for 初期悪化): fix it and read again
        fixed = message.surface
        for word in self._typo_kanji_grams.near(message.compact):
            if word in message.compact:
                continue
            typo = fuzzy_find(word, message.compact)
            if typo and _KANJI.fullmatch(typo) and typo in fixed:
                hits.update(dict.fromkeys((k.entry for k in self._typo_kanji[word]), FUZZY_KEYWORD))
                fixed = fixed.replace(typo, word)
        if fixed != message.surface:
            message = self._normalizer.analyse(fixed)
        for entry in self._exact(message):
            hits.setdefault(entry, 1.0)
        # a kana typo (リバンウド): shared bigrams shortlist readings, OSA confirms each
        reading, surface = message.reading, message.surface
        for word in self._typo_reading_grams.near(message.reading):
            if word in message.reading:
                continue
            typo = fuzzy_find(word, message.reading)
            if typo is None:
                continue
            for k in self._typo_readings[word]:
                if k.entry not in hits:
                    hits[k.entry] = FUZZY_KEYWORD
                    reading = reading.replace(typo, k.canonical)
                    # typed in kana (アルコーロ): written right, the message reads as if
                    # the patient had typed the keyword (アルコール)
                    for typed in (typo, jaconv.hira2kata(typo)):
                        surface = surface.replace(typed, k.surface)
        if surface != message.surface:
            message = self._normalizer.analyse(surface)
        elif reading != message.reading:
            message = replace(message, reading=reading)
        return hits, message

    def _exact(self, message: Analysis) -> set[int]:
        # One automaton pass per form finds every keyword the message holds: the cost
        # grows with the message, not with the number of keywords. The keywords come
        # in the order of a scan of every substring, so the set is built the same way.
        entries = {
            k.entry
            for _, word in self._surfaces.occurrences(message.compact)
            for k in self._by_surface[word]
        }
        for start, word in self._readings.occurrences(message.reading):
            whole = start + len(word) in message.word_ends
            entries.update(k.entry for k in self._by_reading[word] if whole or not k.whole_word)
        lemmas = set(message.lemmas)
        entries.update(
            k.entry for lemma in lemmas for k in self._by_lemma.get(lemma, ()) if k.lemmas <= lemmas
        )
        return entries


def fuzzy_find(word: str, text: str) -> str | None:
    """The part of `text` that is `word` with one typo (two in long words), or None."""
    # partial_ratio (fast, in C) finds the likely spot; OSA then counts a swapped
    # pair (リバンウド for リバウンド) as one edit, as a patient's thumb makes it.
    found = fuzz.partial_ratio_alignment(word, text, score_cutoff=FUZZY_PREFILTER)
    if found is None:
        return None
    allowed = 1 if len(word) < 9 else 2
    for begin in range(max(found.dest_start - 1, 0), min(found.dest_start + 2, len(text))):
        for size in (len(word), len(word) - 1, len(word) + 1):
            window = text[begin : begin + size]
            if len(window) == size and 0 < OSA.distance(word, window) <= allowed:
                return window
    return None


def _forms(words: Iterable[str], normalizer: Normalizer) -> list[tuple[Analysis, str]]:
    """Keywords as messages show them (synonyms rewritten) and every synonym as typed
    (for typos), each with the reading the phrasings hold for it."""
    forms: dict[Analysis, str] = {}
    for word in words:
        canonical = normalizer.analyse(word)
        forms[canonical] = canonical.reading
        for variant in normalizer.variants(word):
            forms.setdefault(normalizer.analyse(variant, synonyms=False), canonical.reading)
    return sorted(forms.items(), key=lambda item: item[0].compact)


def _lemmas(form: Analysis, specific: set[str]) -> frozenset[str]:
    """The keyword's lemmas if one is specific (体重), none if all are common (飲む)."""
    lemmas = frozenset(form.lemmas)
    return lemmas if lemmas & specific else frozenset()


def _group(keywords: Iterable[Keyword], key: Callable[[Keyword], str]) -> dict[str, list[Keyword]]:
    grouped: dict[str, list[Keyword]] = defaultdict(list)
    for k in keywords:
        if key(k):
            grouped[key(k)].append(k)
    return dict(grouped)


class _GramIndex:
    """Words by their character bigrams, to shortlist those a text may hold with a typo."""

    def __init__(self, words: Sequence[str]) -> None:
        self._words = list(words)
        self._needed = []
        postings: dict[str, list[int]] = defaultdict(list)
        for n, word in enumerate(self._words):
            grams = _bigrams(word)
            for gram in grams:
                postings[gram].append(n)
            # one edit breaks at most 3 bigrams (a swap), two edits 6
            self._needed.append(max(len(grams) - (3 if len(word) < 9 else 6), 1))
        # a bigram most words have (ょう) finds nothing particular: it is not walked
        cap = max(GRAM_CAP_MIN, int(GRAM_CAP_SHARE * len(self._words)))
        self._walked = {g: p for g, p in postings.items() if len(p) <= cap}
        # one edit (a swap too) leaves all but one of a word's characters in the text
        self._chars = [frozenset(word) for word in self._words]
        self._missing = [1 if len(word) < 9 else 2 for word in self._words]

    def near(self, text: str) -> list[str]:
        """Words sharing enough bigrams with `text` to be in it with one typo (two if long)."""
        # counted in C; the words come out by number, so the bigrams' order is no matter
        grams = {text[i : i + 2] for i in range(len(text) - 1)}
        walked = self._walked
        shared = Counter(chain.from_iterable(walked[g] for g in grams if g in walked))
        chars = set(text)
        return [
            self._words[n]
            for n in sorted(shared)
            if shared[n] >= self._needed[n] and len(self._chars[n] - chars) <= self._missing[n]
        ]


def _bigrams(text: str) -> list[str]:
    """Distinct bigrams in text order (a set's order would change from run to run)."""
    return list(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))
