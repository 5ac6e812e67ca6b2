"""Splitting long texts for messengers with a per-message limit, at natural breaks."""

from __future__ import annotations

from collections.abc import Callable

# Where a cut reads best, from best to worst: paragraph, line, sentence, comma, space.
_BREAKS = ("\n\n", "\n", "。", "！", "？", "、", " ")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, *, measure: Callable[[str], int] = utf16_len) -> list[str]:
    """`text` in pieces of at most `limit` (as `measure` counts), cut at the best break.

    No character (nor surrogate pair) is ever split, and nothing is lost: the pieces
    joined give back the text.
    """
    if measure(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        head = _longest_prefix(rest, limit, measure)
        cut = _best_break(head)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> str:
    """The longest prefix within the limit (binary search: measure may not be additive)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def _best_break(head: str) -> int:
    """Where to cut `head`: after the last good break in its second half, else at its end."""
    for mark in _BREAKS:
        at = head.rfind(mark)
        if at >= len(head) // 2:
            return at + len(mark)
    return len(head)
