"""The matcher's fast paths give what the plain computations they replace give.

Each shortcut (an automaton instead of a scan, a bound that skips work, a regular
expression written another way) is checked against the straightforward version on the
bundled knowledge base's texts and on random ones built to hit the edge cases.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from faq.keywords import _GramIndex, fuzzy_find
from faq.loader import load_kb
from faq.matcher import RATIO_FLOOR, SHORTLIST, Matcher, _features, _overlap
from faq.normalize import Analysis, _alternation, fold
from faq.occurrences import WordFinder
from faq.rules import RuleSet

DATA = Path(__file__).parent / "data"
HOLDOUT = Path(__file__).parents[1] / "data" / "holdout.jsonl"
# kana, kanji, Latin letters (word boundaries), a character outside the BMP, an emoji
ALPHABET = "あいうかきアイ漢字abcx𠮷😀"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_kb())


@pytest.fixture(scope="module")
def texts(matcher: Matcher) -> list[str]:
    kb = matcher.kb
    lines = HOLDOUT.read_text(encoding="utf-8").splitlines()
    found = [json.loads(line)["text"] for line in lines if line.strip()]
    for name in ("red_flags.jsonl", "ordinary.jsonl"):
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        found += [json.loads(line)["text"] for line in lines if line.strip()]
    found += [p for e in kb.entries for p in (e.question, *e.phrasings, *e.keywords)]
    rng = random.Random(0)
    # truncated and with a typo, for partial and fuzzy matches
    found += [t[: max(1, len(t) // 2)] for t in rng.sample(found, 200)]
    found += [_typo(t, rng) for t in rng.sample(found, 200)]
    return found


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _random_text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def _scan(words: list[str], text: str) -> list[tuple[int, str]]:
    """Every (start, word) by looking up every substring of every length."""
    lengths = sorted({len(w) for w in words})
    found = set(words)
    return [
        (start, text[start : start + length])
        for start in range(len(text))
        for length in lengths
        if start + length <= len(text) and text[start : start + length] in found
    ]


def test_word_finder_finds_what_a_scan_of_every_substring_finds() -> None:
    rng = random.Random(1)
    for _ in range(500):
        words = list({_random_text(rng, 4) for _ in range(rng.randint(0, 30))})
        finder = WordFinder(words)
        for _ in range(5):
            text = _random_text(rng, 40)
            scanned = _scan([w for w in words if w], text)
            assert finder.occurrences(text) == scanned, (words, text)
            assert finder.words_in(text) == {w for _, w in scanned}


def _plain_alternation(words: dict[str, str]) -> re.Pattern[str] | None:
    """The synonym pattern as it was first written: one alternative per word."""
    if not words:
        return None
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = re.escape(word)
        parts.append(rf"(?<![a-z]){escaped}(?![a-z])" if word.isascii() else escaped)
    return re.compile("|".join(parts))


def _rewrite(pattern: re.Pattern[str] | None, words: dict[str, str], text: str) -> str:
    if pattern is None:
        return text
    return pattern.sub(lambda m: words.get(m[0], m[0]), text)


def test_grouped_synonym_pattern_rewrites_like_one_alternative_per_word(
    matcher: Matcher, texts: list[str]
) -> None:
    canonical = matcher.normalizer._canonical
    words = {**{c: c for c in canonical.values()}, **canonical}
    grouped, plain = _alternation(words), _plain_alternation(words)
    for text in texts:
        folded = fold(text)
        assert _rewrite(grouped, words, folded) == _rewrite(plain, words, folded), text
    rng = random.Random(2)
    for _ in range(300):
        # Latin words inside and beside others ("ty" in "safety"), nested words
        some = {_random_text(rng, 3) for _ in range(rng.randint(1, 12))} - {""}
        mapping = {w: rng.choice(sorted(some)) for w in some}
        grouped, plain = _alternation(mapping), _plain_alternation(mapping)
        for _ in range(10):
            text = _random_text(rng, 30)
            assert _rewrite(grouped, mapping, text) == _rewrite(plain, mapping, text)


def test_close_readings_in_the_length_window_are_those_of_a_full_scan(
    matcher: Matcher, texts: list[str]
) -> None:
    readings = matcher._phrasing_readings
    for text in texts:
        reading = matcher.normalizer.analyse(text).reading
        full = process.extract(
            reading, readings, scorer=fuzz.ratio, score_cutoff=RATIO_FLOOR, limit=None
        )
        assert matcher._close_readings(reading, {}) == [(n, ratio) for _, ratio, n in full]


def test_near_keeps_every_word_fuzzy_find_finds(matcher: Matcher, texts: list[str]) -> None:
    words = list(matcher._keywords._typo_readings)
    index = _GramIndex(words)
    rng = random.Random(3)
    checked = 0
    for text in rng.sample(texts, 500):
        reading = matcher.normalizer.analyse(text).reading
        # the reading with a keyword typed wrong in it, as patients do
        word = _typo(rng.choice(words), rng)
        for candidate in (reading, reading + word, word + reading):
            near = set(index.near(candidate))
            for w in words:
                if w not in candidate and fuzzy_find(w, candidate) is not None:
                    assert w in near, (w, candidate)
                    checked += 1
    assert checked > 100


def test_rules_tried_by_the_terms_found_fire_as_every_rule_tried_in_turn(
    matcher: Matcher, texts: list[str]
) -> None:
    def in_turn(rules: RuleSet, message: Analysis) -> object:
        for compiled in rules._rules:
            term = compiled.matched_term(message)  # every group searched
            if term is not None:
                return compiled.rule, term
        return None

    for text in texts:
        message = matcher.normalizer.analyse(text)
        for rules in (matcher._red_flags, matcher._handover):
            assert rules.first_match(message) == in_turn(rules, message), text


def test_phrasings_skipped_by_the_bound_would_not_have_won(
    matcher: Matcher, texts: list[str]
) -> None:
    for text in texts:
        _, message = matcher._keywords.hits(matcher.normalizer.analyse(text))
        features = _features(message)
        present = frozenset(features)
        q_weight = matcher._weight(features) or 1.0
        every: dict[int, tuple[float, str]] = {}
        for n, _ in matcher._shortlist(features):
            p = matcher._phrasings[n]
            shared = matcher._known_weight(present.intersection(p.features))
            overlap = _overlap(shared, q_weight, p.weight)
            if overlap > every.get(p.entry, (0.0, ""))[0]:
                every[p.entry] = (overlap, p.text)
        assert matcher._phrasing_evidence(features, present, q_weight) == every, text


def test_shortlist_is_the_phrasings_sharing_the_most_selective_weight(
    matcher: Matcher, texts: list[str]
) -> None:
    for text in texts:
        features = _features(matcher.normalizer.analyse(text))
        shared: dict[int, float] = {}
        for f in features:
            postings = matcher._index.get(f, [])
            if postings and len(postings) <= matcher._selective:
                for n in postings:
                    shared[n] = shared.get(n, 0.0) + matcher._idf[f]
        ranked = sorted(shared, key=shared.__getitem__, reverse=True)[:SHORTLIST]
        assert matcher._shortlist(features) == [(n, shared[n]) for n in ranked]


def test_only_candidates_that_may_be_among_the_best_are_rounded(matcher: Matcher) -> None:
    rng = random.Random(4)
    entries = len(matcher.kb.entries)
    for _ in range(2_000):
        # scores on and near the rounding boundaries, ties in the rounded score
        scores = [
            (rng.choice([0.12345, 0.12355, 0.1234499, 0.5, rng.random()]), i, f"p{i}")
            for i in rng.sample(range(entries), rng.randint(0, entries))
        ]
        limit = rng.randint(0, 5)
        naive = sorted(
            ((round(s, 4), matcher.kb.entries[i].id, p) for s, i, p in scores),
            key=lambda c: (-c[0], c[1]),
        )[:limit]
        best = matcher._best_candidates(scores, limit)
        assert [(c.score, c.id, c.phrasing) for c in best] == naive
