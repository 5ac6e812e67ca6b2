"""The learning pages' forms: what an admin asked to learn from a group, pre-filled and checked."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.kb_holder import DecisionMaker
from bot.learning import QuestionGroup
from faq.decision import Action, Decision
from faq.editor import EntryDraft, KbEditor, SaveResult
from faq.model import KnowledgeBase

Kind = Literal["phrasing", "entry"]
KINDS: tuple[Kind, ...] = ("phrasing", "entry")
GROUP_KEY = re.compile(r"[qp]\d+")
ENTRY_FIELDS = ("id", "category", "question", "phrasings", "answer")
ACTION_LABELS = {
    Action.ANSWER: "回答",
    Action.CLARIFY: "選択肢を提示",
    Action.ESCALATE: "スタッフへ",
    Action.URGENT: "緊急",
}


class BadForm(Exception):
    """A form no page of ours sends (a hand-made request)."""


@dataclass(frozen=True, slots=True)
class Learn:
    """A change asked for from a group: `text` as a phrasing of `faq_id`, or a new entry."""

    kind: Kind
    group: str  # the group's key ("" if unknown), to go back to it
    proposals: tuple[int, ...]  # the group's staff proposals, accepted once saved
    faq_id: str = ""
    text: str = ""
    draft: EntryDraft | None = None

    @property
    def entry_id(self) -> str:
        return self.draft.id if self.draft is not None else self.faq_id

    def fields(self) -> dict[str, str]:
        """The form fields that ask for this change again (the dry run's save form)."""
        base = {
            "kind": self.kind,
            "group": self.group,
            "proposals": ",".join(map(str, self.proposals)),
        }
        if self.draft is None:
            return {**base, "faq_id": self.faq_id, "text": self.text}
        draft = self.draft
        entry = (draft.id, draft.category, draft.question, "\n".join(draft.phrasings))
        return {**base, **dict(zip(ENTRY_FIELDS, (*entry, draft.answer), strict=True))}


def parse_learn(form: Mapping[str, str]) -> Learn:
    """The change a submitted form asks for; BadForm if no page of ours sent it."""
    kind = form.get("kind", "")
    group = form.get("group", "")
    if kind not in KINDS or (group and not GROUP_KEY.fullmatch(group)):
        raise BadForm(f"kind {kind!r} or group {group!r}")
    raw = form.get("proposals", "").strip()
    try:
        proposals = tuple(int(p) for p in raw.split(",")) if raw else ()
    except ValueError:
        raise BadForm("proposals must be ids") from None
    if kind == "phrasing":
        return Learn("phrasing", group, proposals, form.get("faq_id", ""), form.get("text", ""))
    draft = EntryDraft(
        id=form.get("id", ""),
        category=form.get("category", ""),
        question=form.get("question", ""),
        answer=form.get("answer", ""),
        phrasings=tuple(line for line in form.get("phrasings", "").splitlines() if line.strip()),
    )
    return Learn("entry", group, proposals, draft=draft.cleaned())


def group_key(group: QuestionGroup) -> str:
    """A stable name for a group: one of its questions (or proposals) by id."""
    if group.question_ids:
        return f"q{group.question_ids[0]}"
    return f"p{group.proposal_ids[0]}"


def find_group(groups: Sequence[QuestionGroup], key: str) -> QuestionGroup | None:
    """The group holding the question or proposal `key` names (groups shift as questions come)."""
    kind, number = key[0], int(key[1:])
    for group in groups:
        if number in (group.question_ids if kind == "q" else group.proposal_ids):
            return group
    return None


def defaults(group: QuestionGroup, kb: KnowledgeBase) -> Learn:
    """The phrasing form as offered: the representative, for the entry proposed or suggested."""
    known = [
        i for i in (*group.proposed_faq_ids, *(s.faq_id for s in group.suggested)) if kb.entry(i)
    ]
    faq_id = known[0] if known else ""
    return Learn("phrasing", group_key(group), group.proposal_ids, faq_id, group.representative)


def new_entry_defaults(group: QuestionGroup, kb: KnowledgeBase, faq_id: str) -> Learn:
    """The new-entry form as offered: the group's questions, answered as staff answered them."""
    near = kb.entry(faq_id)
    others = dict.fromkeys(m.text.strip() for m in group.members)
    others.pop(group.representative.strip(), None)
    draft = EntryDraft(
        id="",
        category=near.category if near is not None else "",
        question=group.representative.strip(),
        answer=group.staff_replies[0] if group.staff_replies else "",
        phrasings=tuple(others),
    )
    return Learn("entry", group_key(group), group.proposal_ids, draft=draft)


def candidate_kb(editor: KbEditor, learn: Learn) -> KnowledgeBase | SaveResult:
    """The knowledge base the change would give, or why it cannot be made (blocking)."""
    if learn.draft is not None:
        return editor.preview_entry(learn.draft)
    text = learn.text.strip()
    if not text:
        return SaveResult(learn.faq_id, field_errors={"text": ["質問文を入力してください"]})
    listed = editor.entry(learn.faq_id)
    if listed is None:
        return SaveResult(learn.faq_id, field_errors={"faq_id": ["そのエントリはありません"]})
    draft = listed.draft
    if _fold(text) in {_fold(p) for p in (draft.question, *draft.phrasings)}:
        message = "このエントリには既にこの言い換えがあります"
        return SaveResult(learn.faq_id, field_errors={"text": [message]})
    return editor.preview_entry(
        replace(draft, phrasings=(*draft.phrasings, text)), original_id=learn.faq_id
    )


def save_learn(editor: KbEditor, learn: Learn, author: str) -> SaveResult:
    """Write the change, validated again against the files as they are now (blocking)."""
    if learn.draft is not None:
        return editor.save_entry(learn.draft, author=author)
    return editor.add_phrasing(learn.faq_id, learn.text, author=author)


def decisions(matcher: DecisionMaker, texts: Sequence[str]) -> dict[str, Decision]:
    """What the bot would do with each text now (CPU work: call it in a thread)."""
    return {text: matcher.decide(text) for text in dict.fromkeys(texts)}


def learnt(group: QuestionGroup, now: Mapping[str, Decision]) -> bool:
    """Every question of the group was escalated and is answered now: nothing left to do.

    Questions marked not helpful were answered already; only an admin can say they are done.
    """
    return all(
        m.escalated
        and not m.not_helpful
        and not m.proposals
        and now[m.text].action is Action.ANSWER
        for m in group.members
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
