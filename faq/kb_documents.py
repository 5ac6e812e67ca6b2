"""The knowledge base's files as parsed round-trip documents, and the edits admins make to them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, get_args

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from faq import yaml_roundtrip as rt
from faq.model import Entry

ENTRY_FIELDS = tuple(Entry.model_fields)
_FLOW_LISTS = frozenset({"keywords", "related"})  # as the bundled file writes them


class EditRefused(Exception):
    """The edit cannot be applied at all (before any validation); names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry as an admin edits it; the validator, not this class, decides if it is valid."""

    id: str
    category: str
    question: str
    answer: str
    phrasings: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    kind: str = "faq"
    advertising: str | None = None  # "treatment", "price" or "product"
    reviewed_by: str | None = None
    reviewed_on: date | str | None = None  # a form may send "2026-11-25"

    def cleaned(self) -> EntryDraft:
        """Surrounding whitespace removed from every text, as the loader would."""
        return replace(self, **{f.name: _stripped(getattr(self, f.name)) for f in fields(self)})


def _stripped(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, tuple):
        return tuple(v.strip() if isinstance(v, str) else v for v in value)
    return value


def section(data: Any, name: str) -> list[Any]:
    """The list under top-level key `name` ([] when absent or not a list)."""
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def holder(docs: dict[Path, Any], name: str) -> Path | None:
    """The first file with section `name`: where new entries or synonym groups go."""
    return next((f for f, d in docs.items() if isinstance(d, dict) and name in d), None)


def draft_of(item: CommentedMap) -> EntryDraft:
    """The entry as written in the file, whether or not it is valid."""

    def text(key: str, default: str = "") -> str:
        value = item.get(key)
        return default if value is None else str(value).strip()

    def optional(key: str) -> Any:
        value = item.get(key)
        return value.strip() if isinstance(value, str) else value

    def texts(key: str) -> tuple[str, ...]:
        value = item.get(key)
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    return EntryDraft(
        id=text("id"),
        category=text("category"),
        question=text("question"),
        answer=text("answer"),
        phrasings=texts("phrasings"),
        keywords=texts("keywords"),
        related=texts("related"),
        kind=text("kind", "faq"),
        advertising=optional("advertising"),
        reviewed_by=optional("reviewed_by"),
        reviewed_on=optional("reviewed_on"),
    )


def put_entry(
    docs: dict[Path, Any], draft: EntryDraft, original_id: str | None, base: EntryDraft | None
) -> set[Path]:
    """Apply the draft to the parsed files; return the files it touched."""
    if original_id is None:
        file = holder(docs, "entries")
        if file is None:
            raise EditRefused("id", "no file of this knowledge base has an 'entries' section")
        entry = CommentedMap()
        section(docs[file], "entries").append(entry)
        touched = {file}
    else:
        found = find_entry(docs, original_id)
        if found is None:
            message = f"no entry {original_id!r} (deleted or renamed since it was opened?)"
            raise EditRefused("id", message)
        file, entry = found
        if base is not None and draft_of(entry).cleaned() != base.cleaned():
            message = "this entry was changed in the file since it was opened; reload it"
            raise EditRefused("id", message)
        touched = {file}
        if draft.id != original_id:
            touched |= _rename_related(docs, original_id, draft.id)
    _fill(entry, draft)
    return touched


def _fill(entry: CommentedMap, draft: EntryDraft) -> None:
    """Write the draft's fields into the mapping, in place, so comments stay put."""
    for key in ENTRY_FIELDS:
        value = getattr(draft, key)
        if isinstance(value, tuple):
            old = entry.get(key)
            if isinstance(old, CommentedSeq):
                rt.update_list(entry, key, value)
            elif value or key in entry:
                rt.set_key(entry, key, rt.new_seq(value, flow=key in _FLOW_LISTS), ENTRY_FIELDS)
        elif value is None:
            entry.pop(key, None)  # an optional field cleared: the key goes
        elif key in entry or value != Entry.model_fields[key].default:
            rt.set_key(entry, key, _scalar(key, entry.get(key), value), ENTRY_FIELDS)


def _scalar(key: str, old: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if date in get_args(Entry.model_fields[key].annotation):
        try:  # a form's "2026-11-25" is written as a YAML date, not a quoted string
            return date.fromisoformat(value)
        except ValueError:
            pass  # the validator names the field
    return rt.text_value(old, value)


def find_entry(docs: dict[Path, Any], entry_id: str) -> tuple[Path, CommentedMap] | None:
    """The file and mapping of the entry with this id, or None."""
    for file, data in docs.items():
        for item in section(data, "entries"):
            if isinstance(item, CommentedMap) and item.get("id") == entry_id:
                return file, item
    return None


def _rename_related(docs: dict[Path, Any], old: str, new: str) -> set[Path]:
    touched = set()
    for file, data in docs.items():
        for item in section(data, "entries"):
            related = item.get("related") if isinstance(item, CommentedMap) else None
            if isinstance(related, CommentedSeq) and old in related:
                rt.update_list(item, "related", [new if r == old else r for r in related])
                touched.add(file)
    return touched


def delete_entry(docs: dict[Path, Any], entry_id: str) -> set[Path]:
    """Remove an entry from the parsed files; return the file it was in."""
    found = find_entry(docs, entry_id)
    if found is None:
        raise EditRefused("id", f"no entry {entry_id!r}")
    file, entry = found
    entries = docs[file]["entries"]  # find_entry found it there: a CommentedSeq
    rt.delete_item(entries, next(i for i, e in enumerate(entries) if e is entry))
    return {file}


def put_synonyms(docs: dict[Path, Any], groups: list[tuple[str, ...]], path: Path) -> set[Path]:
    """Make the lexicon's groups `groups`; return the lexicon file."""
    file = holder(docs, "synonyms")
    if file is None:  # no lexicon yet: start one beside the entries
        file = path / "lexicon.yaml" if path.is_dir() else path
        if not isinstance(docs.get(file), CommentedMap):
            docs[file] = CommentedMap()
        docs[file]["synonyms"] = CommentedSeq()
    rt.update_list(docs[file], "synonyms", groups)
    return {file}
