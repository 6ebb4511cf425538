"""scikit-learn NMF and LDA on the same papers, vocabulary and number of topics as BERTopic.

Both take the document-term counts of the shared vectoriser: NMF on their TF-IDF weighting
(its usual input), LDA on the raw counts (its generative model counts words). A paper goes
to its highest-weight topic; a paper with no in-vocabulary word has none and counts as -1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

NAMES = ("nmf", "lda")


@dataclass
class BaselineFit:
    name: str
    topics: np.ndarray  # argmax topic per paper, -1 where the paper has no vocabulary word
    topic_words: dict[int, list[str]]  # top words per topic, best first
    model: Any = None  # the fitted NMF / LatentDirichletAllocation
    weighting: Any = None  # NMF's fitted TfidfTransformer; None for LDA (raw counts)

    def assign(self, counts) -> np.ndarray:
        """Best topic of each row of a count matrix under the fitted model (-1: no word)."""
        x = counts if self.weighting is None else self.weighting.transform(counts)
        return _best(counts, self.model.transform(x))


def fit_baseline(
    name: str,
    counts,
    words: np.ndarray,
    n_topics: int,
    seed: int,
    kwargs: dict[str, Any],
    top_k: int,
) -> BaselineFit:
    """Fit one baseline on a (papers x words) count matrix; `words` names its columns."""
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import TfidfTransformer

    if name not in NAMES:
        raise ConfigError(f"topics.baselines: unknown baseline {name!r}; choose from {NAMES}")
    if "n_components" in kwargs or "random_state" in kwargs:
        raise ConfigError(f"topics.{name}: n_components follows BERTopic and random_state the seed")
    n_topics = max(1, min(n_topics, counts.shape[0], counts.shape[1]))
    weighting = TfidfTransformer().fit(counts) if name == "nmf" else None
    try:
        if name == "nmf":
            model = NMF(n_components=n_topics, random_state=seed, **kwargs)
            weights = model.fit_transform(weighting.transform(counts))
        else:
            model = LatentDirichletAllocation(n_components=n_topics, random_state=seed, **kwargs)
            weights = model.fit_transform(counts)
    except TypeError as e:
        raise ConfigError(f"topics.{name}: {e}") from e
    topics = _best(counts, weights)
    order = np.argsort(-model.components_, axis=1, kind="stable")[:, :top_k]
    topic_words = {t: [str(words[i]) for i in order[t]] for t in range(n_topics)}
    log.info("%s: %d topics on %d papers", name, n_topics, counts.shape[0])
    return BaselineFit(name, topics, topic_words, model, weighting)


def _best(counts, weights: np.ndarray) -> np.ndarray:
    empty = np.asarray(counts.sum(axis=1)).ravel() == 0
    return np.where(empty, -1, weights.argmax(axis=1)).astype(int)
