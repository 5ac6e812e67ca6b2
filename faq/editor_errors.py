"""The validator's problems with a candidate knowledge base, put next to the fields at fault."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ruamel.yaml.comments import CommentedSeq

from faq import yaml_roundtrip as rt
from faq.kb_documents import EntryDraft, section
from faq.loader import Problem
from faq.model import Entry

FieldErrors = dict[str, list[str]]
_FIELDS = frozenset(Entry.model_fields)


def entry_field_errors(
    problems: Iterable[Problem], draft: EntryDraft
) -> tuple[FieldErrors, list[Problem]]:
    """Errors about the draft keyed by its field ("answer", "phrasings", …), and the rest."""
    by_field: FieldErrors = {}
    rest: list[Problem] = []
    for problem in problems:
        placed = _place(problem, draft)
        if placed is None:
            rest.append(problem)
        else:
            by_field.setdefault(placed[0], []).append(placed[1])
    return by_field, rest


def _place(problem: Problem, draft: EntryDraft) -> tuple[str, str] | None:
    message = problem.message
    if problem.entry_id != draft.id:
        # A collision is reported on the later entry; the draft may be the earlier one.
        if f" of entry {draft.id!r} (" not in message:
            return None
        mine = (
            "question" if f"collides with {draft.question!r} of entry" in message else "phrasings"
        )
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        return mine, f"entry {problem.entry_id!r} ({where}): {message}"
    if message.startswith("duplicate id"):
        return "id", message
    if message.startswith("phrasing ") and " collides with " in message:
        mine = "question" if message.startswith(f"phrasing {draft.question!r} ") else "phrasings"
        return mine, message
    key, sep, detail = message.partition(": ")
    name = key.split(".")[0]
    if sep and name in _FIELDS:
        return name, detail
    return None


def lexicon_errors(
    problems: Iterable[Problem], texts: Mapping[Path, str]
) -> tuple[FieldErrors, list[Problem]]:
    """Lexicon errors keyed by group index ("0", "1", …), from the line each group is on."""
    lexicon, index_of = "", {}
    for file, text in texts.items():
        groups = section(rt.load(text), "synonyms")
        if (
            isinstance(groups, CommentedSeq) and groups
        ):  # the first file with a lexicon is the one edited
            lexicon = str(file)
            index_of = {groups.lc.item(i)[0] + 1: i for i in range(len(groups))}
            break
    by_group: FieldErrors = {}
    rest: list[Problem] = []
    for problem in problems:
        index = index_of.get(problem.line or 0)
        if (
            problem.file == lexicon
            and problem.message.startswith("synonyms:")
            and index is not None
        ):
            detail = problem.message.removeprefix("synonyms: ")
            by_group.setdefault(str(index), []).append(detail)
        else:
            rest.append(problem)
    return by_group, rest
