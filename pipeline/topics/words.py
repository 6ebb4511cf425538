"""Word lists and readable labels per topic."""

from __future__ import annotations

import numpy as np

from pipeline.config import Topics
from pipeline.topics.bertopic_import import import_bertopic
from pipeline.topics.build import checked_kwargs


def ctfidf_words(model, k: int) -> dict[int, list[str]]:
    """Top `k` c-TF-IDF words of every topic (not the outlier group), best first."""
    words = model.vectorizer_model.get_feature_names_out()
    matrix = model.c_tf_idf_.tocsr()
    out = {}
    for row, topic in enumerate(sorted(set(model.topics_))):
        if topic == -1:
            continue
        scores = matrix.getrow(row).toarray().ravel()
        top = np.argsort(-scores, kind="stable")[:k]
        out[int(topic)] = [str(words[i]) for i in top if scores[i] > 0]
    return out


def topic_labels(model, n_words: int) -> dict[int, str]:
    """Readable label per topic from the representation aspect (c-TF-IDF without one).

    Words nested in an already chosen word ("model" after "language model") are skipped.
    """
    source = model.topic_aspects_.get("Label") or model.topic_representations_
    labels = {}
    for topic, pairs in source.items():
        chosen: list[str] = []
        for word, _ in pairs:
            if word and not any(word in c or c in word for c in chosen):
                chosen.append(word)
            if len(chosen) == n_words:
                break
        labels[int(topic)] = ", ".join(chosen) if topic != -1 else "outliers"
    return labels


def class_tfidf_words(
    counts, labels: np.ndarray, words, cfg: Topics, k: int
) -> dict[int, list[str]]:
    """Top c-TF-IDF words for any labelling of the papers (e.g. before outlier re-assignment).

    The outlier group takes part in the IDF, as in BERTopic, but gets no word list.
    """
    import_bertopic()
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy.sparse import csr_matrix, vstack

    groups = sorted(set(labels.tolist()))
    if not set(groups) - {-1}:
        return {}
    per_group = vstack([csr_matrix(counts[labels == g].sum(axis=0)) for g in groups]).tocsr()
    ctfidf = ClassTfidfTransformer(**checked_kwargs(ClassTfidfTransformer, cfg.ctfidf))
    scores = ctfidf.fit_transform(per_group).toarray()
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return {
        g: [str(words[i]) for i in order[row] if scores[row, i] > 0]
        for row, g in enumerate(groups)
        if g != -1
    }
