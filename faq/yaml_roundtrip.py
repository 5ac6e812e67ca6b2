"""Round-trip YAML edits that keep admins' comments, key order and styles, written safely."""

from __future__ import annotations

import copy
import difflib
import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, ScalarString

BACKUP_STAMP = "%Y%m%dT%H%M%SZ"
MAX_DIFF_LINES = 200


def _yaml() -> YAML:
    """A round-trip YAML; a new one per call because YAML objects are not thread-safe."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    # Long Japanese answers must never be folded onto new lines.
    yaml.width = 1_000_000
    # The bundled files indent list items under their key: "  - id:" below "entries:".
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load(text: str) -> Any:
    """Parse YAML text into ruamel's commented containers (None for an empty file)."""
    return _yaml().load(text)


def dump(data: Any) -> str:
    """YAML text for round-trip data."""
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def text_value(old: object, new: str) -> str:
    """`new` in the style of the scalar it replaces: block literals stay `|` blocks."""
    if isinstance(old, str) and old.strip() == new:
        return old  # unchanged: keep the exact bytes
    if "\n" in new or isinstance(old, LiteralScalarString):
        return LiteralScalarString(new + "\n")
    if isinstance(old, ScalarString):
        return type(old)(new)  # the admin's quotes
    return new


def new_seq(items: Sequence[str], *, flow: bool) -> CommentedSeq:
    """A YAML list written `[a, b]` (flow) or one item per line (block)."""
    seq = CommentedSeq(items)
    if flow:
        seq.fa.set_flow_style()
    else:
        seq.fa.set_block_style()
    return seq


def update_list(parent: CommentedMap, key: str, new: Sequence[Any]) -> None:
    """Make the list under `parent[key]` equal to `new` in place (see `update_seq`)."""
    if not new:  # "key:", a comment, then "[]" is not YAML: the comment must go
        slot = parent.ca.items.get(key)
        if slot and len(slot) > 3:
            slot[3] = None
    update_seq(parent[key], new)


def update_seq(seq: CommentedSeq, new: Sequence[Any]) -> None:
    """Make `seq` equal to `new` in place, so comments stay with the items they follow.

    A comment after the last item is really the comment above whatever follows the
    list (ruamel attaches it to the last item), so it stays at the end.
    """
    old_keys, new_keys = [_plain(v) for v in seq], [_plain(v) for v in new]
    if old_keys == new_keys:
        return
    trailing = _pop_trailing(seq)
    opcodes = SequenceMatcher(a=old_keys, b=new_keys, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(opcodes):  # from the end: earlier indexes stay valid
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)
        skip = _best_shift(old_keys[i1:i2], new_keys[j1:j2])
        # old items [i1, i1+skip) or new items [j1, j1+skip) have no partner
        old_at, new_at = (i1 + skip, j1) if i2 - i1 > j2 - j1 else (i1, j1 + skip)
        for k in range(paired):
            seq[old_at + k] = _restyled(seq[old_at + k], new[new_at + k])
        for _ in range(old_at + paired, i2):
            delete_item(seq, old_at + paired)
        for k in range(new_at + paired, j2):
            seq.insert(old_at + (k - new_at), _fresh(new[k]))
        for _ in range(i1, old_at):
            delete_item(seq, i1)
        for k in range(j1, new_at):
            seq.insert(i1 + (k - j1), _fresh(new[k]))
    if not seq:  # ruamel cannot write comments around an empty list: `key: []`
        seq.ca.comment = None
        seq.ca.items.clear()
        seq.fa.set_flow_style()
    elif trailing is not None:
        slot = seq.ca.items.setdefault(len(seq) - 1, [None, None, None, None])
        slot[0] = trailing if slot[0] is None else _joined(slot[0], trailing)


def _best_shift(old: list[Any], new: list[Any]) -> int:
    """How far to slide the shorter run along the longer so that similar items pair up."""
    short, long = (new, old) if len(old) > len(new) else (old, new)

    def similarity(shift: int) -> float:
        return sum(
            SequenceMatcher(a=_words(a), b=_words(b)).ratio()
            for a, b in zip(short, long[shift:], strict=False)
        )

    return max(range(len(long) - len(short) + 1), key=similarity)


def _words(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, tuple) else list(str(value))


def delete_item(seq: CommentedSeq, index: int) -> None:
    """Delete one item; a section comment above it moves to the item that takes its place."""
    slot = seq.ca.items.get(index)
    above = slot[1] if slot else None
    del seq[index]
    if above and index < len(seq):
        next_slot = seq.ca.items.setdefault(index, [None, None, None, None])
        next_slot[1] = above + (next_slot[1] or [])


def _restyled(old: Any, new: Any) -> Any:
    if isinstance(old, CommentedSeq) and _is_list(new):
        update_seq(old, list(new))
        return old
    if isinstance(new, str):
        return text_value(old, new)
    return _fresh(new)


def _fresh(value: Any) -> Any:
    """A value new to the file; nested lists (synonym groups) are written `[a, b]`."""
    return new_seq(list(value), flow=True) if _is_list(value) else value


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _plain(value: Any) -> Any:
    """A hashable, style-free copy for comparing old and new items."""
    return tuple(_plain(v) for v in value) if _is_list(value) else value


def _pop_trailing(seq: CommentedSeq) -> Any:
    """Detach the comment lines after the last item; its end-of-line comment stays on it."""
    slot = seq.ca.items.get(len(seq) - 1)
    if not slot or slot[0] is None:
        return None
    token = slot[0]
    own, newline, rest = token.value.partition("\n")
    if own.strip().startswith("#"):  # "item  # own comment" then the lines below
        if not rest.strip():
            return None
        trailing = copy.copy(token)
        trailing.value = "\n" + rest
        token.value = own + newline
        return trailing
    slot[0] = None
    return token


def _joined(first: Any, second: Any) -> Any:
    first.value = first.value.rstrip("\n") + "\n" + second.value.lstrip("\n")
    return first


def set_key(mapping: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set `key`; a new key goes after the keys that precede it in `order`, not at the end."""
    if key in mapping:
        mapping[key] = value
        return
    before = set(order[: order.index(key)]) if key in order else set(order)
    position = 0
    for index, existing in enumerate(mapping):
        if existing in before:
            position = index + 1
    mapping.insert(position, key, value)


def unified_diff(old: str, new: str, name: str) -> str:
    """A short unified diff of one file, for the audit record."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", n=1, lineterm=""
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"… ({more} more lines)"]
    return "\n".join(lines)


def backup(file: Path, backups: Path, now: datetime, *, keep: int) -> Path | None:
    """Copy `file` to `backups/<name>.<UTC stamp>` and drop all but the `keep` newest."""
    if not file.exists():
        return None
    backups.mkdir(parents=True, exist_ok=True)
    target = backups / f"{file.name}.{now.strftime(BACKUP_STAMP)}"
    n = 0
    while target.exists():  # two saves in one second: keep both
        n += 1
        target = backups / f"{file.name}.{now.strftime(BACKUP_STAMP)}-{n:03d}"
    shutil.copy2(file, target)
    previous = sorted(p for p in backups.iterdir() if p.name.startswith(f"{file.name}."))
    for old in previous[: max(len(previous) - keep, 0)]:
        old.unlink()
    return target


def write_atomically(file: Path, text: str) -> None:
    """Replace `file` in one step: a reader sees the old or the new file, never half of one."""
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if file.exists():
            shutil.copymode(file, temp)
        os.replace(temp, file)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
