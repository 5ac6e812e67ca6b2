"""Long texts are cut at natural breaks, within the limit, losing nothing."""

from __future__ import annotations

import pytest

from bot.text_split import split_text, utf16_len


def test_a_short_text_stays_whole() -> None:
    assert split_text("こんにちは", 4096) == ["こんにちは"]


def test_paragraphs_are_preferred_to_sentences() -> None:
    text = "一文目です。二文目です。\n\n三段落目です。"
    assert split_text(text, 16) == ["一文目です。二文目です。\n\n", "三段落目です。"]


def test_without_breaks_the_text_is_cut_at_the_limit() -> None:
    assert split_text("あ" * 10, 4) == ["ああああ", "ああああ", "ああ"]


@pytest.mark.parametrize("limit", [7, 64, 4096], ids=["tiny", "small", "telegram"])
def test_pieces_fit_and_join_back_to_the_text(limit: int) -> None:
    text = ("副作用について。😀 乾燥、唇の荒れ\n" * 500) + "終わり"
    pieces = split_text(text, limit)
    assert "".join(pieces) == text
    assert all(utf16_len(piece) <= limit for piece in pieces)


def test_an_emoji_is_never_cut_in_half() -> None:
    assert split_text("😀😀😀", 3) == ["😀", "😀", "😀"]
