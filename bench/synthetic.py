"""Grow a knowledge base to any size with perturbed copies of its entries, for speed runs.

A copy takes the question and some phrasings and keywords of the entry it copies
(all of them when asked: the bundled entries have about 23 phrasings and 14 keywords
each, far more than an imported FAQ's one question). Each phrasing has its word order
shuffled, some particles dropped, a kana or two swapped, and the copy's own topic
words (a noun from the answers and a made-up katakana word) written in, so that no
two entries are duplicates.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sudachipy import Dictionary, SplitMode

from faq.model import Entry, KnowledgeBase

# Particles that end a phrase (は, が, を, って …): the units whose order is shuffled.
_PHRASE_END = frozenset({"格助詞", "副助詞", "係助詞"})
_HIRAGANA = [chr(c) for c in range(ord("ぁ"), ord("ゖ"))]
_KATAKANA = [chr(c) for c in range(ord("ァ"), ord("ヶ"))]
# Single particles: a longer joiner (について) would put its bigrams in a fifth of all
# phrasings, far more often than any bigram of the bundled entries (すか: 15%).
_JOINERS = ("の", "は", "で", "が", "も")
DROP_PARTICLE = 0.4
SHUFFLE = 0.5
KANA_SWAPS = (0, 1, 2)
# Phrasings and keywords of a copy by default: between an imported FAQ's one question
# and the bundled entries' ~23 phrasings and ~14 keywords.
COPY_PHRASINGS, COPY_KEYWORDS = 5, 6


def grow(
    kb: KnowledgeBase,
    size: int,
    *,
    phrasings: int | None = None,
    keywords: int | None = None,
    seed: int = 0,
) -> KnowledgeBase:
    """A knowledge base of exactly `size` entries: the first ones as they are, then copies
    with at most `phrasings` phrasings and `keywords` keywords each (None: all)."""
    if size <= len(kb.entries):
        return kb.model_copy(update={"entries": kb.entries[:size]})
    rng = random.Random(seed)
    originals = [e for e in kb.entries if e.kind == "faq"]
    nouns = sorted(_nouns(" ".join(e.answer for e in kb.entries)))
    extra: list[Entry] = []
    for n in range(size - len(kb.entries)):
        source = originals[n % len(originals)]
        topic = (rng.choice(nouns), _made_up_word(rng))
        extra.append(_copy(source, f"{source.id}_x{n}", topic, rng, phrasings, keywords))
    return kb.model_copy(update={"entries": (*kb.entries, *extra)})


def perturb(text: str, rng: random.Random, topic: Sequence[str] = ()) -> str:
    """The text with its phrases shuffled, particles dropped, kana swapped, topic words in."""
    phrases = _phrases(text, rng)
    if len(phrases) > 2 and rng.random() < SHUFFLE:
        head = phrases[:-1]  # the predicate stays last, as in Japanese
        rng.shuffle(head)
        phrases = [*head, phrases[-1]]
    for word in topic:
        # anywhere before the predicate
        phrases.insert(rng.randrange(len(phrases)), word + rng.choice(_JOINERS))
    out = "".join(phrases)
    for _ in range(rng.choice(KANA_SWAPS)):
        out = _swap_kana(out, rng)
    return out


def _copy(
    source: Entry,
    new_id: str,
    topic: tuple[str, str],
    rng: random.Random,
    phrasings: int | None,
    keywords: int | None,
) -> Entry:
    kept_phrasings = _sample(source.phrasings, phrasings, rng)
    kept_keywords = _sample(source.keywords, None if keywords is None else keywords - 1, rng)
    perturbed = {perturb(k, rng) if rng.random() < 0.5 else k for k in kept_keywords}
    return source.model_copy(
        update={
            "id": new_id,
            "question": perturb(source.question, rng, topic),
            "phrasings": tuple(perturb(p, rng, topic[rng.randrange(2) :]) for p in kept_phrasings),
            "keywords": (topic[1], *sorted(perturbed - {""})),
            "related": (),
        }
    )


def _sample(items: Sequence[str], limit: int | None, rng: random.Random) -> list[str]:
    if limit is None or limit >= len(items):
        return list(items)
    return rng.sample(list(items), max(limit, 0))


def _phrases(text: str, rng: random.Random) -> list[str]:
    phrases: list[str] = []
    current = ""
    for morpheme in _tokenizer().tokenize(text):
        pos = morpheme.part_of_speech()
        if pos[0] == "助詞" and pos[1] in _PHRASE_END:
            if rng.random() >= DROP_PARTICLE:
                current += morpheme.surface()
            phrases.append(current)
            current = ""
        else:
            current += morpheme.surface()
    if current or not phrases:
        phrases.append(current)
    return [p for p in phrases if p] or [text]


def _swap_kana(text: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(text) if ch in _HIRAGANA or ch in _KATAKANA]
    if not spots:
        return text
    i = rng.choice(spots)
    alphabet = _HIRAGANA if text[i] in _HIRAGANA else _KATAKANA
    return text[:i] + rng.choice(alphabet) + text[i + 1 :]


def _made_up_word(rng: random.Random) -> str:
    """A katakana word like a product or place name: vocabulary the clinic's KB lacks."""
    return "".join(rng.choice(_KATAKANA) for _ in range(rng.randint(3, 5)))


def _nouns(text: str) -> set[str]:
    return {
        m.surface()
        for m in _tokenizer().tokenize(text)
        if m.part_of_speech()[0] == "名詞" and len(m.surface()) > 1
    }


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    return Dictionary(dict="core").tokenizer(SplitMode.C)
