"""Topic-model quality, the same way for every model: NPMI, diversity, stability, outliers.

NPMI is gensim's `c_npmi` on the corpus's own tokens (the shared vectoriser's analyzer, so
bigrams such as "language model" are tokens too). Because that analyzer emits every unigram
and then every bigram, token positions carry no meaning, so the default window is the whole
paper (boolean-document co-occurrence, a window of `len(longest paper) + 1` tokens); an int
`window` uses gensim's sliding window instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)


def tokenize(texts: Sequence[str], vectorizer) -> list[list[str]]:
    """Each text as the in-vocabulary tokens the shared vectoriser sees."""
    analyze = vectorizer.build_analyzer()
    vocab = vectorizer.vocabulary_
    return [[t for t in analyze(text) if t in vocab] for text in texts]


def npmi(
    topic_words: Sequence[Sequence[str]],
    tokens: list[list[str]],
    top_n: int = 10,
    window: int | None = None,
) -> tuple[float, list[float]]:
    """Mean and per-topic NPMI of each topic's `top_n` words (gensim CoherenceModel c_npmi)."""
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    dictionary = Dictionary(tokens)
    topics = [[w for w in words if w in dictionary.token2id][:top_n] for words in topic_words]
    scored = [i for i, words in enumerate(topics) if len(words) >= 2]
    per_topic = [float("nan")] * len(topics)
    if not scored:
        return float("nan"), per_topic
    size = window if window is not None else max(len(t) for t in tokens) + 1
    model = CoherenceModel(
        topics=[topics[i] for i in scored],
        texts=tokens,
        dictionary=dictionary,
        coherence="c_npmi",
        topn=top_n,
        window_size=size,
        processes=1,
    )
    for i, value in zip(scored, model.get_coherence_per_topic(), strict=True):
        per_topic[i] = float(value)
    return float(np.nanmean(per_topic)), per_topic


def diversity(topic_words: Sequence[Sequence[str]], top_n: int = 25) -> float:
    """Share of unique words among the top `top_n` words of every topic (1 = no overlap)."""
    words = [w for topic in topic_words for w in list(topic)[:top_n]]
    return len(set(words)) / len(words) if words else float("nan")


def stability(labels_a: Sequence[int], labels_b: Sequence[int]) -> float:
    """Adjusted Rand index between two fits' topic per paper (outliers count as one group)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(labels_a, labels_b))


def outlier_share(topics: Sequence[int]) -> float:
    topics = np.asarray(topics)
    return float((topics == -1).mean()) if len(topics) else 0.0


def n_topics(topics: Sequence[int]) -> int:
    return int(len(set(np.asarray(topics).tolist()) - {-1}))


def summarize(
    topics: Sequence[int],
    topic_words: Sequence[Sequence[str]],
    tokens: list[list[str]],
    coherence_top_n: int,
    coherence_window: int | None,
    diversity_top_n: int,
) -> dict[str, float]:
    """n_topics, outlier_share, npmi and diversity of one fit; stability is added by the caller."""
    mean_npmi, _ = npmi(topic_words, tokens, coherence_top_n, coherence_window)
    return {
        "n_topics": n_topics(topics),
        "outlier_share": round(outlier_share(topics), 4),
        "npmi": round(mean_npmi, 4),
        "diversity": round(diversity(topic_words, diversity_top_n), 4),
    }
