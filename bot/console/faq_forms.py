"""The admin FAQ forms as plain text fields, and back: entry drafts and the synonym lexicon."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from faq.kb_documents import EntryDraft

# Admins type Japanese: the full-width and ideographic commas separate as well as ",".
_COMMAS = re.compile(r"[,、，]")
_ID_SEPARATORS = re.compile(r"[,、，\s]+")

ADVERTISING: tuple[tuple[str, str], ...] = (
    ("", "該当なし"),
    ("treatment", "未承認の治療（treatment）"),
    ("price", "費用（price）"),
    ("product", "製品（product）"),
)
KINDS: tuple[tuple[str, str], ...] = (("faq", "FAQ"), ("smalltalk", "あいさつ等（smalltalk）"))


def entry_form(draft: EntryDraft) -> dict[str, str]:
    """The draft as the edit form's field values."""
    return {
        "id": draft.id,
        "category": draft.category,
        "question": draft.question,
        "phrasings": "\n".join(draft.phrasings),
        "keywords": "\n".join(draft.keywords),
        "answer": draft.answer,
        "related": ", ".join(draft.related),
        "kind": draft.kind,
        "advertising": draft.advertising or "",
        "reviewed_by": draft.reviewed_by or "",
        "reviewed_on": "" if draft.reviewed_on is None else str(draft.reviewed_on),
    }


def draft_from_form(form: Mapping[str, str]) -> EntryDraft:
    """What the admin typed, as a draft; the validator, not this function, judges it."""

    def text(name: str) -> str:
        return form.get(name, "").replace("\r\n", "\n").strip()

    def optional(name: str) -> str | None:
        return text(name) or None  # an emptied optional field removes the key

    return EntryDraft(
        id=text("id"),
        category=text("category"),
        question=text("question"),
        answer=text("answer"),
        phrasings=lines(text("phrasings")),
        keywords=lines(text("keywords")),
        related=tuple(i for i in _ID_SEPARATORS.split(text("related")) if i),
        kind=text("kind") or "faq",
        advertising=optional("advertising"),
        reviewed_by=optional("reviewed_by"),
        reviewed_on=optional("reviewed_on"),
    )


def lines(text: str) -> tuple[str, ...]:
    """One item per non-blank line (a blank line in a textarea is no phrasing)."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def fingerprint(draft: EntryDraft) -> str:
    """A short digest of the entry as opened: a changed entry on disk has another one."""
    fields = dataclasses.asdict(draft.cleaned())
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class LexiconLine:
    """One group of the lexicon form, with the line of the textarea it was typed on."""

    line: int
    words: tuple[str, ...]


def lexicon_text(groups: Sequence[Sequence[str]]) -> str:
    """The groups one per line, comma separated."""
    return "\n".join(", ".join(group) for group in groups)


def lexicon_lines(text: str) -> list[LexiconLine]:
    """The groups typed in the textarea; blank lines skipped, line numbers kept."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = tuple(w.strip() for w in _COMMAS.split(line) if w.strip())
        if words:
            found.append(LexiconLine(number, words))
    return found


def lexicon_errors_by_line(
    errors: Mapping[str, list[str]], typed: Sequence[LexiconLine]
) -> list[str]:
    """The editor's errors (keyed by group index) as messages naming the textarea's line."""
    messages = []
    for key, found in sorted(errors.items(), key=lambda item: int(item[0])):
        index = int(key)
        where = f"{typed[index].line}行目" if index < len(typed) else f"グループ{index + 1}"
        messages += [f"{where}: {message}" for message in found]
    return messages
