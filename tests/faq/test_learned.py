"""The learned models: the fast scoring equals scikit-learn's, and the cache is safe."""

from pathlib import Path

import numpy as np
import pytest

from faq import learned
from faq.features import features as featurise
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.normalize import Normalizer
from faq.trained import labelled, load_or_train

MESSAGES = ["お酒は飲める？", "けんけつ いつから", "sunscreen is needed?", "駐車場ある？", ""]


def test_fast_probabilities_equal_scikit_learns(kb_dir: Path) -> None:
    kb = load_kb(kb_dir)
    normalizer = Normalizer(kb.synonyms)
    topic, _ = labelled(kb)
    features = [featurise(normalizer.analyse(t)) for _, t in topic]
    labels = [label for label, _ in topic]
    fitted = learned.pipeline(weights=learned.class_weights(labels)).fit(features, labels)
    model = learned.fit(features, labels, balanced=True)
    for text in MESSAGES:
        found = featurise(normalizer.analyse(text))
        expected = fitted.predict_proba([found])[0]
        assert model.classes == tuple(fitted.classes_)
        np.testing.assert_allclose(model.probabilities(found), expected, atol=1e-9)


def test_cached_models_decide_as_freshly_trained_ones(tmp_path: Path, kb_dir: Path) -> None:
    kb = load_kb(kb_dir)
    fresh = Matcher(kb, cache_dir=None)
    Matcher(kb, cache_dir=tmp_path)  # trains and writes the cache
    assert sorted(p.name.split("-")[0] for p in tmp_path.glob("*.npz")) == ["detector", "topics"]
    cached = Matcher(kb, cache_dir=tmp_path)
    for text in MESSAGES:
        assert cached.decide(text) == fresh.decide(text)
    assert cached.thresholds == fresh.thresholds


def test_a_damaged_cache_file_is_trained_again(
    tmp_path: Path, kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = load_kb(kb_dir)
    Matcher(kb, cache_dir=tmp_path)
    (cache,) = tmp_path.glob("topics-*.npz")
    cache.write_bytes(b"not a model")
    again = Matcher(kb, cache_dir=tmp_path)
    assert again.decide("お酒は飲める？").faq_id == "alcohol"
    assert "unreadable" in caplog.text


def test_an_unwritable_cache_only_costs_the_training(tmp_path: Path, kb_dir: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache directory should be")
    kb = load_kb(kb_dir)
    assert load_or_train(kb, Normalizer(kb.synonyms), blocked / "models").bands


def test_an_edited_entry_retrains_only_the_topic_model(tmp_path: Path, kb_dir: Path) -> None:
    Matcher(load_kb(kb_dir), cache_dir=tmp_path)
    entries = kb_dir / "entries.yaml"
    entries.write_text(
        entries.read_text(encoding="utf-8").replace(
            "[献血していい？]", "[献血していい？, 献血OK？]"
        ),
        encoding="utf-8",
    )
    Matcher(load_kb(kb_dir), cache_dir=tmp_path)
    kinds = sorted(p.name.split("-")[0] for p in tmp_path.glob("*.npz"))
    assert kinds == ["detector", "topics", "topics"]  # the red-flag detector is not retrained
