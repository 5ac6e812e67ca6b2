"""Linear models over a message's features, trained from the knowledge base at load time.

scikit-learn fits them (TF-IDF, then logistic regression). Scoring one message through
scikit-learn's own `transform` and `predict_proba` costs ~1 ms of input checking and
sparse-matrix building, the whole budget of a decision, so `LinearModel` keeps the
fitted vocabulary, IDF and coefficients and computes the same probabilities directly
(tests/faq/test_learned.py checks they equal scikit-learn's).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

from faq.features import as_given

logger = logging.getLogger(__name__)
Label = TypeVar("Label", str, int)

# Inverse regularisation strength; larger trusts the training texts more. Chosen on the
# blind sets (BENCHMARKS.md): 3 left the best entry unsure of itself on unseen wording,
# 100 and 300 answered alike.
C = 100.0
# saga: ~10x faster than lbfgs on these sparse features; a tolerance of 1e-2 answers as
# well as 1e-3 in half the time.
SOLVER, TOLERANCE, MAX_ITER = "saga", 1e-2, 300
# Topics weigh alike however many examples each has (`escalate` holds thousands, an
# entry a hundred), except below this many texts (`class_weights`). The detector keeps
# the corpus's odds, so that a message it knows nothing of is not a coin toss.
SMALL_CLASS = 20


@dataclass(frozen=True)
class LinearModel:
    """A fitted TF-IDF + logistic regression model, as arrays."""

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    weights: NDArray[np.float64]  # features x classes
    intercept: NDArray[np.float64]

    def probabilities(self, features: Sequence[str]) -> NDArray[np.float64]:
        """P(class | message), in the order of `classes`."""
        return _softmax(self.scores(features))

    def scores(self, features: Sequence[str]) -> NDArray[np.float64]:
        """The decision function (one log-odds per class; binary models have one)."""
        ids, values = self._tfidf(features)
        if not ids:
            return self.intercept.copy()
        return np.asarray(values @ self.weights[ids] + self.intercept, dtype=np.float64)

    def evidence(self, features: Sequence[str], label: str, *, top: int = 3) -> list[str]:
        """The features that speak most for `label` in this message, strongest first."""
        ids, values = self._tfidf(features)
        if not ids:
            return []
        column = self.classes.index(label) if self.weights.shape[1] > 1 else 0
        sign = -1.0 if self.weights.shape[1] == 1 and label == self.classes[0] else 1.0
        pull = sign * values * self.weights[ids, column]
        order = np.argsort(-pull)[:top]
        return [self.names[ids[k]] for k in order if pull[k] > 0]

    @cached_property
    def names(self) -> list[str]:
        """Feature names by column (the vocabulary inverted)."""
        names = [""] * len(self.vocabulary)
        for feature, column in self.vocabulary.items():
            names[column] = feature
        return names

    def _tfidf(self, features: Sequence[str]) -> tuple[list[int], NDArray[np.float64]]:
        """The message's TF-IDF vector as (feature ids, values): sublinear counts times
        IDF, L2-normalised, exactly as the fitted TfidfVectorizer makes it."""
        counts = Counter(i for f in features if (i := self.vocabulary.get(f)) is not None)
        if not counts:
            return [], np.zeros(0)
        ids = list(counts)
        tf = np.fromiter((1.0 + math.log(counts[i]) for i in ids), float, len(ids))
        values = tf * self.idf[ids]
        return ids, values / np.linalg.norm(values)


@contextmanager
def _bounded_iterations() -> Iterator[None]:
    """saga stops at MAX_ITER: on a tiny knowledge base (entries of two phrasings) it may
    stop before `tol` is reached, and the model it has then is the one we use. That is
    worth a debug line, not scikit-learn's ConvergenceWarning on every load."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            logger.debug("training stopped at %d iterations before converging", MAX_ITER)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    if scores.shape[0] == 1:  # binary: the one score is the log-odds of classes[1]
        p = 1.0 / (1.0 + math.exp(-float(scores[0])))
        return np.array([1.0 - p, p])
    exp = np.exp(scores - scores.max())
    return np.asarray(exp / exp.sum(), dtype=np.float64)


def class_weights(labels: Sequence[Label]) -> dict[Label, float]:
    """Every class weighs as much as the others in training ("balanced"), except that a
    class of fewer than SMALL_CLASS texts weighs less, as if it had SMALL_CLASS: an
    entry with two phrasings must not outweigh the thousands of escalate examples and
    be answered for anything that shares a syllable with it."""
    counts = Counter(labels)
    per_class = len(labels) / len(counts)
    return {label: per_class / max(n, SMALL_CLASS) for label, n in counts.items()}


def pipeline(*, weights: dict[str, float] | dict[int, float] | None) -> Pipeline:
    """The model as scikit-learn builds it: TF-IDF over given features, then logistic
    regression (multinomial for several classes)."""
    # scikit-learn takes ~1.4 s to import: only when training, not to answer from the cache
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer=as_given, sublinear_tf=True, lowercase=False),
        LogisticRegression(
            C=C,
            solver=SOLVER,
            tol=TOLERANCE,
            max_iter=MAX_ITER,
            class_weight=weights,
            random_state=0,  # saga visits the texts in a random order: the same each time
        ),
    )


def fit(features: Sequence[list[str]], labels: Sequence[str], *, balanced: bool) -> LinearModel:
    """Train on featurised texts and their labels."""
    with _bounded_iterations():
        weights = class_weights(labels) if balanced else None
        fitted = pipeline(weights=weights).fit(list(features), list(labels))
    vectorizer, classifier = fitted[0], fitted[-1]
    return LinearModel(
        classes=tuple(str(c) for c in classifier.classes_),
        vocabulary={str(f): int(i) for f, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        weights=np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
        intercept=np.asarray(classifier.intercept_, dtype=np.float64),
    )


def out_of_fold(
    features: Sequence[list[str]],
    labels: Sequence[str],
    *,
    balanced: bool,
    folds: int = 3,
    seed: int = 0,
) -> tuple[tuple[str, ...], NDArray[np.float64]] | None:
    """Each text's probabilities from a model that did not see it (stratified k-fold),
    with the class order; None when a class has fewer texts than folds."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if min(Counter(labels).values()) < folds:
        return None
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # cross_val_predict hands the model its labels as numbers: the weights must be too
    classes = tuple(sorted(set(labels)))
    numbered = [classes.index(label) for label in labels]
    weights = class_weights(numbered) if balanced else None
    with _bounded_iterations():
        probabilities = cross_val_predict(
            pipeline(weights=weights),
            list(features),
            numbered,
            cv=split,
            method="predict_proba",
        )
    return classes, np.asarray(probabilities, dtype=np.float64)
