"""Read knowledge-base YAML files into a validated KnowledgeBase, naming file and line of every problem."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from faq.model import MAX_ANSWER_CHARS, Entry, Handover, KnowledgeBase, RedFlag, Texts

DEFAULT_KB_DIR = Path(__file__).parent / "kb"
_LIST_SECTIONS = ("entries", "synonyms", "red_flags", "handover")
_SECTIONS = (*_LIST_SECTIONS, "texts")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a knowledge base, located for the admin who must fix it."""

    file: str
    line: int | None
    entry_id: str | None
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        entry = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}:{entry} {self.level}: {self.message}"


class KnowledgeBaseError(Exception):
    """The knowledge base cannot be used; `problems` says every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class _Item:
    """A raw YAML list item with where it came from."""

    value: Any
    file: str
    node: yaml.Node


def kb_files(path: str | Path | None = None) -> list[Path]:
    """The YAML files of a knowledge base: one file, or every *.yaml in a directory."""
    root = Path(path) if path is not None else DEFAULT_KB_DIR
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml"))
    return [root]


def load_kb(path: str | Path | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base; raise KnowledgeBaseError listing every error."""
    kb, problems, _ = _load(path)
    errors = [p for p in problems if p.level == "error"]
    if errors or kb is None:
        raise KnowledgeBaseError(errors)
    return kb


def validate(path: str | Path | None = None) -> list[Problem]:
    """Every error and warning in a knowledge base, including phrasings that collide."""
    kb, problems, entries = _load(path)
    if kb is not None:
        from faq.collisions import find_collisions  # needs the analyser: only when asked

        def locate(entry_id: str, n: int) -> tuple[str, int | None]:
            item = entries[entry_id]
            node = (
                _child(item.node, "question")
                if n == 0
                else _child(_child(item.node, "phrasings"), n - 1)
            )
            return item.file, _line(node or item.node)

        problems += find_collisions(kb, locate)
    return problems


def _load(
    path: str | Path | None,
) -> tuple[KnowledgeBase | None, list[Problem], dict[str, _Item]]:
    root = Path(path) if path is not None else DEFAULT_KB_DIR
    files = kb_files(root)
    problems: list[Problem] = []
    sections: dict[str, list[_Item]] = {name: [] for name in _LIST_SECTIONS}
    texts: dict[str, Any] = {}
    texts_origin: tuple[str, yaml.Node | None] | None = None
    if not files:
        return None, [Problem(str(root), None, None, "no .yaml files in this directory")], {}
    for file in files:
        parsed = _parse(file, problems)
        if parsed is None:
            continue
        data, top = parsed
        for key, value in data.items():
            node = _child(top, key)
            if key not in _SECTIONS:
                problems.append(Problem(str(file), _line(node), None, f"unknown section {key!r}"))
            elif key == "texts":
                if not isinstance(value, dict):
                    problems.append(
                        Problem(str(file), _line(node), None, "texts: expected a mapping")
                    )
                    continue
                texts.update(value)
                texts_origin = (str(file), node)
            elif not isinstance(value, list):
                problems.append(Problem(str(file), _line(node), None, f"{key}: expected a list"))
            else:
                sections[key] += [
                    _Item(v, str(file), _child(node, i) or top) for i, v in enumerate(value)
                ]
    if problems and not any(sections.values()) and not texts:
        return None, problems, {}  # nothing readable: further checks would only echo this
    known_ids = {i.value.get("id") for i in sections["entries"] if isinstance(i.value, dict)}
    if not known_ids and not problems:
        problems.append(Problem(str(root), None, None, "no entries"))
    entries = _models(Entry, sections["entries"], problems)
    red_flags = _models(RedFlag, sections["red_flags"], problems)
    handover = _models(Handover, sections["handover"], problems)
    synonyms = _synonyms(sections["synonyms"], problems)
    text_model = _texts(texts, texts_origin, files, problems)
    problems += _cross_checks(entries, known_ids, red_flags, handover)
    located = {entry.id: item for entry, item in entries}
    if text_model is None or any(p.level == "error" for p in problems):
        return None, problems, located
    kb = KnowledgeBase(
        entries=tuple(e for e, _ in entries),
        synonyms=synonyms,
        red_flags=tuple(r for r, _ in red_flags),
        handover=tuple(h for h, _ in handover),
        texts=text_model,
        sources=tuple(str(f) for f in files),
    )
    return kb, problems, located


def _parse(file: Path, problems: list[Problem]) -> tuple[dict[str, Any], yaml.Node] | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(file), None, None, f"cannot read: {exc}"))
        return None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(str(file), line, None, f"YAML syntax error: {reason}"))
        return None
    if data is None:
        return None
    if not isinstance(data, dict) or root is None:
        problems.append(Problem(str(file), 1, None, "expected a mapping of sections at the top"))
        return None
    return data, root


def _models(
    model: type[M], items: Iterable[_Item], problems: list[Problem]
) -> list[tuple[M, _Item]]:
    """Validate each item; an invalid item becomes problems located at its field's line."""
    good: list[tuple[M, _Item]] = []
    for item in items:
        item_id = item.value.get("id") if isinstance(item.value, dict) else None
        try:
            good.append((model.model_validate(item.value), item))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                node = _descend(item.node, loc) or item.node
                field = ".".join(str(part) for part in loc) or model.__name__
                message = _friendly(err["type"], err["msg"])
                problems.append(
                    Problem(item.file, _line(node), _as_id(item_id), f"{field}: {message}")
                )
    return good


def _friendly(kind: str, message: str) -> str:
    if kind == "missing":
        return "required field is missing"
    if kind == "string_too_long":
        return f"too long (over {MAX_ANSWER_CHARS} characters, Telegram's limit)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "extra_forbidden":
        return "unknown field (misspelt?)"
    return message


def _synonyms(items: list[_Item], problems: list[Problem]) -> tuple[tuple[str, ...], ...]:
    groups: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for item in items:
        value = item.value
        if (
            not isinstance(value, list)
            or len(value) < 2
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            problems.append(
                Problem(
                    item.file, _line(item.node), None, "synonyms: each group is a list of 2+ words"
                )
            )
            continue
        for word in value:
            key = word.strip().casefold()
            if key in seen:
                problems.append(
                    Problem(
                        item.file,
                        _line(item.node),
                        None,
                        f"synonyms: {word!r} is already in the group at line {seen[key]}",
                    )
                )
            seen[key] = _line(item.node) or 0
        groups.append(tuple(v.strip() for v in value))
    return tuple(groups)


def _texts(
    texts: dict[str, Any],
    origin: tuple[str, yaml.Node | None] | None,
    files: list[Path],
    problems: list[Problem],
) -> Texts | None:
    file, node = origin if origin else (str(files[0]), None)
    try:
        return Texts.model_validate(texts)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"])
            line = _line(_descend(node, err["loc"]) or node) if node else None
            problems.append(
                Problem(file, line, None, f"texts.{key}: {_friendly(err['type'], err['msg'])}")
            )
        return None


def _cross_checks(
    entries: list[tuple[Entry, _Item]],
    known_ids: set[Any],
    red_flags: list[tuple[RedFlag, _Item]],
    handover: list[tuple[Handover, _Item]],
) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, _Item] = {}
    for entry, item in entries:
        if entry.id in first:
            other = first[entry.id]
            problems.append(
                Problem(
                    item.file,
                    _line(item.node),
                    entry.id,
                    f"duplicate id (first defined at {other.file}:{_line(other.node)})",
                )
            )
        first.setdefault(entry.id, item)
    for entry, item in entries:
        for related in entry.related:
            if related not in known_ids:
                node = _child(item.node, "related")
                problems.append(
                    Problem(
                        item.file, _line(node), entry.id, f"related: unknown entry id {related!r}"
                    )
                )
    rules: list[tuple[RedFlag | Handover, _Item]] = [*red_flags, *handover]
    for rule, item in rules:
        if not rule.any and not rule.all:
            problems.append(
                Problem(
                    item.file, _line(item.node), rule.id, "rule has neither 'any' nor 'all' terms"
                )
            )
    return problems


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _descend(node: yaml.Node | None, loc: Sequence[str | int]) -> yaml.Node | None:
    """The deepest node along a validation error's location that exists."""
    deepest = node
    for part in loc:
        child = _child(deepest, part)
        if child is None:
            break
        deepest = child
    return deepest


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _as_id(value: object) -> str | None:
    return value if isinstance(value, str) else None
