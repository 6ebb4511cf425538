"""Topic-model quality, the same way for every model: NPMI, diversity, stability, outliers.

NPMI is gensim's `c_npmi` on the corpus's own tokens (the shared vectoriser's analyzer, so
bigrams such as "language model" are tokens too). Because that analyzer emits every unigram
and then every bigram, token positions carry no meaning, so the default window is the whole
paper (boolean-document co-occurrence); an int `window` uses gensim's sliding window instead.
With the whole paper as the window, gensim's sliding-window machinery reduces to document
frequencies, which `npmi` counts itself with numpy: the same figure to the last bit
(tests/test_topic_metrics.py), in a fraction of the time. The labels' NPMI is computed on every
run (bench/RESULTS.md, "A weekly dump's fixed costs, fifth pass").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)
EPSILON = 1e-12  # gensim.topic_coherence.direct_confirmation_measure.EPSILON


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
    known = {w for doc in tokens for w in doc}
    topics = [[w for w in words if w in known][:top_n] for words in topic_words]
    scored = [i for i, words in enumerate(topics) if len(words) >= 2]
    per_topic = [float("nan")] * len(topics)
    if not scored:
        return float("nan"), per_topic
    if window is None:
        values = _document_npmi([topics[i] for i in scored], tokens)
        for i, value in zip(scored, values, strict=True):
            per_topic[i] = value
        return float(np.nanmean(per_topic)), per_topic
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    dictionary = Dictionary(tokens)
    model = CoherenceModel(
        topics=[topics[i] for i in scored],
        texts=tokens,
        dictionary=dictionary,
        coherence="c_npmi",
        topn=top_n,
        window_size=window,
        processes=1,
    )
    for i, value in zip(scored, model.get_coherence_per_topic(), strict=True):
        per_topic[i] = float(value)
    return float(np.nanmean(per_topic)), per_topic


def _document_npmi(topics: list[list[str]], tokens: list[list[str]]) -> list[float]:
    """gensim's c_npmi with one window per paper, operation for operation: its pairs (every
    ordered pair of two places in the list, its `s_one_one`), its epsilon, its float64
    arithmetic and its mean."""
    column = {w: j for j, w in enumerate(dict.fromkeys(w for words in topics for w in words))}
    # float64 for BLAS (an integer product takes several times longer); counts stay exact.
    present = np.zeros((len(tokens), len(column)), dtype=np.float64)
    for d, doc in enumerate(tokens):
        present[d, [column[w] for w in column.keys() & set(doc)]] = 1
    together = present.T @ present  # papers with both words; on the diagonal, with the word
    n = float(len(tokens))
    out = []
    for words in topics:
        sims = []
        for i, prime in enumerate(words):
            for j, star in enumerate(words):
                if i == j:
                    continue
                a, b = column[prime], column[star]
                joint = together[a, b] / n
                ratio = (joint + EPSILON) / ((together[a, a] / n) * (together[b, b] / n))
                sims.append(np.log(ratio) / (-np.log(joint + EPSILON)))
        out.append(float(np.mean(sims)))
    return out


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
