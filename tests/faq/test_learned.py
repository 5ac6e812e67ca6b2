"""The learned models: the fast scoring equals scikit-learn's, and the cache is safe."""

from pathlib import Path

import numpy as np
import pytest

from faq import learned
from faq.loader import load_kb
from faq.matcher import Matcher
from faq.normalize import Normalizer
from faq.trained import load_or_train, training_set

MESSAGES = ["お酒は飲める？", "けんけつ いつから", "sunscreen is needed?", "駐車場ある？", ""]


@pytest.fixture(scope="module")
def data() -> tuple[list[list[str]], list[str]]:
    kb = load_kb()
    found = training_set(kb, Normalizer(kb.synonyms))
    return found.topic_features, found.topic_labels


def test_fast_probabilities_equal_scikit_learns(data: tuple[list[list[str]], list[str]]) -> None:
    features, labels = data
    fitted = learned.pipeline(weights=learned.class_weights(labels)).fit(features, labels)
    model = learned.fit(features, labels, balanced=True)
    normalizer = Normalizer(load_kb().synonyms)
    from faq.features import features as featurise

    for text in MESSAGES:
        found = featurise(normalizer.analyse(text))
        expected = fitted.predict_proba([found])[0]
        assert model.classes == tuple(fitted.classes_)
        np.testing.assert_allclose(model.probabilities(found), expected, atol=1e-9)


def test_cached_models_decide_as_freshly_trained_ones(tmp_path: Path) -> None:
    kb = load_kb()
    fresh = Matcher(kb, cache_dir=None)
    Matcher(kb, cache_dir=tmp_path)  # trains and writes the cache
    assert len(list(tmp_path.glob("*.npz"))) == 1
    cached = Matcher(kb, cache_dir=tmp_path)
    for text in MESSAGES:
        assert cached.decide(text) == fresh.decide(text)
    assert cached.thresholds == fresh.thresholds


def test_a_damaged_cache_file_is_trained_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = load_kb()
    Matcher(kb, cache_dir=tmp_path)
    (cache,) = tmp_path.glob("*.npz")
    cache.write_bytes(b"not a model")
    again = Matcher(kb, cache_dir=tmp_path)
    assert again.decide("お酒は飲める？").faq_id == "alcohol"
    assert "unreadable" in caplog.text


def test_an_unwritable_cache_only_costs_the_training(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache directory should be")
    kb = load_kb()
    assert load_or_train(kb, Normalizer(kb.synonyms), blocked / "models").bands
