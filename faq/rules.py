"""Term rules (red flags, handovers) compiled once and checked against a folded message."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from faq.model import Rule
from faq.normalize import Analysis, Normalizer, is_kana
from faq.occurrences import WordFinder

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
        self._surfaces = frozenset(self._by_surface)
        self._readings = frozenset(self._by_reading)

    def __bool__(self) -> bool:
        return bool(self._by_surface or self._by_reading)

    @property
    def surfaces(self) -> frozenset[str]:
        return self._surfaces

    @property
    def readings(self) -> frozenset[str]:
        return self._readings

    def find(self, message: Analysis, present: Present | None = None) -> str | None:
        """The first term found (as the admin wrote it), or None. With `present` (the
        terms the message holds), a group none of whose terms it holds is not searched."""
        if (
            self._surface is not None
            and (present is None or not self._surfaces.isdisjoint(present.surfaces))
            and (m := self._surface.search(message.compact))
        ):
            return self._by_surface[m[0]]
        if (
            self._reading is not None
            and (present is None or not self._readings.isdisjoint(present.readings))
            and (m := self._reading.search(message.reading))
        ):
            return self._by_reading[m[0]]
        return None


@dataclass(frozen=True, slots=True)
class Present:
    """The terms of a rule set that one message holds, in either form."""

    surfaces: set[str]
    readings: set[str]


@dataclass(frozen=True, slots=True)
class CompiledRule(Generic[R]):
    rule: R
    any: TermGroup
    all: tuple[TermGroup, ...]
    unless: TermGroup

    def matched_term(self, message: Analysis, present: Present | None = None) -> str | None:
        """The term (or terms joined by +) that fires this rule, or None."""
        if self.unless.find(message, present) is not None:
            return None
        term = self.any.find(message, present)
        if term is not None:
            return term
        if not self.all:
            return None
        hits = [group.find(message, present) for group in self.all]
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
        # Every term of every rule in one automaton per form: one pass tells which
        # terms a message holds, and so which rules may fire (most messages hold none).
        groups = [g for c in self._rules for g in (c.any, *c.all, c.unless)]
        self._surfaces = WordFinder(t for g in groups for t in g.surfaces)
        self._readings = WordFinder(t for g in groups for t in g.readings)
        # the rules (by number) that a term may fire: those with it in `any` or `all`
        self._firing_surface: dict[str, list[int]] = defaultdict(list)
        self._firing_reading: dict[str, list[int]] = defaultdict(list)
        for n, c in enumerate(self._rules):
            for group in (c.any, *c.all):
                for t in group.surfaces:
                    self._firing_surface[t].append(n)
                for t in group.readings:
                    self._firing_reading[t].append(n)

    def first_match(self, message: Analysis) -> tuple[R, str] | None:
        """The first rule that fires and the term that fired it."""
        present = Present(
            self._surfaces.words_in(message.compact), self._readings.words_in(message.reading)
        )
        # A rule fires on a term of its `any` or `all` groups that the message holds:
        # only those rules are tried, in file order.
        candidates = {n for t in present.surfaces for n in self._firing_surface.get(t, ())}
        candidates.update(n for t in present.readings for n in self._firing_reading.get(t, ()))
        for n in sorted(candidates):
            compiled = self._rules[n]
            term = compiled.matched_term(message, present)
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
