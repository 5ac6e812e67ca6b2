"""Decision thresholds read off cross-validated probabilities: the risk-coverage curve.

Each training text has probabilities from a model that never saw it. Answering every
text whose best entry reaches a threshold gives, per threshold, how many are answered
(coverage) and how many of those answers are wrong (risk). The answer threshold is the
one that gains most when a wrong answer costs WRONG_COST right ones: below it, the
extra answers are wrong too often to be worth giving. The detector's threshold is the
lowest that flags at most FALSE_URGENT of the texts that are not red flags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from faq.model import ESCALATE, URGENT

# What one wrong answer costs, in right answers. A wrong medical answer misleads; a
# message not answered only waits for staff (or is offered as a choice), so a wrong
# answer must cost more than a right one gains. The examples are written to be hard
# (near misses, neighbouring topics, keywords alone): on everyday messages the same
# threshold gives far fewer wrong answers than on them (BENCHMARKS.md).
WRONG_COST = 2.0
# Of the texts in the clarify band, at least this share must find their entry among
# the choices offered.
CLARIFY_PRECISION = 0.5
# Share of the not-urgent texts the detector may flag (cross-validated). They are mostly
# near misses written to be confused with red flags («うつになることはある？»), far
# harder than everyday messages; the rules catch the plainly worded reports first.
FALSE_URGENT = 0.03
CHOICES = 3
GRID = tuple(round(t, 2) for t in np.arange(0.10, 1.00, 0.01))
# When a knowledge base is too small to cross-validate (an entry with one phrasing).
DEFAULT = (0.5, 0.25, 0.3)


@dataclass(frozen=True, slots=True)
class Bands:
    """Where the decisions start: answer and clarify on the best entry's probability,
    urgent on the detector's."""

    answer: float
    clarify: float
    urgent: float

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.answer, self.clarify, self.urgent)


@dataclass(frozen=True, slots=True)
class Point:
    """One answer threshold and what it does to the cross-validated texts."""

    threshold: float
    answered: float  # share of all texts answered
    wrong: float  # share of all texts answered with the wrong entry (or not to be answered)
    right: float  # share of the entries' texts answered right

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.threshold, self.answered, self.wrong, self.right)


OutOfFold = tuple[tuple[str, ...], NDArray[np.float64]]


def curve(oof: OutOfFold, labels: Sequence[str]) -> tuple[Point, ...]:
    """Coverage and risk at every threshold of GRID."""
    classes, probabilities = oof
    best, top, is_entry = _best(classes, probabilities)
    truth = np.array(labels)
    in_scope = truth != ESCALATE
    points = []
    for t in GRID:
        answered = is_entry & (top >= t)
        right = answered & (best == truth)
        points.append(
            Point(
                threshold=t,
                answered=float(answered.mean()),
                wrong=float((answered & ~right).mean()),
                right=float(right[in_scope].mean()) if in_scope.any() else 0.0,
            )
        )
    return tuple(points)


def answer_and_clarify(
    points: Sequence[Point], oof: OutOfFold | None, labels: Sequence[str]
) -> tuple[float, float]:
    """The answer and clarify thresholds (DEFAULT where there is too little data)."""
    answer, clarify, _ = DEFAULT
    if points:
        answer = max(points, key=_gain).threshold
    if oof is not None:
        clarify = _clarify(oof, labels, answer)
    return answer, min(clarify, answer)


def _gain(point: Point) -> float:
    """Right answers minus the cost of the wrong ones, as a share of all texts."""
    return (point.answered - point.wrong) - WRONG_COST * point.wrong


def _best(
    classes: tuple[str, ...], probabilities: NDArray[np.float64]
) -> tuple[NDArray[np.str_], NDArray[np.float64], NDArray[np.bool_]]:
    """Per text: its best entry's label and probability, and whether the best class is
    an entry at all (not `escalate`)."""
    names = np.array(classes)
    entry_columns = names != ESCALATE
    entries = np.where(entry_columns, probabilities, -1.0)
    best = names[entries.argmax(axis=1)]
    top = entries.max(axis=1)
    return best, top, probabilities.argmax(axis=1) != int(np.argmax(~entry_columns))


def _clarify(oof: OutOfFold, labels: Sequence[str], answer: float) -> float:
    """The lowest threshold below `answer` whose band offers the right entry among its
    choices to CLARIFY_PRECISION of its texts."""
    classes, probabilities = oof
    names = np.array(classes)
    _, top, _ = _best(classes, probabilities)
    order = np.argsort(-np.where(names != ESCALATE, probabilities, -1.0), axis=1)[:, :CHOICES]
    offered = np.array([label in names[row] for label, row in zip(labels, order, strict=True)])
    chosen = answer
    for t in sorted((t for t in GRID if t < answer), reverse=True):
        band = (top >= t) & (top < answer)
        if band.any() and offered[band].mean() >= CLARIFY_PRECISION:
            chosen = t
        else:
            break
    return chosen


def urgent_threshold(oof: OutOfFold | None, labels: Sequence[str]) -> float:
    """The lowest detector probability that flags at most FALSE_URGENT of the texts
    that are not red flags."""
    if oof is None:
        return DEFAULT[2]
    classes, probabilities = oof
    p = probabilities[:, classes.index(URGENT)]
    ordinary = p[np.array(labels) != URGENT]
    return next((t for t in GRID if (ordinary >= t).mean() <= FALSE_URGENT), GRID[-1])
