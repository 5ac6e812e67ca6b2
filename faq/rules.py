"""Term rules (red flags, handovers) compiled once and checked against a folded message."""

from __future__ import annotations

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

    def occurs_in(self, message: Analysis) -> bool:
        if self.surface and self.surface in message.compact:
            return True
        return bool(self.reading) and self.reading in message.reading


@dataclass(frozen=True, slots=True)
class CompiledRule(Generic[R]):
    rule: R
    any: tuple[Term, ...]
    all: tuple[tuple[Term, ...], ...]
    unless: tuple[Term, ...]

    def matched_term(self, message: Analysis) -> str | None:
        """The term (or terms joined by +) that fires this rule, or None."""
        if any(term.occurs_in(message) for term in self.unless):
            return None
        for term in self.any:
            if term.occurs_in(message):
                return term.text
        if not self.all:
            return None
        hits = [next((t for t in group if t.occurs_in(message)), None) for group in self.all]
        if any(hit is None for hit in hits):
            return None
        return "+".join(hit.text for hit in hits if hit is not None)


class RuleSet(Generic[R]):
    """Rules in file order; the first that fires wins."""

    def __init__(self, rules: Iterable[R], normalizer: Normalizer) -> None:
        def terms(texts: Sequence[str]) -> tuple[Term, ...]:
            return tuple(_term(t, normalizer) for t in texts)

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
    # Only a term written in kana is also looked for in the message's reading:
    # a kanji term's reading would fire on homophones (有人 ゆうじん in 友人).
    reading = analysis.reading if is_kana(analysis.compact) else ""
    if len(reading) < _MIN_READING:
        reading = ""
    return Term(text=text, surface=analysis.compact, reading=reading)
