"""What the matcher decided about one message, with the evidence for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    URGENT = "urgent"
    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry the matcher considered, with its score (0..1) and best phrasing."""

    id: str
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The matcher's decision; `reason` says why in a few words, for staff and logs."""

    action: Action
    faq_id: str | None
    score: float
    candidates: tuple[Candidate, ...] = ()
    rule_id: str | None = None  # red-flag or handover rule that fired
    reason: str = ""
    # entry ids offered: the choices on CLARIFY; on ANSWER, other entries the message
    # also matched well (「お酒と献血は？」), offered as buttons beside the answer
    choices: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, object]:
        """The `faqbot ask --jsonl` line for this decision."""
        return {
            "action": self.action.value,
            "faq_id": self.faq_id,
            "score": round(self.score, 4),
            "candidates": [{"id": c.id, "score": round(c.score, 4)} for c in self.candidates],
        }
