"""What the learned models see of a message: character n-grams of its folded text and of
its kana reading, its content words, and its English words.

Character n-grams carry most of it: they need no dictionary, survive typos and
conjugation, and work for English as well as Japanese. The reading makes 妊娠, にんしん
and ニンシン one thing; the words give a long message's vocabulary a say of its own.
"""

from __future__ import annotations

from faq.normalize import Analysis

# n-gram lengths of the folded text (kanji alone carry meaning: 酒, 肝) and of the reading
TEXT_GRAMS = (1, 2, 3)
READING_GRAMS = (2, 3)


def features(message: Analysis) -> list[str]:
    """The message's features, with repeats (the models weigh them by count)."""
    text, reading = message.compact, message.reading
    grams = (text[i : i + n] for n in TEXT_GRAMS for i in range(len(text) - n + 1))
    # one kanji or kana means something (酒, 肝); one Latin letter or digit does not
    out = [f"c:{gram}" for gram in grams if len(gram) > 1 or not gram.isascii()]
    out += [f"r:{reading[i : i + n]}" for n in READING_GRAMS for i in range(len(reading) - n + 1)]
    out += [f"w:{lemma}" for lemma in message.lemmas]
    out += [f"e:{word}" for word in message.surface.split() if word.isascii() and word.isalpha()]
    return out


def as_given(features: list[str]) -> list[str]:
    """The vectoriser's analyser: the features are already made (a module-level function,
    so a fitted vectoriser can be pickled into the model cache)."""
    return features
