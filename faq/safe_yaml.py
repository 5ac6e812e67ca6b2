"""Read one knowledge-base YAML file, refusing what plain safe_load lets through.

`yaml.safe_load` silently keeps the last of two equal keys, expands anchors and
aliases (so a few lines can become gigabytes: the "billion laughs"), and reads a
file of any size. An admin's typo or a hostile file must instead be refused with
the line to fix, before anything is built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The bundled knowledge base is under 100 kB a file; ten times that is a mistake.
MAX_FILE_BYTES = 1_000_000
# libyaml's loader (bundled with PyYAML's wheels) reads the example corpora ~5x faster;
# the same nodes, marks and errors as the pure-Python one, which stands in without it.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A knowledge base nests four deep (section, item, field, term group); far more is hostile.
MAX_DEPTH = 20
# A hostile file may hold thousands of anchors: naming the first few is enough.
_MAX_REPORTED = 5


@dataclass(frozen=True, slots=True)
class YamlIssue:
    """Why a file was refused, and the line (1-based) if there is one."""

    line: int | None
    message: str


class YamlRejected(Exception):
    """The file cannot be read as a knowledge base; `issues` says why."""

    def __init__(self, issues: list[YamlIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


def read_yaml(file: Path, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[Any, yaml.Node | None]:
    """The file's data and its node tree (for line numbers); raise YamlRejected."""
    text = _read_text(file, max_bytes)
    _refuse_anchors(text)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        duplicates = list(_duplicate_keys(root))
        if duplicates:
            raise YamlRejected(duplicates)
        return loader.construct_document(root), root
    except yaml.YAMLError as exc:
        raise YamlRejected([_syntax_issue(exc)]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise YamlRejected([YamlIssue(None, "nested too deeply")]) from None
    finally:
        loader.dispose()


def _read_text(file: Path, max_bytes: int) -> str:
    try:
        size = file.stat().st_size
        if size > max_bytes:
            # checked before reading: a huge file is never loaded into memory
            raise YamlRejected(
                [YamlIssue(None, f"file too large ({size:,} bytes; the limit is {max_bytes:,})")]
            )
        data = file.read_bytes()
    except OSError as exc:
        raise YamlRejected([YamlIssue(None, f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > max_bytes:  # grew since stat
        raise YamlRejected([YamlIssue(None, f"file too large (over {max_bytes:,} bytes)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise YamlRejected(
            [YamlIssue(line, f"not UTF-8 text (byte 0x{bad}); save the file as UTF-8")]
        ) from None
    return text.removeprefix("\ufeff")


def _refuse_anchors(text: str) -> None:
    """Refuse anchors (&name), aliases (*name) and deep nesting, reading events so
    nothing is expanded or composed."""
    issues: list[YamlIssue] = []
    found = depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:  # stop before PyYAML's recursion (and slow scan) begins
                    mark = event.start_mark
                    line = mark.line + 1 if mark is not None else None
                    raise YamlRejected([*issues, YamlIssue(line, "nested too deeply")])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.AliasEvent):
                kind, name = "alias", f"*{event.anchor}"
            elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                kind, name = "anchor", f"&{event.anchor}"
            else:
                continue
            found += 1
            if found <= _MAX_REPORTED:
                mark = event.start_mark
                issues.append(
                    YamlIssue(
                        mark.line + 1 if mark is not None else None,
                        f"YAML {kind} {name} is not allowed; write the text out in full"
                        " (or use a `shared:` name)",
                    )
                )
    except yaml.YAMLError as exc:
        raise YamlRejected([*issues, _syntax_issue(exc)]) from None
    except RecursionError:
        raise YamlRejected([YamlIssue(None, "nested too deeply")]) from None
    if found > _MAX_REPORTED:
        issues.append(YamlIssue(None, f"{found - _MAX_REPORTED} more anchors/aliases"))
    if issues:
        raise YamlRejected(issues)


def _duplicate_keys(node: yaml.Node) -> list[YamlIssue]:
    """Every key written twice in one mapping, at the second one's line."""
    issues: list[YamlIssue] = []
    stack = [node]
    while stack:  # iterative: deep nesting must not hit Python's recursion limit
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    seen = first.get((key.tag, key.value))
                    if seen is None:
                        first[(key.tag, key.value)] = line
                    else:
                        issues.append(
                            YamlIssue(line, f"duplicate key {key.value!r} (first at line {seen})")
                        )
                stack += [key, value]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return sorted(issues, key=lambda i: i.line or 0)


def _syntax_issue(exc: yaml.YAMLError) -> YamlIssue:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(exc, "problem", None) or str(exc)
    return YamlIssue(line, f"YAML syntax error: {reason}")
