"""Markdown tables, padded so they also read well in a terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A pipe table: the first column left-aligned, the others right-aligned."""
    widths = [
        max(_width(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)
    ]

    def line(cells: Sequence[str]) -> str:
        padded = [
            _pad(str(cell), width, left=n == 0)
            for n, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ":" + "-" * (w + 1) if n == 0 else "-" * (w + 1) + ":" for n, w in enumerate(widths)
    )
    return "\n".join([line(headers), rule + "|", *(line(row) for row in rows)])


def share(hits: int, total: int) -> str:
    """`93.0% (93/100)`, or n/a when there is nothing to count."""
    return f"{100 * hits / total:.1f}% ({hits}/{total})" if total else "n/a"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def ratio(ours: float, theirs: float) -> str:
    """How many times ours is of theirs, e.g. `0.42×`."""
    return f"{ours / theirs:.2f}×" if theirs > 0 else "n/a"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text
