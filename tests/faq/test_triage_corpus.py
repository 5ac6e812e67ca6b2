"""Red-flag triage on the bundled knowledge base, checked against two message corpora.

data/red_flags.jsonl holds reports that must be urgent, each with the rule id (or the ids)
that may fire; data/ordinary.jsonl holds everyday questions, many of them near misses, that
must not be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faq.decision import Action
from faq.loader import load_kb
from faq.matcher import Matcher

DATA = Path(__file__).parent / "data"
MIN_LINES = {"red_flags.jsonl": 220, "ordinary.jsonl": 320}
MAX_FALSE_ALARM_RATE = 0.02


def _read(name: str) -> list[tuple[int, dict[str, Any]]]:
    """The corpus's cases with their line numbers, for messages that point at the line."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [(n, json.loads(line)) for n, line in enumerate(lines, start=1) if line.strip()]


def _expected(case: dict[str, Any]) -> tuple[str, ...]:
    rule = case["rule"]
    return (rule,) if isinstance(rule, str) else tuple(rule)


RED_FLAGS = _read("red_flags.jsonl")
ORDINARY = _read("ordinary.jsonl")


def _red_flag_case(n: int, case: dict[str, Any]) -> Any:
    # pytest escapes non-ASCII ids, so the id names the line and the expected rule;
    # the message text is in every assertion message instead.
    expected = _expected(case)
    return pytest.param(case["text"], expected, id=f"L{n}-{expected[0]}")


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_kb())


@pytest.mark.parametrize(("name", "minimum"), MIN_LINES.items())
def test_corpus_has_its_minimum_size(name: str, minimum: int) -> None:
    assert len(_read(name)) >= minimum


@pytest.mark.parametrize(("text", "expected"), [_red_flag_case(n, c) for n, c in RED_FLAGS])
def test_red_flag_report_is_urgent(matcher: Matcher, text: str, expected: tuple[str, ...]) -> None:
    decision = matcher.decide(text)
    assert decision.action is Action.URGENT, f"{text!r} was not urgent ({decision.reason})"
    assert decision.rule_id in expected, (
        f"{text!r} fired {decision.rule_id} ({decision.reason}), expected one of {expected}"
    )


def test_ordinary_messages_rarely_raise_a_false_alarm(matcher: Matcher) -> None:
    offenders = []
    for n, case in ORDINARY:
        decision = matcher.decide(case["text"])
        if decision.action is Action.URGENT:
            offenders.append(
                f"  line {n}: {case['text']!r} -> {decision.rule_id} ({decision.reason})"
            )
    rate = len(offenders) / len(ORDINARY)
    assert rate < MAX_FALSE_ALARM_RATE, (
        f"{len(offenders)} of {len(ORDINARY)} ordinary messages ({rate:.1%}) were urgent:\n"
        + "\n".join(offenders)
    )


def test_corpus_names_exactly_the_bundled_red_flags(matcher: Matcher) -> None:
    in_corpus = {rule for _, case in RED_FLAGS for rule in _expected(case)}
    assert in_corpus == {flag.id for flag in matcher.kb.red_flags}


def test_every_red_flag_rule_fires_on_some_report(matcher: Matcher) -> None:
    # A rule no report reaches (shadowed by an earlier rule, or mistyped) is untested.
    fired = {matcher.decide(case["text"]).rule_id for _, case in RED_FLAGS}
    assert [flag.id for flag in matcher.kb.red_flags if flag.id not in fired] == []
