"""Find phrasings of different entries that the matcher cannot tell apart."""

from __future__ import annotations

from collections.abc import Callable

from rapidfuzz import fuzz

from faq.loader import Problem
from faq.model import KnowledgeBase
from faq.normalize import Normalizer

# Readings this similar (RapidFuzz ratio) belong to one question, not two.
COLLISION_RATIO = 94.0
MIN_READING = 6

Locate = Callable[[str, int], tuple[str, int | None]]


def find_collisions(kb: KnowledgeBase, locate: Locate) -> list[Problem]:
    """One error per pair of phrasings, in different entries, that read (almost) the same.

    `locate(entry_id, n)` gives the file and line of an entry's n-th phrasing
    (0 is the canonical question).
    """
    normalizer = Normalizer(kb.synonyms)
    readings = [
        (entry.id, n, text, normalizer.analyse(text).reading)
        for entry in kb.entries
        for n, text in enumerate((entry.question, *entry.phrasings))
    ]
    problems = []
    for i, (id_a, n_a, text_a, reading_a) in enumerate(readings):
        for id_b, n_b, text_b, reading_b in readings[i + 1 :]:
            if id_a == id_b or not _collide(reading_a, reading_b):
                continue
            file_b, line_b = locate(id_b, n_b)
            file_a, line_a = locate(id_a, n_a)
            problems.append(
                Problem(
                    file_b,
                    line_b,
                    id_b,
                    f"phrasing {text_b!r} collides with {text_a!r} of entry {id_a!r} "
                    f"({file_a}:{line_a}); the matcher cannot tell them apart",
                )
            )
    return problems


def _collide(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_READING:
        return False
    return fuzz.ratio(a, b, score_cutoff=COLLISION_RATIO) > 0
