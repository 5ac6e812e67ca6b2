"""Every place a text holds any of many words, found in one pass (Aho-Corasick).

Keywords and rule terms number in the hundreds; looking each substring of a message up,
or trying one regular expression alternative after another at every offset, costs far
more than one pass of an automaton built once per knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterable

from ahocorasick_rs import AhoCorasick, MatchKind


class WordFinder:
    """Finds a fixed set of words in texts, overlapping and nested occurrences too."""

    def __init__(self, words: Iterable[str]) -> None:
        # empty words occur everywhere and the automaton refuses them
        self._words = list(dict.fromkeys(w for w in words if w))
        # Standard match kind: the only one that reports every overlapping occurrence
        self._automaton = (
            AhoCorasick(self._words, matchkind=MatchKind.Standard) if self._words else None
        )

    def occurrences(self, text: str) -> list[tuple[int, str]]:
        """(start, word) for every occurrence in `text`, by start, shorter words first:
        the order of a scan over every start and every length."""
        if self._automaton is None:
            return []
        found = self._automaton.find_matches_as_indexes(text, overlapping=True)
        words = self._words
        return [(start, words[i]) for start, _, i in sorted((s, e - s, i) for i, s, e in found)]

    def words_in(self, text: str) -> set[str]:
        """The words that occur in `text`."""
        if self._automaton is None:
            return set()
        words = self._words
        return {words[i] for i, _, _ in self._automaton.find_matches_as_indexes(text, True)}
