"""Topic-quality metrics and the topics-over-time table: pure functions, no model fits."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from pipeline.errors import ConfigError
from pipeline.stages.topics import topics_over_time
from pipeline.topics import metrics as tm
from pipeline.topics.baselines import fit_baseline

DOCS = [
    ["graph", "neural", "network"],
    ["graph", "neural", "node"],
    ["graph", "node", "edge"],
    ["image", "pixel", "neural"],
    ["image", "pixel", "camera"],
    ["image", "camera", "lens"],
]


def _npmi_by_hand(words: list[str], docs: list[list[str]]) -> float:
    """NPMI with each document as one window, averaged over word pairs (gensim's eps)."""
    n = len(docs)
    sets = [set(d) for d in docs]

    def p(*ws):
        return sum(all(w in s for w in ws) for s in sets) / n

    scores = []
    for a, b in combinations(words, 2):
        joint = p(a, b) + 1e-12
        scores.append(math.log(joint / (p(a) * p(b))) / -math.log(joint))
    return float(np.mean(scores))


def test_npmi_matches_the_formula_with_document_windows():
    topics = [["graph", "neural", "node"], ["image", "pixel", "camera"], ["graph", "image", "lens"]]
    mean, per_topic = tm.npmi(topics, DOCS, top_n=3, window=None)
    expected = [_npmi_by_hand(t, DOCS) for t in topics]
    assert per_topic == pytest.approx(expected, abs=1e-6)
    assert mean == pytest.approx(np.mean(expected), abs=1e-6)
    # Words of one theme co-occur, a mixed topic does not: coherence must rank them so.
    assert per_topic[0] > 0 > per_topic[2]


def _gensim_npmi(topics, docs, top_n):
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    model = CoherenceModel(topics=topics, texts=docs, dictionary=Dictionary(docs),
                           coherence="c_npmi", topn=top_n,
                           window_size=max(len(d) for d in docs) + 1, processes=1)  # fmt: skip
    return [float(v) for v in model.get_coherence_per_topic()]


def test_document_npmi_is_gensims_c_npmi_to_the_last_bit():
    """The default window (the whole paper) is counted here, not by gensim's sliding window:
    on random corpora with shared, repeated and absent words, every topic's value is gensim's."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(60)]
    for trial in range(30):
        docs = [list(rng.choice(vocab, size=rng.integers(0, 40), p=None)) for _ in range(80)]
        docs.append([])  # an empty paper still counts as a window
        known = sorted({w for d in docs for w in d})
        topics = [list(rng.choice(known, size=rng.integers(2, 11), replace=False))
                  for _ in range(1 + trial % 7)]  # fmt: skip
        _, ours = tm.npmi(topics, docs, top_n=10, window=None)
        assert ours == _gensim_npmi(topics, docs, top_n=10)


def test_npmi_extremes_and_unscorable_topics():
    docs = [["a", "b"], ["a", "b"], ["c", "d"], ["c", "d"]]
    _, per_topic = tm.npmi([["a", "b"], ["a", "c"], ["zzz", "a"]], docs, top_n=2)
    assert per_topic[0] == pytest.approx(1.0, abs=1e-6)
    assert per_topic[1] < -0.9  # never together: -1 up to gensim's epsilon
    assert math.isnan(per_topic[2])  # one known word: no pair to score


def test_diversity_counts_unique_words_among_top_n():
    assert tm.diversity([["a", "b"], ["c", "d"]], top_n=2) == 1.0
    assert tm.diversity([["a", "b"], ["a", "b"]], top_n=2) == 0.5
    assert tm.diversity([["a", "b", "x"], ["a", "c", "y"]], top_n=2) == 0.75


def test_stability_ignores_label_names_and_counts_outliers():
    assert tm.stability([0, 0, 1, 1], [5, 5, 7, 7]) == pytest.approx(1.0)
    assert tm.stability([0, 0, 1, 1], [0, 1, 0, 1]) < 0.1
    assert tm.outlier_share([-1, 0, 1, -1]) == 0.5
    assert tm.n_topics([-1, 0, 3, 3]) == 2


def test_tokenize_keeps_only_vocabulary_ngrams():
    vec = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2).fit(
        ["neural network models", "neural network training", "the cat"]
    )
    tokens = tm.tokenize(["a neural network for cats"], vec)
    assert tokens == [["neural", "network", "neural network"]]


def test_baselines_share_vocabulary_and_topic_count():
    texts = [" ".join(d) for d in DOCS] * 5
    vec = CountVectorizer().fit(texts)
    counts, words = vec.transform(texts + ["unknownword"]), vec.get_feature_names_out()
    for name in ("nmf", "lda"):
        fit = fit_baseline(name, counts, words, 2, seed=0, kwargs={}, top_k=4)
        assert sorted(fit.topic_words) == [0, 1]
        assert all(set(w) <= set(words) for w in fit.topic_words.values())
        assert fit.topics[-1] == -1  # no vocabulary word: no topic
        again = fit_baseline(name, counts, words, 2, seed=0, kwargs={}, top_k=4)
        assert np.array_equal(fit.topics, again.topics)
    with pytest.raises(ConfigError, match="random_state"):
        fit_baseline("nmf", counts, words, 2, 0, {"random_state": 1}, 4)


def test_topics_over_time_counts_per_month_and_skips_undated():
    papers = pd.DataFrame({
        "paper_id": ["a", "b", "c", "d", "e"],
        "date": ["2025-01-05", "2025-01-30", "2025-03-01", None, "2025-01-01"],
        "date_precision": ["day", "day", "month", None, "year"],
    })  # fmt: skip
    assignments = pd.DataFrame({"paper_id": ["a", "b", "c", "d", "e"], "topic": [0, 0, -1, 1, 1]})
    table = topics_over_time(assignments, papers, "M")
    # e: a year alone is no month's paper (stored as January 1st, it would swell January).
    assert table.to_dict("records") == [
        {"period": "2025-01", "topic": 0, "count": 2},
        {"period": "2025-03", "topic": -1, "count": 1},
    ]
    assert topics_over_time(assignments, papers, "Q")["period"].tolist() == ["2025Q1", "2025Q1"]
    by_year = topics_over_time(assignments, papers, "Y").to_dict("records")
    assert by_year == [
        {"period": "2025", "topic": t, "count": n} for t, n in [(-1, 1), (0, 2), (1, 1)]
    ]
