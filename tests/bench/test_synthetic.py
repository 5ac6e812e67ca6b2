"""Growing the bundled knowledge base: exact sizes, valid and distinct entries."""

from __future__ import annotations

import random

from bench.synthetic import grow, perturb
from faq.loader import load_kb
from faq.model import KnowledgeBase


def test_grown_knowledge_base_has_the_size_asked_for_and_stays_valid() -> None:
    bundled = load_kb()
    grown = grow(bundled, len(bundled.entries) + 30, phrasings=2, keywords=3, seed=1)
    assert len(grown.entries) == len(bundled.entries) + 30
    assert grown.entries[: len(bundled.entries)] == bundled.entries
    assert len({e.id for e in grown.entries}) == len(grown.entries)
    copies = grown.entries[len(bundled.entries) :]
    assert all(len(e.phrasings) == 2 and len(e.keywords) <= 3 for e in copies)
    assert len({e.question for e in copies}) == len(copies)
    KnowledgeBase.model_validate(grown.model_dump())  # every copy passes validation


def test_smaller_sizes_are_the_first_entries() -> None:
    bundled = load_kb()
    assert grow(bundled, 5).entries == bundled.entries[:5]


def test_perturbing_keeps_the_predicate_last_and_writes_the_topic_in() -> None:
    text = "飲み始めてからニキビが増えたんだけど、これって普通ですか？"
    perturbed = perturb(text, random.Random(2), ("ゼクロ",))
    assert perturbed == "増えたんだけど、これニキビがゼクロも飲み始めてから普通ですか？"
    assert perturb(text, random.Random(2), ("ゼクロ",)) == perturbed  # repeatable
