"""Decide what to do with a patient's message: urgent, answer, clarify or escalate.

In this order:
1. the red-flag rules (`red_flags.yaml`, the bundled ones always among them): urgent;
2. the learned red-flag detector, tuned for recall: urgent;
3. the handover rules (a person, the patient's own data): escalate;
4. the learned topic model scores every entry and `escalate` together: the best entry
   is answered when its probability reaches the answer threshold, offered with the
   runners-up from the clarify threshold unless `escalate` is likelier than it, and
   anything else goes to staff.
The thresholds come from cross-validation (`faq.risk`), not from hand tuning. Typos in
the entries' keywords are repaired first (RapidFuzz, `faq.keywords`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faq.decision import Action, Candidate, Decision
from faq.features import features
from faq.keywords import KeywordIndex
from faq.model import ESCALATE, Handover, KnowledgeBase, RedFlag
from faq.normalize import Analysis, Normalizer
from faq.risk import Bands
from faq.rules import RuleSet
from faq.trained import Trained, default_cache_dir, load_or_train

# Candidates below this probability are not worth showing as evidence.
SHOWN_FLOOR = 0.05
# The detector reads sentences: a word or two (薬, 飲んでます, イソトレ) tells it too little
# and it took some for reports. Short reports are the rules' part: every one of under
# this many characters in the labelled sets (しにたい, 血便でた, ｲｷｸﾞﾙｼｲ) is a rule's.
DETECTOR_MIN_CHARS = 9
# On an answer, another entry this probable is offered beside it (「お酒と献血は？」).
ALSO_OFFERED = 0.2

_UNSET = Path()


class Matcher:
    """Matches messages against one knowledge base; build once per knowledge base (it
    trains the models, or takes them from the cache)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        thresholds: Bands | None = None,
        cache_dir: Path | None = _UNSET,
    ) -> None:
        """`thresholds` replaces the cross-validated ones (tests); `cache_dir=None` trains
        without a cache."""
        self.kb = kb
        self.normalizer = Normalizer(kb.synonyms)
        self._red_flags = RuleSet[RedFlag](kb.red_flags, self.normalizer)
        self._handover = RuleSet[Handover](kb.handover, self.normalizer)
        self._keywords = KeywordIndex(
            [e.keywords for e in kb.entries], self.normalizer, specific_lemmas=set()
        )
        cache = default_cache_dir() if cache_dir is _UNSET else cache_dir
        self.trained: Trained = load_or_train(kb, self.normalizer, cache)
        self.thresholds = thresholds or self.trained.bands
        self._by_id = {e.id: e for e in kb.entries}
        classes = self.trained.topics.classes
        self._entry_columns = np.array([c != ESCALATE for c in classes])

    def decide(self, text: str, *, top: int = 3) -> Decision:
        """The decision for one message, with its probability and best candidates."""
        message = self.normalizer.analyse(text)
        red_flag = self._red_flags.first_match(message)
        if red_flag is not None:
            flag, term = red_flag
            return Decision(Action.URGENT, None, 1.0, rule_id=flag.id, reason=f"red flag: {term}")
        message = self._repaired(message)
        found = features(message)
        detector = self.trained.urgent
        p_urgent = float(detector.probabilities(found)[1])
        if p_urgent >= self.thresholds.urgent and len(message.compact) >= DETECTOR_MIN_CHARS:
            why = ", ".join(_shown(f) for f in detector.evidence(found, detector.classes[1]))
            return Decision(
                Action.URGENT, None, p_urgent, reason=f"red-flag detector {p_urgent:.2f}: {why}"
            )
        candidates = self._rank(found, limit=max(top, 2))
        handover = self._handover.first_match(message)
        if handover is not None:
            rule, term = handover
            return Decision(
                Action.ESCALATE,
                None,
                0.0,
                tuple(candidates[:top]),
                rule_id=rule.id,
                reason=f"handover: {term}",
            )
        return self._band(message, found, candidates, top)

    def rank(self, message: Analysis, *, limit: int = 10) -> list[Candidate]:
        """The `limit` most probable entries, best first."""
        return self._rank(features(self._repaired(message)), limit=limit)

    def _repaired(self, message: Analysis) -> Analysis:
        """The message with typos in entry keywords fixed (初期悪下 → 初期悪化)."""
        return self._keywords.hits(message)[1]

    def _rank(self, found: list[str], *, limit: int) -> list[Candidate]:
        probabilities = self.trained.topics.probabilities(found)
        entries = np.where(self._entry_columns, probabilities, -1.0)
        order = np.argsort(-entries, kind="stable")[:limit]
        classes = self.trained.topics.classes
        return [
            Candidate(classes[k], float(entries[k]), self._by_id[classes[k]].question)
            for k in order
            if entries[k] >= SHOWN_FLOOR
        ]

    def _band(
        self, message: Analysis, found: list[str], candidates: list[Candidate], top: int
    ) -> Decision:
        t = self.thresholds
        shown = tuple(candidates[:top])
        best = candidates[0] if candidates else None
        if best is None or best.score < t.clarify:
            score = best.score if best else 0.0
            return Decision(Action.ESCALATE, None, score, shown, reason="no entry fits")
        if best.score >= t.answer:
            why = ", ".join(_shown(f) for f in self.trained.topics.evidence(found, best.id))
            also = tuple(
                c.id for c in candidates[1:3] if c.score >= ALSO_OFFERED and self._is_faq(c.id)
            ) or self._second_topic(message, found, best.id)
            return Decision(
                Action.ANSWER,
                best.id,
                best.score,
                shown,
                reason=f"model {best.score:.2f}: {why}",
                choices=also,
            )
        staff = self._staff_work(found)
        if staff > best.score:  # unsure of every entry, and likelier staff work: no guessing
            return Decision(
                Action.ESCALATE,
                None,
                best.score,
                shown,
                reason=f"staff work likelier ({staff:.2f})",
            )
        choices = tuple(c.id for c in candidates[:3] if c.score >= t.clarify and self._is_faq(c.id))
        if not choices:
            return Decision(
                Action.ESCALATE, None, best.score, shown, reason="only small talk close"
            )
        return Decision(Action.CLARIFY, None, best.score, shown, reason="unsure", choices=choices)

    def _staff_work(self, found: list[str]) -> float:
        """The topic model's probability of `escalate` (0 for a model without it)."""
        classes = self.trained.topics.classes
        if ESCALATE not in classes:
            return 0.0
        return float(self.trained.topics.probabilities(found)[classes.index(ESCALATE)])

    def _second_topic(self, message: Analysis, found: list[str], best: str) -> tuple[str, ...]:
        """Another entry the message asks about (お酒と献血は？): with the words that
        spoke for the answer taken out, what is left must answer a second entry on its
        own. A classifier gives one winner; this finds the runner-up it drowned."""
        spoke = [f[2:] for f in self.trained.topics.evidence(found, best, top=5) if f[:2] == "c:"]
        rest = message.compact
        for term in sorted(spoke, key=len, reverse=True):
            rest = rest.replace(term, " ")
        if not rest.strip() or rest == message.compact:
            return ()
        hits, left = self._keywords.hits(self.normalizer.analyse(rest))
        again = self._rank(features(left), limit=1)
        if not again or again[0].id == best or again[0].score < self.thresholds.answer:
            return ()
        # and what is left names it by one of its keywords (献血 in お酒と献血は), not only
        # by the words every question has (を飲んでもいいですか)
        named = {self.kb.entries[i].id for i in hits}
        return (again[0].id,) if again[0].id in named and self._is_faq(again[0].id) else ()

    def _is_faq(self, entry_id: str) -> bool:
        entry = self._by_id.get(entry_id)
        return entry is not None and entry.kind == "faq"


def _shown(feature: str) -> str:
    """A feature as staff read it: without its kind prefix."""
    return feature.split(":", 1)[1]
