"""Choose a baseline's one threshold fairly: the one that maximises right minus wrong."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.baselines import Scorer
from bot.evaluate import OUT_OF_SCOPE, LabelledQuestion


@dataclass(frozen=True, slots=True)
class Tuned:
    """A threshold and what it scored on the set it was tuned on."""

    threshold: float
    right: int  # in-scope questions answered with the right entry
    wrong: int  # answers with the wrong entry (out-of-scope questions answered count too)

    @property
    def objective(self) -> int:
        return self.right - self.wrong


def tune(scorer: Scorer, rows: Sequence[LabelledQuestion]) -> Tuned:
    """The threshold that maximises right answers minus wrong answers on `rows`.

    Every best score seen is tried (answer at or above it), and infinity (never answer);
    among equally good thresholds the highest wins, fewer answers being the safer side.
    """
    best = [(scorer.best(row.text), row.expect) for row in rows]
    scores = sorted({c.score for c, _ in best if c is not None} | {math.inf}, reverse=True)
    chosen = Tuned(math.inf, 0, 0)
    for threshold in scores:
        answered = [(c.id, expect) for c, expect in best if c is not None and c.score >= threshold]
        right = sum(1 for got, expect in answered if got == expect and expect not in OUT_OF_SCOPE)
        tried = Tuned(threshold, right, len(answered) - right)
        if tried.objective > chosen.objective:
            chosen = tried
    return chosen
