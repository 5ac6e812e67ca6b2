"""Japanese text as patients type it, folded to forms the matcher can compare.

Every message and every phrasing goes through the same steps: emoji that carry a
meaning rewritten to their word (🍺), Unicode NFKC (half-width kana, full-width ASCII),
case folding, other emoji and punctuation removed, synonyms rewritten to their
canonical word, then SudachiPy gives each word its reading (so にんしん and 妊娠 meet)
and its dictionary form (so 飲んだ and 飲みます meet). A message written wholly in
romaji is read as the kana it spells; its surface keeps the Latin letters.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jaconv
from sudachipy import Dictionary, SplitMode

# Parts of speech that carry the topic of a question; particles, auxiliaries and
# symbols are noise for matching.
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"})
# Very frequent words that say nothing about which FAQ is meant.
_STOP_LEMMAS = frozenset(
    "する ある いる なる できる 思う 言う 聞く 教える 下さい くださる 良い いい 大丈夫 "
    "こと もの 方 よう ため の ん 事 物 時 さん 様 ちゃん 感じ 為 てる".split()
)
_ASCII_WORD = re.compile(r"[a-z]+")
_ROMAJI_OK = re.compile(r"^[\u3041-\u309f]+$")
# Anything that is not a letter, digit, kana, kanji or 々 becomes a space (、。「」 too).
_NOISE = re.compile(r"[^\w\u3005\u3041-\u30ff\u3400-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text folded for matching."""

    surface: str  # NFKC, lower case, synonyms rewritten, single spaces
    compact: str  # the surface without spaces
    reading: str  # hiragana reading of the whole text, no spaces
    lemmas: tuple[str, ...]  # content words' dictionary forms
    word_ends: frozenset[int] = frozenset()  # offsets in `reading` where a word ends
    ends_in_noun: bool = False  # the last word is a noun (a keyword like 注射 is whole)


def fold(text: str) -> str:
    """NFKC, lower case, punctuation and emoji to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("〜", "ー").replace("~", "ー")
    return " ".join(_NOISE.sub(" ", text).split())


def _bare(text: str) -> str:
    """NFKC without emoji variation selectors, so ☀️ and ☀ are one symbol."""
    return unicodedata.normalize("NFKC", text).replace("\ufe0f", "").strip()


_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー]+$")


def is_kana(text: str) -> bool:
    """True for text written wholly in hiragana or katakana."""
    return bool(_KANA.fullmatch(text))


def to_hiragana(text: str) -> str:
    return str(jaconv.kata2hira(text))


class Normalizer:
    """Folds texts with one synonym lexicon; create once, it holds the analyser."""

    def __init__(self, synonyms: Iterable[Iterable[str]] = ()) -> None:
        _tokenizer()  # load the dictionary now, not on the first message
        self._canonical: dict[str, str] = {}
        # Emoji and symbols carry meaning (🍺, ☀️) but fold() drops them, so they
        # are rewritten to their word before folding.
        self._symbols: dict[str, str] = {}
        for group in synonyms:
            words = [fold(w) for w in group]
            for raw, word in zip(group, words, strict=True):
                if not word and _bare(raw):
                    self._symbols[_bare(raw)] = words[0]
                elif word and word != words[0]:
                    self._canonical[word] = words[0]
        # canonical words are matched too, so that the longest word wins: イソトレ
        # must not be rewritten inside イソトレチノイン
        self._synonym_re = _alternation(
            {**{c: c for c in self._canonical.values()}, **self._canonical}
        )

    def analyse(self, text: str, *, synonyms: bool = True) -> Analysis:
        """Fold a text and read it with SudachiPy (rewriting synonyms unless told not to)."""
        folded = fold(self._spell_out_symbols(text))
        surface = self.rewrite(folded) if synonyms else folded
        # What is read aloud: a message typed in romaji is read as the kana it spells,
        # while the surface keeps the Latin letters (English terms match there).
        spoken = surface
        if synonyms and surface == folded:
            kana = self._romaji_to_kana(folded)
            if kana != folded:  # else its rewrite is the surface, already made
                spoken = self.rewrite(kana)
        readings: list[str] = []
        lemmas: list[str] = []
        ends: set[int] = set()
        length, pos = 0, ""
        for morpheme in _morphemes(spoken):
            pos = morpheme.part_of_speech()[0]
            if pos == "空白":
                continue
            reading = _reading(morpheme.surface(), morpheme.reading_form())
            readings.append(reading)
            length += len(reading)
            ends.add(length)
            lemma = morpheme.normalized_form()
            if pos in _CONTENT_POS and lemma not in _STOP_LEMMAS and len(lemma) > 0:
                lemmas.append(lemma)
        return Analysis(
            surface,
            surface.replace(" ", ""),
            "".join(readings),
            tuple(lemmas),
            frozenset(ends),
            pos == "名詞",
        )

    def variants(self, word: str) -> list[str]:
        """Every word of the synonym group `word` belongs to (just `word` if none)."""
        canonical = self._canonical.get(fold(word), fold(word))
        return [canonical, *(w for w, c in self._canonical.items() if c == canonical)]

    def reading(self, text: str) -> str:
        """The hiragana reading of a text (after folding and synonyms)."""
        return self.analyse(text).reading

    def rewrite(self, folded: str) -> str:
        """Replace every synonym by its group's canonical word."""
        if self._synonym_re is None:
            return folded
        return self._synonym_re.sub(lambda m: self._canonical.get(m[0], m[0]), folded)

    def _spell_out_symbols(self, text: str) -> str:
        if not self._symbols:
            return text
        text = _bare(text)
        for symbol, word in self._symbols.items():
            text = text.replace(symbol, f" {word} ")
        return text

    def _romaji_to_kana(self, folded: str) -> str:
        # Only a message written wholly in Latin letters is read as romaji
        # ("fukusayou kowai"); English words are the synonym lexicon's job.
        words = folded.split()
        if not folded.isascii() or not words:
            return folded
        kana_words = []
        for word in words:
            if not _ASCII_WORD.fullmatch(word):
                kana_words.append(word)
                continue
            kana = str(jaconv.alphabet2kana(word))
            kana_words.append(kana if _ROMAJI_OK.fullmatch(kana) and kana[-1] != "っ" else word)
        return " ".join(kana_words)


@lru_cache(maxsize=16_384)
def _reading(surface: str, reading: str) -> str:
    # Cached: every message repeats words (です, イソトレ) whose kana conversion, in
    # pure Python, costs more than the lookup.
    # Sudachi gives the surface back as the "reading" of unknown words and
    # "キゴウ" for symbols; keep the surface then.
    if reading == "キゴウ" or not reading or (reading == surface and not surface.isascii()):
        return to_hiragana(surface)
    return to_hiragana(reading) if not surface.isascii() else surface


def _alternation(words: dict[str, str]) -> re.Pattern[str] | None:
    # Longest first, so サンスクリーン剤 wins over サンスクリーン; Latin words only as
    # whole words, so "ty" does not fire inside "safety". Words are grouped by their
    # first character (only words sharing it compete at an offset, and they keep their
    # order): Python's re then rejects an offset by one character test per group
    # instead of trying hundreds of alternatives, ten times faster on a message. An
    # empty word (an emoji-only canonical) would only ever replace nothing by nothing.
    groups: dict[str, list[str]] = defaultdict(list)
    for word in sorted(filter(None, words), key=len, reverse=True):
        first, rest = re.escape(word[0]), re.escape(word[1:])
        if word.isascii():  # the look-behind sees the letter before the first one
            rest = rf"(?<![a-z]{first}){rest}(?![a-z])"
        groups[first].append(rest)
    if not groups:
        return None
    return re.compile("|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()))


@lru_cache(maxsize=1)
def _dictionary() -> Any:
    """One SudachiPy dictionary per process: loading it is the slow part."""
    return Dictionary(dict="core")


_per_thread = threading.local()


# SudachiPy refuses input over 49,149 bytes; this many characters stay under it at 4 bytes each.
_CHUNK_CHARS = 12_000


def _morphemes(text: str) -> Iterator[Any]:
    """SudachiPy's morphemes of a text of any length, read in chunks it accepts."""
    tokenizer = _tokenizer()
    for start in range(0, len(text), _CHUNK_CHARS):
        yield from tokenizer.tokenize(text[start : start + _CHUNK_CHARS])


def _tokenizer() -> Any:
    """This thread's tokenizer: SudachiPy refuses one used by two threads at once, and
    matchers are built and run in worker threads (reloads, dry runs) beside the loop's."""
    tokenizer = getattr(_per_thread, "tokenizer", None)
    if tokenizer is None:
        tokenizer = _per_thread.tokenizer = _dictionary().tokenizer(SplitMode.C)
    return tokenizer
