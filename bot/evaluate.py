"""Measure a matcher on a labelled set of patient messages (`faqbot eval`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.kb_holder import DecisionMaker
from faq.decision import Action, Decision

OUT_OF_SCOPE = frozenset({"escalate", "urgent"})


class EvalFileError(Exception):
    """The labelled file cannot be read; the message names file and line."""


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    id: str
    text: str
    expect: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    question: LabelledQuestion
    decision: Decision

    @property
    def answered_right(self) -> bool:
        d, expect = self.decision, self.question.expect
        if expect in OUT_OF_SCOPE:
            return d.action.value == expect
        return d.action is Action.ANSWER and d.faq_id == expect

    @property
    def offered(self) -> bool:
        return (
            self.decision.action is Action.CLARIFY and self.question.expect in self.decision.choices
        )

    @property
    def wrong_answer(self) -> bool:
        d = self.decision
        return d.action is Action.ANSWER and d.faq_id != self.question.expect


@dataclass
class EvalReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def _share(self, hits: Iterable[bool]) -> tuple[int, int]:
        values = list(hits)
        return sum(values), len(values)

    def figures(self) -> dict[str, tuple[int, int]]:
        """Each headline figure as (hits, out of)."""
        in_scope = [o for o in self.outcomes if o.question.expect not in OUT_OF_SCOPE]
        return {
            "in-scope answered right": self._share(o.answered_right for o in in_scope),
            "in-scope right or offered": self._share(
                o.answered_right or o.offered for o in in_scope
            ),
            "wrong answers": self._share(o.wrong_answer for o in self.outcomes),
            "escalate recall": self._share(
                o.answered_right for o in self.outcomes if o.question.expect == "escalate"
            ),
            "urgent recall": self._share(
                o.answered_right for o in self.outcomes if o.question.expect == "urgent"
            ),
        }

    def by_tag(self) -> dict[str, tuple[int, int]]:
        tags: dict[str, list[bool]] = defaultdict(list)
        for o in self.outcomes:
            for tag in o.question.tags:
                tags[tag].append(o.answered_right)
        return {tag: self._share(hits) for tag, hits in sorted(tags.items())}

    def risk_coverage(self, thresholds: Iterable[float]) -> list[tuple[float, float, float]]:
        """(threshold, answered share, wrong-answer share) of all messages, had the answer
        threshold been each of `thresholds` (urgent and handover decisions as they were)."""
        rows = []
        total = len(self.outcomes) or 1
        for t in thresholds:
            answered = wrong = 0
            for o in self.outcomes:
                d = o.decision
                if d.action is Action.URGENT or d.rule_id is not None or not d.candidates:
                    continue
                best = d.candidates[0]
                if best.score >= t:
                    answered += 1
                    wrong += best.id != o.question.expect
            rows.append((t, answered / total, wrong / total))
        return rows

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.answered_right]


def load_labelled(path: str | Path) -> list[LabelledQuestion]:
    """Read a JSON-lines file of {"id", "text", "expect", "tags"}."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append(
                LabelledQuestion(
                    id=str(row.get("id", number)),
                    text=str(row["text"]),
                    expect=str(row["expect"]),
                    tags=tuple(row.get("tags", ())),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise EvalFileError(
                f"{path}:{number}: expected a JSON object with text and expect ({exc})"
            ) from exc
    return rows


def evaluate(matcher: DecisionMaker, rows: Iterable[LabelledQuestion]) -> EvalReport:
    """Every row's decision by `matcher` (ours or a benchmark baseline), for scoring."""
    return EvalReport([Outcome(row, matcher.decide(row.text)) for row in rows])


def format_report(
    report: EvalReport, *, show_misses: bool = False, answer_at: float | None = None
) -> str:
    lines = []
    for name, (hits, total) in report.figures().items():
        lines.append(f"{name:<28}{_percent(hits, total):>7}  ({hits}/{total})")
    urgent = [o for o in report.outcomes if o.decision.action is Action.URGENT]
    ordinary = [o for o in report.outcomes if o.question.expect != "urgent"]
    false_urgent = sum(1 for o in urgent if o.question.expect != "urgent")
    lines.append(
        f"{'false urgent':<28}{_percent(false_urgent, len(ordinary)):>7}  "
        f"({false_urgent}/{len(ordinary)})"
    )
    if answer_at is not None:
        lines += ["", f"risk-coverage (answer threshold now {answer_at:.2f})"]
        lines.append("  threshold  answered  wrong")
        grid = sorted({round(answer_at + d, 2) for d in (-0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2)})
        for t, answered, wrong in report.risk_coverage(x for x in grid if 0 < x < 1):
            mark = "  <- in use" if abs(t - answer_at) < 1e-9 else ""
            lines.append(f"  {t:9.2f}  {100 * answered:7.1f}%  {100 * wrong:4.1f}%{mark}")
    lines.append("")
    lines.append("by tag (right decision)")
    for tag, (hits, total) in report.by_tag().items():
        lines.append(f"  {tag:<26}{_percent(hits, total):>7}  ({hits}/{total})")
    if show_misses:
        lines += ["", "misses"]
        for o in report.misses():
            d = o.decision
            got = d.faq_id or ",".join(d.choices) or d.rule_id or ""
            best = " ".join(f"{c.id}={c.score:.2f}" for c in d.candidates)
            lines.append(
                f"  {o.question.id} expect={o.question.expect} got={d.action.value}:{got} "
                f"[{best}] {o.question.text}"
            )
    return "\n".join(lines)


def _percent(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f}%" if total else "n/a"
