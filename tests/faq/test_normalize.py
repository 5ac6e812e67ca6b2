"""Folding patients' Japanese: width, kana, readings, synonyms, romaji."""

import pytest

from faq.normalize import Normalizer, fold

LEXICON = [["日焼け止め", "サンスクリーン", "sunscreen"], ["副作用", "side effect"]]


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer(LEXICON)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("ﾋｶﾞｻ", "ヒガサ"),
        ("ＳＰＦ５０", "spf50"),
        ("いつから？？☀️", "いつから"),
        ("  飲み忘れ\u3000😇 ", "飲み忘れ"),
        ("ありがと〜", "ありがとー"),
    ],
    ids=["half-width kana", "full-width ascii", "emoji and punctuation", "spaces", "wave dash"],
)
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("kana", "kanji"),
    [("にんしん", "妊娠"), ("ケンケツ", "献血"), ("ﾎｹﾝ", "保険"), ("しょきあっか", "初期悪化")],
    ids=["hiragana", "katakana", "half-width", "split by the analyser"],
)
def test_kana_and_kanji_share_a_reading(normalizer: Normalizer, kana: str, kanji: str) -> None:
    assert normalizer.reading(kana) == normalizer.reading(kanji)


def test_homophone_typo_reads_like_the_intended_word(normalizer: Normalizer) -> None:
    assert normalizer.reading("保健適用") == normalizer.reading("保険適用")


def test_synonyms_are_rewritten_to_the_canonical_word(normalizer: Normalizer) -> None:
    assert normalizer.analyse("サンスクリーン必要？").surface == "日焼け止め必要"


def test_english_synonym_only_as_a_whole_word(normalizer: Normalizer) -> None:
    assert normalizer.analyse("Sunscreen is a must").surface.startswith("日焼け止め")
    assert "日焼け止め" not in normalizer.analyse("sunscreens").surface


def test_romaji_message_is_read_as_kana(normalizer: Normalizer) -> None:
    assert normalizer.analyse("fukusayou kowai").reading == normalizer.reading("副作用怖い")


def test_english_message_is_not_read_as_romaji(normalizer: Normalizer) -> None:
    assert normalizer.analyse("side effect list").surface == "副作用 list"


def test_lemmas_are_dictionary_forms(normalizer: Normalizer) -> None:
    assert "飲む" in normalizer.analyse("飲んでいます").lemmas


def test_romaji_reading_keeps_the_latin_surface(normalizer: Normalizer) -> None:
    # English rule terms ("can't breathe") match the surface; romaji matches the reading
    analysis = normalizer.analyse("I can't breathe")
    assert "cantbreathe" in analysis.compact
