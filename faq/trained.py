"""The knowledge base's learned models and the thresholds chosen for them, trained at load
time and cached by a hash of everything they are trained on.

Two models learn from the knowledge base: `topics` scores every entry and `escalate`
(staff work, out of scope) together; `urgent` is the red-flag detector. The decision
thresholds are not set by hand: cross-validation gives every training text a
probability from a model that never saw it, and the thresholds are read off those
(`faq.risk`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq import learned, risk
from faq.features import READING_GRAMS, TEXT_GRAMS, features
from faq.learned import LinearModel
from faq.loader import DEFAULT_KB_DIR
from faq.model import NOT_URGENT, URGENT, KnowledgeBase
from faq.normalize import Normalizer
from faq.safe_yaml import read_yaml

logger = logging.getLogger(__name__)

# Part of the cache key: raise it when features or training change.
MODEL_VERSION = 3


@dataclass(frozen=True)
class Trained:
    """The fitted models and their thresholds."""

    topics: LinearModel
    urgent: LinearModel
    bands: risk.Bands
    curve: tuple[risk.Point, ...]  # cross-validated risk and coverage, per answer threshold


Labelled = list[tuple[str, str]]


def labelled(kb: KnowledgeBase) -> tuple[Labelled, Labelled]:
    """What the models learn from. `topics`: each entry's question, phrasings and
    keywords, and the examples labelled with an entry or `escalate`. The detector: the
    `urgent` examples against every other example (red flags never reach `topics`: the
    detector and the rules stand before it). The detector's texts are the bundled
    corpora unless a clinic adds its own, so every knowledge base shares one detector,
    trained once. Both sorted: the same texts make the same model, in any file order."""
    topic: list[tuple[str, str]] = []
    for entry in kb.entries:
        topic += [(entry.id, t) for t in (entry.question, *entry.phrasings, *entry.keywords)]
    urgent = [(NOT_URGENT, text) for text in _bundled_questions()]
    for example in kb.examples:
        if example.label not in (URGENT, NOT_URGENT):
            topic.append((example.label, example.text))
        urgent.append((URGENT if example.label == URGENT else NOT_URGENT, example.text))
    return sorted(set(topic)), sorted(set(urgent))


def load_or_train(kb: KnowledgeBase, normalizer: Normalizer, cache_dir: Path | None) -> Trained:
    """The trained models for `kb`, each from the cache when it holds it, else trained
    (and cached). A cache that cannot be read or written only costs the training time."""
    topic, urgent = labelled(kb)
    featurised = _Featuriser(normalizer)
    arrays = _cached(
        cache_dir, "topics", _key(topic, kb.synonyms), lambda: _topics(topic, featurised)
    )
    detector = _cached(
        cache_dir, "detector", _key(urgent, kb.synonyms), lambda: _detector(urgent, featurised)
    )
    answer, clarify = (float(v) for v in arrays["bands"])
    return Trained(
        topics=_model(arrays, "model"),
        urgent=_model(detector, "model"),
        bands=risk.Bands(answer, clarify, float(detector["threshold"][0])),
        curve=tuple(risk.Point(*(float(v) for v in row)) for row in arrays["curve"]),
    )


@functools.cache
def _bundled_questions() -> tuple[str, ...]:
    """The bundled entries' questions, phrasings and keywords: what ordinary messages
    look like, to the detector of every knowledge base (alone, 薬 or イソトレ is no
    report)."""
    data, _ = read_yaml(DEFAULT_KB_DIR / "entries.yaml")
    return tuple(
        text
        for entry in data["entries"]
        for text in (entry["question"], *entry.get("phrasings", ()), *entry.get("keywords", ()))
    )


class _Featuriser:
    """Texts to features, each text analysed once (the two models share many)."""

    def __init__(self, normalizer: Normalizer) -> None:
        self._normalizer = normalizer
        self._seen: dict[str, list[str]] = {}

    def __call__(self, pairs: Labelled) -> tuple[list[list[str]], list[str]]:
        for _, text in pairs:
            if text not in self._seen:
                self._seen[text] = features(self._normalizer.analyse(text))
        return [self._seen[t] for _, t in pairs], [label for label, _ in pairs]


Arrays = dict[str, np.ndarray]


def _topics(pairs: Labelled, featurised: _Featuriser) -> Arrays:
    """The topic model, and its answer and clarify thresholds by cross-validation."""
    found, labels = featurised(pairs)
    model = learned.fit(found, labels, balanced=True)
    # cross-validation says little while an entry has a handful of texts: defaults then
    enough = min(Counter(labels).values()) >= learned.SMALL_CLASS
    oof = learned.out_of_fold(found, labels, balanced=True) if enough else None
    curve = risk.curve(oof, labels) if oof else ()
    answer, clarify = risk.answer_and_clarify(curve, oof, labels)
    return {
        **_arrays("model", model),
        "bands": np.array([answer, clarify]),
        "curve": np.array([p.as_tuple() for p in curve]).reshape(-1, 4),
    }


def _detector(pairs: Labelled, featurised: _Featuriser) -> Arrays:
    """The red-flag detector and its threshold by cross-validation."""
    found, labels = featurised(pairs)
    if URGENT not in labels or NOT_URGENT not in labels:
        return {**_arrays("model", _never()), "threshold": np.array([risk.DEFAULT[2]])}
    model = learned.fit(found, labels, balanced=False)
    oof = learned.out_of_fold(found, labels, balanced=False)
    return {**_arrays("model", model), "threshold": np.array([risk.urgent_threshold(oof, labels)])}


def _cached(cache_dir: Path | None, kind: str, key: str, train: Callable[[], Arrays]) -> Arrays:
    path = cache_dir / f"{kind}-{key}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("model cache %s unreadable (%s); training again", path, exc)
    arrays = train()
    if path is not None:
        try:
            _write(path, arrays)
        except OSError as exc:
            logger.warning("model cache %s not written (%s)", path, exc.strerror or exc)
    return arrays


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/faqbot/models (~/.cache/faqbot/models)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faqbot" / "models"


def _never() -> LinearModel:
    """A detector for a knowledge base with no red-flag examples: never fires."""
    return LinearModel(
        classes=(NOT_URGENT, URGENT),
        vocabulary={},
        idf=np.zeros(0),
        weights=np.zeros((0, 1)),
        intercept=np.array([-50.0]),
    )


def _key(pairs: Labelled, synonyms: object) -> str:
    setup = [MODEL_VERSION, TEXT_GRAMS, READING_GRAMS, learned.C, pairs, synonyms]
    return hashlib.sha256(json.dumps(setup, ensure_ascii=False).encode()).hexdigest()[:32]


def _arrays(prefix: str, model: LinearModel) -> Arrays:
    names = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    return {
        f"{prefix}_classes": np.array(model.classes, dtype=str),
        f"{prefix}_names": np.array(names, dtype=str),
        f"{prefix}_idf": model.idf,
        f"{prefix}_weights": model.weights,
        f"{prefix}_intercept": model.intercept,
    }


def _model(arrays: Arrays, prefix: str) -> LinearModel:
    names = [str(n) for n in arrays[f"{prefix}_names"]]
    return LinearModel(
        classes=tuple(str(c) for c in arrays[f"{prefix}_classes"]),
        vocabulary={n: i for i, n in enumerate(names)},
        idf=arrays[f"{prefix}_idf"],
        weights=arrays[f"{prefix}_weights"],
        intercept=arrays[f"{prefix}_intercept"],
    )


def _write(path: Path, arrays: Arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # written whole or not at all: a crash mid-write leaves no half file to load
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        np.savez(tmp, allow_pickle=False, **arrays)
    os.replace(tmp.name, path)
