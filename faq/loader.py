"""Read knowledge-base YAML files into a validated KnowledgeBase, naming file and line of every problem."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from faq.located import Item, Where, child_of, descend, line_of
from faq.model import (
    EXAMPLE_LABELS,
    MAX_ANSWER_CHARS,
    NOT_URGENT,
    Disclosures,
    Entry,
    Example,
    Handover,
    KnowledgeBase,
    RedFlag,
    Texts,
)
from faq.safe_yaml import YamlRejected, read_yaml

DEFAULT_KB_DIR = Path(__file__).parent / "kb"
DEFAULT_REVIEW_MAX_DAYS = 365  # faq.compliance uses the same default
_LIST_SECTIONS = ("entries", "synonyms", "red_flags", "handover", "red_flags_off")
# mappings merged across files; `shared` holds texts and term lists rules name
_MAP_SECTIONS = ("texts", "disclosures", "shared")
# label -> list of texts, the lists of all files joined
_EXAMPLE_SECTION = "examples"
_SECTIONS = (*_LIST_SECTIONS, *_MAP_SECTIONS, _EXAMPLE_SECTION)
# The floor: every knowledge base, also a clinic's own, triages with the bundled red flags
# (and the red-flag detector learns from the bundled triage examples), and the matcher
# learns what to hand to staff from the bundled escalate examples.
FLOOR_FILES = ("red_flags.yaml", "red_flag_examples.yaml", "escalate_examples.yaml")
# The bundled patients' questions teach the red-flag detector what ordinary messages look
# like, also beside a clinic's own entries (as `not_urgent`: their labels are the bundled
# entries'). Without them a small knowledge base's detector takes 服用中 for a report.
ORDINARY_FILE = "examples.yaml"
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


def kb_files(path: str | Path | None = None) -> list[Path]:
    """The YAML files of a knowledge base: one file, or every *.yaml in a directory."""
    root = Path(path) if path is not None else DEFAULT_KB_DIR
    if root.is_dir():
        return sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml"))
    return [root]


def load_kb(path: str | Path | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base (advertising rules included); raise
    KnowledgeBaseError listing every error."""
    kb, problems, where = _load(path)
    if kb is not None:
        from faq.compliance import check

        problems += check(kb, where.locate, review_max_days=None)
    errors = [p for p in problems if p.level == "error"]
    if errors or kb is None:
        raise KnowledgeBaseError(errors)
    return kb


def validate(
    path: str | Path | None = None,
    *,
    review_max_days: int | None = DEFAULT_REVIEW_MAX_DAYS,
    today: date | None = None,
) -> list[Problem]:
    """Every error and warning in a knowledge base: colliding phrasings, advertising
    rules, and reviews older than `review_max_days` (None: not checked)."""
    kb, problems, where = _load(path)
    if kb is not None:
        from faq.collisions import find_collisions  # needs the analyser: only when asked
        from faq.compliance import check

        problems += check(kb, where.locate, today=today, review_max_days=review_max_days)
        entries = where.items["entries"]

        def locate(entry_id: str, n: int) -> tuple[str, int | None]:
            item = entries[entry_id]
            node = (
                child_of(item.node, "question")
                if n == 0
                else child_of(child_of(item.node, "phrasings"), n - 1)
            )
            return item.file, line_of(node or item.node)

        problems += find_collisions(kb, locate)
        problems += [
            Problem(
                str(root_of(path)),
                None,
                name,
                f"bundled red-flag rule {name!r} is switched off",
                "warning",
            )
            for name in kb.red_flags_off
        ]
    return problems


def root_of(path: str | Path | None) -> Path:
    """The knowledge base's file or directory (None: the bundled one)."""
    return Path(path) if path is not None else DEFAULT_KB_DIR


def _load(path: str | Path | None) -> tuple[KnowledgeBase | None, list[Problem], Where]:
    root = Path(path) if path is not None else DEFAULT_KB_DIR
    files = kb_files(root)
    problems: list[Problem] = []
    sections: dict[str, list[Item]] = {name: [] for name in _LIST_SECTIONS}
    maps: dict[str, dict[Any, Any]] = {name: {} for name in _MAP_SECTIONS}
    examples: list[Item] = []
    where = Where()
    if not files:
        return None, [Problem(str(root), None, None, "no .yaml files in this directory")], where

    def read(file: Path) -> None:
        """Add one file's sections to the lists and mappings above."""
        parsed = _parse(file, problems)
        if parsed is None:
            return
        data, top = parsed
        for key, value in data.items():
            node = child_of(top, key)
            if key not in _SECTIONS:
                problems.append(Problem(str(file), line_of(node), None, f"unknown section {key!r}"))
            elif key == _EXAMPLE_SECTION:
                examples.extend(_example_items(value, str(file), node or top, problems))
            elif key in _MAP_SECTIONS:
                if not isinstance(value, dict):
                    problems.append(
                        Problem(str(file), line_of(node), None, f"{key}: expected a mapping")
                    )
                    continue
                maps[key].update(value)
                where.mappings[key] = (str(file), node)
            elif not isinstance(value, list):
                problems.append(Problem(str(file), line_of(node), None, f"{key}: expected a list"))
            else:
                sections[key] += [
                    Item(v, str(file), child_of(node, i) or top) for i, v in enumerate(value)
                ]

    for file in files:
        read(file)
    if problems and not any(sections.values()) and not maps["texts"]:
        return None, problems, where  # nothing readable: further checks would only echo this
    for file in _floor_files(files):
        read(file)
    ordinary: Path | None = DEFAULT_KB_DIR / ORDINARY_FILE
    if any(_same_file(DEFAULT_KB_DIR / ORDINARY_FILE, f) for f in files):
        ordinary = None  # the bundled knowledge base (or a copy): its own questions
    else:
        read(DEFAULT_KB_DIR / ORDINARY_FILE)
    known_ids = {i.value.get("id") for i in sections["entries"] if isinstance(i.value, dict)}
    if not known_ids and not problems:
        problems.append(Problem(str(root), None, None, "no entries"))
    shared = maps["shared"]
    entries = _models(Entry, sections["entries"], problems)
    red_flags = _models(
        RedFlag,
        _unique_rules(_with_shared(sections["red_flags"], shared, problems), problems),
        problems,
    )
    red_flags, switched_off = _switch_off(red_flags, sections["red_flags_off"], problems)
    handover = _models(Handover, _with_shared(sections["handover"], shared, problems), problems)
    synonyms = _synonyms(sections["synonyms"], problems)
    text_model = _mapping(Texts, "texts", maps["texts"], where, files, problems)
    disclosures = _mapping(Disclosures, "disclosures", maps["disclosures"], where, files, problems)
    problems += _cross_checks(entries, known_ids, red_flags, handover)
    labelled = _examples(
        examples, known_ids, problems, ordinary=str(ordinary) if ordinary else None
    )
    where.items = {
        "entries": {e.id: item for e, item in entries},
        "red_flags": {r.id: item for r, item in red_flags},
    }
    if text_model is None or disclosures is None or any(p.level == "error" for p in problems):
        return None, problems, where
    kb = KnowledgeBase(
        entries=tuple(e for e, _ in entries),
        synonyms=synonyms,
        red_flags=tuple(r for r, _ in red_flags),
        handover=tuple(h for h, _ in handover),
        texts=text_model,
        disclosures=disclosures,
        examples=labelled,
        red_flags_off=switched_off,
        sources=tuple(str(f) for f in files),
    )
    return kb, problems, where


def _floor_files(files: list[Path]) -> list[Path]:
    """The bundled triage files a knowledge base lacks: a clinic's own knowledge base (an
    import, a copy) triages with the bundled red flags too. A file the knowledge base
    holds with the same content (a copy of the bundle) is not read twice."""
    floor = []
    for name in FLOOR_FILES:
        bundled = DEFAULT_KB_DIR / name
        if any(_same_file(bundled, f) for f in files):
            continue
        floor.append(bundled)
    return floor


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _unique_rules(items: list[Item], problems: list[Problem]) -> list[Item]:
    """Rules by id, the first of each: a copy of a bundled file is read once, and a
    clinic's rule with a bundled rule's id (the clinic's files come first) replaces it,
    which is reported as a warning: never silently."""
    seen: dict[str, Item] = {}
    unique = []
    for item in items:
        rule_id = item.value.get("id") if isinstance(item.value, dict) else None
        first = seen.get(rule_id) if isinstance(rule_id, str) else None
        if first is None:
            if isinstance(rule_id, str):
                seen[rule_id] = item
            unique.append(item)
        elif first.value != item.value:
            problems.append(
                Problem(
                    first.file,
                    line_of(first.node),
                    rule_id,
                    f"red-flag rule {rule_id!r} replaces the bundled rule of that name",
                    "warning",
                )
            )
    return unique


def _switch_off(
    red_flags: list[tuple[RedFlag, Item]], off: list[Item], problems: list[Problem]
) -> tuple[list[tuple[RedFlag, Item]], tuple[str, ...]]:
    """Drop the red-flag rules `red_flags_off` names; an unknown name is an error."""
    known = {rule.id for rule, _ in red_flags}
    names: list[str] = []
    for item in off:
        if not isinstance(item.value, str) or item.value not in known:
            problems.append(
                Problem(
                    item.file,
                    line_of(item.node),
                    None,
                    f"red_flags_off: {item.value!r} is not a red-flag rule id",
                )
            )
        else:
            names.append(item.value)
    kept = [(rule, item) for rule, item in red_flags if rule.id not in names]
    return kept, tuple(names)


def _example_items(value: Any, file: str, node: yaml.Node, problems: list[Problem]) -> list[Item]:
    """`examples:` is a mapping of label to a list of texts; one Item per text."""
    if not isinstance(value, dict):
        problems.append(Problem(file, line_of(node), None, "examples: expected a mapping"))
        return []
    items = []
    for label, texts in value.items():
        label_node = child_of(node, label) or node
        if not isinstance(texts, list):
            problems.append(
                Problem(file, line_of(label_node), None, f"examples.{label}: expected a list")
            )
            continue
        for i, text in enumerate(texts):
            items.append(
                Item({"label": label, "text": text}, file, child_of(label_node, i) or node)
            )
    return items


def _examples(
    items: list[Item], known_ids: set[Any], problems: list[Problem], *, ordinary: str | None
) -> tuple[Example, ...]:
    """Validated examples with known labels, each (label, text) once; the bundled
    questions (`ordinary`, when read beside another knowledge base) as `not_urgent`."""
    good: dict[tuple[str, str], Example] = {}
    for example, item in _models(Example, items, problems):
        if item.file == ordinary:
            example = Example(label=NOT_URGENT, text=example.text)
        if example.label not in known_ids and example.label not in EXAMPLE_LABELS:
            problems.append(
                Problem(
                    item.file,
                    line_of(item.node),
                    None,
                    f"examples: unknown label {example.label!r} (an entry id, "
                    f"or one of {', '.join(EXAMPLE_LABELS)})",
                )
            )
        else:
            good.setdefault((example.label, example.text), example)
    return tuple(good.values())


def _parse(file: Path, problems: list[Problem]) -> tuple[dict[str, Any], yaml.Node] | None:
    try:
        if file.parent == DEFAULT_KB_DIR:
            stat = file.stat()
            data, root = _read_bundled(file, stat.st_mtime_ns, stat.st_size)
            data = copy.deepcopy(data)  # the nodes (line numbers) are only read
        else:
            data, root = read_yaml(file)
    except OSError as exc:
        problems.append(Problem(str(file), None, None, f"cannot read: {exc.strerror or exc}"))
        return None
    except YamlRejected as exc:
        problems += [Problem(str(file), i.line, None, i.message) for i in exc.issues]
        return None
    if data is None:
        return None
    if not isinstance(data, dict) or root is None:
        problems.append(Problem(str(file), 1, None, "expected a mapping of sections at the top"))
        return None
    return data, root


@functools.lru_cache(maxsize=16)
def _read_bundled(file: Path, mtime_ns: int, size: int) -> tuple[Any, yaml.Node | None]:
    """A bundled file, parsed once per version: every knowledge base reads the floor's
    corpora (some 800 kB of YAML), and a bot validates each edit."""
    return read_yaml(file)


def _with_shared(items: list[Item], shared: dict[Any, Any], problems: list[Problem]) -> list[Item]:
    """Replace each `field: {shared: name}` by the text or list `shared:` gives that name."""
    resolved: list[Item] = []
    for item in items:
        if not isinstance(item.value, dict):
            resolved.append(item)
            continue
        value = dict(item.value)
        for name, written in item.value.items():
            if not (isinstance(written, dict) and list(written) == ["shared"]):
                continue
            ref = written["shared"]
            if isinstance(ref, str) and ref in shared:
                value[name] = shared[ref]
                continue
            node = child_of(child_of(item.node, name), "shared")
            problems.append(
                Problem(
                    item.file,
                    line_of(node),
                    _as_id(value.get("id")),
                    f"{name}: no {ref!r} under `shared:`",
                )
            )
            break
        else:
            resolved.append(Item(value, item.file, item.node))
    return resolved


def _models(model: type[M], items: Iterable[Item], problems: list[Problem]) -> list[tuple[M, Item]]:
    """Validate each item; an invalid item becomes problems located at its field's line."""
    good: list[tuple[M, Item]] = []
    for item in items:
        item_id = item.value.get("id") if isinstance(item.value, dict) else None
        try:
            good.append((model.model_validate(item.value), item))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                node = descend(item.node, loc) or item.node
                field = ".".join(str(part) for part in loc) or model.__name__
                message = _friendly(err["type"], err["msg"])
                problems.append(
                    Problem(item.file, line_of(node), _as_id(item_id), f"{field}: {message}")
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


def _synonyms(items: list[Item], problems: list[Problem]) -> tuple[tuple[str, ...], ...]:
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
                    item.file,
                    line_of(item.node),
                    None,
                    "synonyms: each group is a list of 2+ words",
                )
            )
            continue
        for word in value:
            key = word.strip().casefold()
            if key in seen:
                problems.append(
                    Problem(
                        item.file,
                        line_of(item.node),
                        None,
                        f"synonyms: {word!r} is already in the group at line {seen[key]}",
                    )
                )
            seen[key] = line_of(item.node) or 0
        groups.append(tuple(v.strip() for v in value))
    return tuple(groups)


def _mapping(
    model: type[M],
    section: str,
    value: dict[Any, Any],
    where: Where,
    files: list[Path],
    problems: list[Problem],
) -> M | None:
    """A mapping section (texts, disclosures) as its model; errors located at their key."""
    file, node = where.mappings.get(section, (str(files[0]), None))
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"])
            line = line_of(descend(node, err["loc"]) or node) if node else None
            message = _friendly(err["type"], err["msg"])
            problems.append(Problem(file, line, None, f"{section}.{key}: {message}"))
        return None


def _cross_checks(
    entries: list[tuple[Entry, Item]],
    known_ids: set[Any],
    red_flags: list[tuple[RedFlag, Item]],
    handover: list[tuple[Handover, Item]],
) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, Item] = {}
    for entry, item in entries:
        if entry.id in first:
            other = first[entry.id]
            problems.append(
                Problem(
                    item.file,
                    line_of(item.node),
                    entry.id,
                    f"duplicate id (first defined at {other.file}:{line_of(other.node)})",
                )
            )
        first.setdefault(entry.id, item)
    for entry, item in entries:
        for related in entry.related:
            if related not in known_ids:
                node = child_of(item.node, "related")
                problems.append(
                    Problem(
                        item.file, line_of(node), entry.id, f"related: unknown entry id {related!r}"
                    )
                )
    rules: list[tuple[RedFlag | Handover, Item]] = [*red_flags, *handover]
    for rule, item in rules:
        if not rule.any and not rule.all:
            problems.append(
                Problem(
                    item.file, line_of(item.node), rule.id, "rule has neither 'any' nor 'all' terms"
                )
            )
    return problems


def _as_id(value: object) -> str | None:
    return value if isinstance(value, str) else None
