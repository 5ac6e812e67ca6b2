"""Where each part of a knowledge base was written: YAML nodes and the lines they start on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Item:
    """A raw YAML list item with where it came from."""

    value: Any
    file: str
    node: yaml.Node


@dataclass(slots=True)
class Where:
    """Where each part of a loaded knowledge base was written, to locate later problems."""

    items: dict[str, dict[str, Item]] = field(default_factory=dict)  # section → id → item
    mappings: dict[str, tuple[str, yaml.Node | None]] = field(default_factory=dict)

    def locate(self, path: str, offset: int = 0) -> tuple[str, int | None]:
        """File and line of a dotted path (`entries.price.answer`), `offset` lines into it."""
        section, _, rest = path.partition(".")
        if section in self.items:
            item_id, _, name = rest.partition(".")
            item = self.items[section].get(item_id)
            if item is None:
                return "?", None
            node = child_of(item.node, name) if name else item.node
            return item.file, _text_line(node or item.node, offset)
        file, top = self.mappings.get(section, ("?", None))
        return file, _text_line(descend(top, rest.split(".")) if rest else top, offset)


def child_of(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The value under a mapping key or at a sequence index, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def descend(node: yaml.Node | None, loc: Sequence[str | int]) -> yaml.Node | None:
    """The deepest node along a validation error's location that exists."""
    deepest = node
    for part in loc:
        below = child_of(deepest, part)
        if below is None:
            break
        deepest = below
    return deepest


def line_of(node: yaml.Node | None) -> int | None:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1 if node is not None else None


def _text_line(node: yaml.Node | None, offset: int) -> int | None:
    """The line `offset` lines into a text: block scalars (`|`) start below their key."""
    first = line_of(node)
    if first is not None and isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        return first + 1 + offset
    return first
