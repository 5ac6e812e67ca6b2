"""The knowledge base's learned models and the thresholds chosen for them, trained at load
time and cached by a hash of everything they are trained on.

Two models learn from the knowledge base: `topics` scores every entry and `escalate`
(staff work, out of scope) together; `urgent` is the red-flag detector. The decision
thresholds are not set by hand: cross-validation gives every training text a
probability from a model that never saw it, and the thresholds are read off those
(`faq.risk`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faq import learned, risk
from faq.features import READING_GRAMS, TEXT_GRAMS, features
from faq.learned import LinearModel
from faq.model import NOT_URGENT, URGENT, KnowledgeBase
from faq.normalize import Normalizer

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


@dataclass(frozen=True)
class TrainingSet:
    """Featurised texts and labels for both models."""

    topic_features: list[list[str]]
    topic_labels: list[str]
    urgent_features: list[list[str]]
    urgent_labels: list[str]


Labelled = list[tuple[str, str]]


def labelled(kb: KnowledgeBase) -> tuple[Labelled, Labelled]:
    """What the models learn from. `topics`: each entry's question, phrasings and
    keywords, and the examples labelled with an entry or `escalate`. The detector: the
    red-flag examples against everything else (red flags never reach `topics`: the
    detector and the rules stand before it)."""
    topic: list[tuple[str, str]] = []
    for entry in kb.entries:
        topic += [(entry.id, t) for t in (entry.question, *entry.phrasings, *entry.keywords)]
    others: list[tuple[str, str]] = []
    for example in kb.examples:
        if example.label in (URGENT, NOT_URGENT):
            others.append((example.label, example.text))
        else:
            topic.append((example.label, example.text))
    urgent_pairs = [*((NOT_URGENT, t) for _, t in topic), *others]
    return topic, urgent_pairs


def training_set(kb: KnowledgeBase, normalizer: Normalizer) -> TrainingSet:
    """Both models' (label, text) pairs featurised."""
    topic, urgent_pairs = labelled(kb)
    cache: dict[str, list[str]] = {}

    def featurised(text: str) -> list[str]:
        if text not in cache:
            cache[text] = features(normalizer.analyse(text))
        return cache[text]

    return TrainingSet(
        topic_features=[featurised(t) for _, t in topic],
        topic_labels=[label for label, _ in topic],
        urgent_features=[featurised(t) for _, t in urgent_pairs],
        urgent_labels=[label for label, _ in urgent_pairs],
    )


def train(data: TrainingSet) -> Trained:
    """Fit both models and choose their thresholds by cross-validation."""
    topics = learned.fit(data.topic_features, data.topic_labels, balanced=True)
    topic_oof = learned.out_of_fold(data.topic_features, data.topic_labels, balanced=True)
    urgent, urgent_oof = _never(), None
    if URGENT in data.urgent_labels and NOT_URGENT in data.urgent_labels:
        urgent = learned.fit(data.urgent_features, data.urgent_labels, balanced=False)
        urgent_oof = learned.out_of_fold(data.urgent_features, data.urgent_labels, balanced=False)
    curve = risk.curve(topic_oof, data.topic_labels) if topic_oof else ()
    bands = risk.bands(curve, topic_oof, data.topic_labels, urgent_oof, data.urgent_labels)
    return Trained(topics, urgent, bands, curve)


def load_or_train(kb: KnowledgeBase, normalizer: Normalizer, cache_dir: Path | None) -> Trained:
    """The trained models for `kb`: from the cache when it holds them, else trained (and
    cached). A cache that cannot be read or written only costs the training time."""
    key = _key(*labelled(kb), kb.synonyms)
    path = cache_dir / f"{key}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            return _read(path)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("model cache %s unreadable (%s); training again", path, exc)
    trained = train(training_set(kb, normalizer))
    if path is not None:
        try:
            _write(path, trained)
        except OSError as exc:
            logger.warning("model cache %s not written (%s)", path, exc.strerror or exc)
    return trained


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


def _key(topic: list[tuple[str, str]], urgent: list[tuple[str, str]], synonyms: object) -> str:
    setup = [MODEL_VERSION, TEXT_GRAMS, READING_GRAMS, learned.C, topic, urgent, synonyms]
    return hashlib.sha256(json.dumps(setup, ensure_ascii=False).encode()).hexdigest()[:32]


def _arrays(prefix: str, model: LinearModel) -> dict[str, np.ndarray]:
    names = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    return {
        f"{prefix}_classes": np.array(model.classes, dtype=str),
        f"{prefix}_names": np.array(names, dtype=str),
        f"{prefix}_idf": model.idf,
        f"{prefix}_weights": model.weights,
        f"{prefix}_intercept": model.intercept,
    }


def _model(arrays: np.lib.npyio.NpzFile, prefix: str) -> LinearModel:
    names = [str(n) for n in arrays[f"{prefix}_names"]]
    return LinearModel(
        classes=tuple(str(c) for c in arrays[f"{prefix}_classes"]),
        vocabulary={n: i for i, n in enumerate(names)},
        idf=arrays[f"{prefix}_idf"],
        weights=arrays[f"{prefix}_weights"],
        intercept=arrays[f"{prefix}_intercept"],
    )


def _write(path: Path, trained: Trained) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        **_arrays("topics", trained.topics),
        **_arrays("urgent", trained.urgent),
        "bands": np.array(trained.bands.as_tuple()),
        "curve": np.array([p.as_tuple() for p in trained.curve]).reshape(-1, 4),
    }
    # written whole or not at all: a crash mid-write leaves no half file to load
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        np.savez(tmp, allow_pickle=False, **arrays)
    os.replace(tmp.name, path)


def _read(path: Path) -> Trained:
    with np.load(path, allow_pickle=False) as arrays:
        return Trained(
            topics=_model(arrays, "topics"),
            urgent=_model(arrays, "urgent"),
            bands=risk.Bands(*(float(v) for v in arrays["bands"])),
            curve=tuple(risk.Point(*(float(v) for v in row)) for row in arrays["curve"]),
        )
