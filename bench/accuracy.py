"""The eval figures of every matcher on one labelled file, side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bench.matchers import BenchMatcher
from bench.table import markdown, share
from bot.evaluate import OUT_OF_SCOPE, EvalReport, LabelledQuestion, evaluate


def score(
    matchers: Sequence[BenchMatcher], rows: Sequence[LabelledQuestion]
) -> dict[str, EvalReport]:
    """Each matcher's report on the same rows, scored by `faqbot eval`'s own code."""
    return {m.name: evaluate(m, rows) for m in matchers}


def in_scope(rows: Sequence[LabelledQuestion]) -> list[LabelledQuestion]:
    """The rows an FAQ entry answers (no escalate or urgent labels)."""
    return [row for row in rows if row.expect not in OUT_OF_SCOPE]


def accuracy_table(reports: Mapping[str, EvalReport]) -> str:
    """Headline figures, then the right-decision share per tag; one column per matcher."""
    names = list(reports)
    figures = {name: report.figures() for name, report in reports.items()}
    tags = {name: report.by_tag() for name, report in reports.items()}
    rows = [
        [figure, *(share(*figures[name][figure]) for name in names)]
        for figure in figures[names[0]]
        if any(figures[name][figure][1] for name in names)  # no escalate rows: no recall
    ]
    rows += [[f"tag {tag}", *(share(*tags[name][tag]) for name in names)] for tag in tags[names[0]]]
    return markdown(["figure", *names], rows)
