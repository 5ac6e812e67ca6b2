"""Term rules (red flags, handovers) compiled once and checked against a folded message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from faq.model import Rule
from faq.normalize import Analysis, Normalizer, is_kana

R = TypeVar("R", bound=Rule)

# A kana term shorter than this (はき) occurs by chance inside too many
# unrelated readings; such terms match on the written form only.
_MIN_READING = 3


@dataclass(frozen=True, slots=True)
class Term:
    """A rule term in the two forms it may appear in a message."""

    text: str
    surface: str
    reading: str


class TermGroup:
    """Terms searched as one regular expression per form: a few hundred terms cost one
    pass over the message instead of one per term."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._by_surface: dict[str, str] = {}
        self._by_reading: dict[str, str] = {}
        for term in terms:
            if term.surface:
                self._by_surface.setdefault(term.surface, term.text)
            if term.reading:
                self._by_reading.setdefault(term.reading, term.text)
        self._surface = _literal_alternation(self._by_surface)
        self._reading = _literal_alternation(self._by_reading)

    def __bool__(self) -> bool:
        return bool(self._by_surface or self._by_reading)

    def find(self, message: Analysis) -> str | None:
        """The first term found (as the admin wrote it), or None."""
        if self._surface is not None and (m := self._surface.search(message.compact)):
            return self._by_surface[m[0]]
        if self._reading is not None and (m := self._reading.search(message.reading)):
            return self._by_reading[m[0]]
        return None


@dataclass(frozen=True, slots=True)
class CompiledRule(Generic[R]):
    rule: R
    any: TermGroup
    all: tuple[TermGroup, ...]
    unless: TermGroup

    def matched_term(self, message: Analysis) -> str | None:
        """The term (or terms joined by +) that fires this rule, or None."""
        if self.unless.find(message) is not None:
            return None
        term = self.any.find(message)
        if term is not None:
            return term
        if not self.all:
            return None
        hits = [group.find(message) for group in self.all]
        if any(hit is None for hit in hits):
            return None
        return "+".join(hit for hit in hits if hit is not None)


class RuleSet(Generic[R]):
    """Rules in file order; the first that fires wins."""

    def __init__(self, rules: Iterable[R], normalizer: Normalizer) -> None:
        def terms(texts: Sequence[str]) -> TermGroup:
            return TermGroup(_term(t, normalizer) for t in texts)

        self._rules = tuple(
            CompiledRule(
                rule=r,
                any=terms(r.any),
                all=tuple(terms(group) for group in r.all),
                unless=terms(r.unless),
            )
            for r in rules
        )

    def first_match(self, message: Analysis) -> tuple[R, str] | None:
        """The first rule that fires and the term that fired it."""
        for compiled in self._rules:
            term = compiled.matched_term(message)
            if term is not None:
                return compiled.rule, term
        return None


def _term(text: str, normalizer: Normalizer) -> Term:
    analysis = normalizer.analyse(text)
    as_written = normalizer.analyse(text, synonyms=False)
    # Only a term written in kana is also looked for in the message's reading:
    # a kanji term's reading would fire on homophones (有人 ゆうじん in 友人).
    reading = as_written.reading if is_kana(as_written.compact) else ""
    if len(reading) < _MIN_READING:
        reading = ""
    return Term(text=text, surface=analysis.compact, reading=reading)


def _literal_alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern finding any of `words`, longest first."""
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None
