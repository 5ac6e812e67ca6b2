"""Turn an existing FAQ (JSON lines of id, question, answer) into a knowledge base file.

Each line is `{"id", "question", "answer"}` with optional `"phrasings"`, `"keywords"`
and `"category"`. Ids are kept; an id that is not `[a-z][a-z0-9_]*` is an error unless
the caller asks for ids to be mapped (`Q-12` → `q_12`, `12` → `q_12`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from faq.loader import DEFAULT_KB_DIR
from faq.model import MAX_ANSWER_CHARS, Entry, KnowledgeBase, Texts

DEFAULT_CATEGORY = "その他"
FIELDS = ("id", "question", "answer", "phrasings", "keywords", "category")
_REQUIRED = ("id", "question", "answer")
_VALID_ID = re.compile(r"[a-z][a-z0-9_]*")
_NOT_ID_CHARS = re.compile(r"[^a-z0-9]+")


class FaqImportError(Exception):
    """The FAQ file cannot be imported; `problems` are lines naming file:line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class ImportedFaq:
    """The entries read from an FAQ file, and the ids that had to be mapped."""

    entries: tuple[Entry, ...]
    renamed: dict[str, str]  # original id → the id in the knowledge base


def read_faq(path: str | Path, *, map_ids: bool = False) -> ImportedFaq:
    """Read and validate an FAQ JSON-lines file; raise FaqImportError listing every problem."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FaqImportError([f"{path}: cannot read: {exc}"]) from None
    problems: list[str] = []
    entries: list[Entry] = []
    renamed: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        row, problem = _row(line)
        if row is None:
            problems.append(f"{where}: {problem}")
            continue
        original = str(row["id"])
        entry_id = sanitise_id(original) if map_ids else original
        if not map_ids and not _VALID_ID.fullmatch(original):
            problems.append(
                f"{where}: id {original!r} is not lower-case letters, digits and _ starting"
                " with a letter; rename it, or import with --map-ids to map such ids"
            )
            continue
        if entry_id in first_line:
            clash = f" (mapped from {original!r})" if entry_id != original else ""
            problems.append(
                f"{where}: duplicate id {entry_id!r}{clash}, first on line {first_line[entry_id]}"
            )
            continue
        first_line[entry_id] = number
        try:
            entries.append(Entry.model_validate({**row, "id": entry_id}))
        except ValidationError as exc:
            problems += [f"{where}: {_describe(err)}" for err in exc.errors()]
            continue
        if entry_id != original:
            renamed[original] = entry_id
    if not entries and not problems:
        problems.append(f"{path}: no FAQ lines")
    if problems:
        raise FaqImportError(problems)
    return ImportedFaq(tuple(entries), renamed)


def sanitise_id(raw: str) -> str:
    """A valid entry id for any string: `Q-12` → `q_12`, `12` → `q_12`, `よくある` → `q`."""
    folded = _NOT_ID_CHARS.sub("_", unicodedata.normalize("NFKC", raw).casefold()).strip("_")
    return folded if folded[:1].isalpha() else f"q_{folded}".rstrip("_")


def bundled_texts() -> dict[str, str]:
    """The bundled knowledge base's texts (welcome, escalation …), for an imported one."""
    data = yaml.safe_load((DEFAULT_KB_DIR / "texts.yaml").read_text(encoding="utf-8"))
    texts: dict[str, str] = data["texts"]
    return texts


def to_knowledge_base(imported: ImportedFaq, texts: Mapping[str, str]) -> KnowledgeBase:
    """The knowledge base the written file loads as, without writing it."""
    return KnowledgeBase(entries=imported.entries, texts=Texts.model_validate(dict(texts)))


def kb_yaml(imported: ImportedFaq, texts: Mapping[str, str], *, source: str) -> str:
    """The knowledge base as YAML that `load_kb` reads back to the same entries."""
    header = (
        f"# Imported by `faqbot faq import` from {source}.\n"
        "# texts: are the bundled knowledge base's; edit them for your clinic.\n"
    )
    body = {"texts": dict(texts), "entries": [_entry_data(e) for e in imported.entries]}
    return header + yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def import_faq(source: str | Path, out: str | Path, *, map_ids: bool = False) -> ImportedFaq:
    """Read an FAQ file and write it as a knowledge base file with the bundled texts."""
    imported = read_faq(source, map_ids=map_ids)
    text = kb_yaml(imported, bundled_texts(), source=Path(source).name)
    Path(out).write_text(text, encoding="utf-8")
    return imported


def _row(line: str) -> tuple[dict[str, Any] | None, str]:
    """The line's object, or None and what is wrong with it."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg})"
    if not isinstance(row, dict):
        return None, "expected a JSON object"
    unknown = sorted(set(row) - set(FIELDS))
    if unknown:
        return None, f"unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})"
    missing = [name for name in _REQUIRED if name not in row]
    if missing:
        return None, f"missing {', '.join(missing)}"
    if not isinstance(row["id"], str | int) or isinstance(row["id"], bool) or row["id"] == "":
        return None, "id: expected a non-empty string"
    row.setdefault("category", DEFAULT_CATEGORY)
    return row, ""


def _describe(err: Any) -> str:
    field = ".".join(str(part) for part in err["loc"])
    if err["type"] == "string_too_long":
        return f"{field}: too long (over {MAX_ANSWER_CHARS} characters, Telegram's limit)"
    if err["type"] == "string_too_short":
        return f"{field}: must not be empty"
    return f"{field}: {err['msg']}"


def _entry_data(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {"id": entry.id, "category": entry.category, "question": entry.question}
    if entry.phrasings:
        data["phrasings"] = list(entry.phrasings)
    if entry.keywords:
        data["keywords"] = list(entry.keywords)
    data["answer"] = entry.answer
    return data


class _Dumper(yaml.SafeDumper):
    """Writes YAML as admins write it by hand: list items indented, answers as `|` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
