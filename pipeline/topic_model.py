"""BERTopic built explicitly from `cfg.topics`: every sub-model from its own params section.

One vocabulary is fitted on the papers (so `min_df` counts papers, not topics) and shared with
BERTopic's c-TF-IDF, the NMF/LDA baselines and the coherence metric. HDBSCAN's noise is then
re-assigned by `cfg.topics.outliers`; the topics before that step are kept so the stage can
report the outlier share on both sides.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.bertopic_logging import quiet_bertopic
from pipeline.config import Topics
from pipeline.errors import ConfigError, StageInputError
from pipeline.library_params import LibraryParams, UmapParams
from pipeline.topic_align import topic_centroids
from pipeline.topic_assign import assign, best_probability, place

log = logging.getLogger(__name__)

# Below this UMAP's spectral layout and HDBSCAN have too little to work with.
MIN_PAPERS = 10


@dataclass
class TopicFit:
    model: Any  # bertopic.BERTopic
    topics: np.ndarray  # final topic per paper, -1 = outlier
    probabilities: np.ndarray  # HDBSCAN membership strength; 0 for re-assigned outliers
    topics_before: np.ndarray  # HDBSCAN's topics, before outlier re-assignment
    vectorizer: Any  # CountVectorizer fitted on the papers (the shared vocabulary)
    min_cluster_size: int
    fitted_on: int  # papers UMAP/HDBSCAN were fitted on (the rest went through transform)


def resolve_min_cluster_size(cfg: Topics, n: int) -> int:
    value = cfg.hdbscan.min_cluster_size  # an int >= 2 or "auto" (checked at config load)
    if value == "auto":
        a = cfg.auto_min_cluster_size
        value = max(a.floor, round(a.scale * n**a.power))
    return value


def _kwargs(cls: type, params: LibraryParams) -> dict[str, Any]:
    """A params section's keyword arguments, checked against the installed constructor: the
    section was validated at config load, but a library version may lack one of its keys."""
    kwargs = params.kwargs()
    accepted = inspect.signature(cls.__init__).parameters
    unknown = sorted(k for k in kwargs if k not in accepted)
    if unknown:
        raise ConfigError(
            f"the installed {cls.__name__} takes no argument(s) {unknown}: "
            "remove them from params or install the version in constraints.txt"
        )
    return kwargs


def build_umap(params: UmapParams, n: int, seed: int, **fixed: Any):
    """UMAP from a params section; `fixed` are keywords the caller decides (n_components)."""
    from umap import UMAP

    kwargs = {**_kwargs(UMAP, params), **fixed}
    # Tiny corpora (a single snapshot) have fewer papers than the default neighbourhood.
    kwargs["n_neighbors"] = max(2, min(kwargs["n_neighbors"], n - 1))
    return UMAP(random_state=seed, **kwargs)


def build_hdbscan(cfg: Topics, n: int):
    from hdbscan import HDBSCAN

    kwargs = _kwargs(HDBSCAN, cfg.hdbscan)
    kwargs["min_cluster_size"] = resolve_min_cluster_size(cfg, n)
    return HDBSCAN(**kwargs)


def fit_vocabulary(texts: list[str], cfg: Topics):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(**_kwargs(CountVectorizer, cfg.vectorizer))
    try:
        vectorizer.fit(texts)
    except ValueError as e:  # sklearn: "empty vocabulary" / "no terms remain"
        raise StageInputError(
            f"no words left to model in {len(texts)} paper(s) with topics.vectorizer "
            f"{cfg.vectorizer.kwargs()}: {e}; lower min_df or add papers"
        ) from e
    return vectorizer


def encoder_backend(encoder):
    """Wrap a `pipeline.encoders` Encoder as the embedding backend BERTopic's labelling uses."""
    from bertopic.backend import BaseEmbedder

    class EncoderBackend(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            return np.asarray(encoder.encode(list(documents), progress=False), dtype=np.float32)

    return EncoderBackend()


def _representation(cfg: Topics, seed: int, encoder) -> dict | None:
    if cfg.representation == "none":
        return None
    if encoder is None:
        log.info(
            "no encoder given: topic labels come from c-TF-IDF words, not %s", cfg.representation
        )
        return None
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    # A dict keeps c-TF-IDF as the "Main" words (what the metrics score) and adds the
    # readable words as an aspect; it also avoids KeyBERTInspired's precomputed-embeddings
    # path, which in bertopic 0.17 indexes the wrong rows.
    if cfg.representation == "keybert":
        args = _kwargs(KeyBERTInspired, cfg.representation_args)
        return {"Label": KeyBERTInspired(random_state=seed, **args)}
    args = _kwargs(MaximalMarginalRelevance, cfg.representation_args)
    return {"Label": MaximalMarginalRelevance(**args)}


def build_bertopic(cfg: Topics, n: int, seed: int, vectorizer, encoder=None):
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    # BERTopic refits its vectoriser on one document per topic; a fixed vocabulary keeps
    # min_df meaning "papers" and keeps BERTopic's words identical to the baselines'.
    fixed = _kwargs(CountVectorizer, cfg.vectorizer)
    # Plain ints: the safetensors save writes this vocabulary to JSON.
    fixed["vocabulary"] = {w: int(i) for w, i in vectorizer.vocabulary_.items()}
    return BERTopic(
        embedding_model=encoder_backend(encoder) if encoder is not None else None,
        umap_model=build_umap(cfg.umap, n, seed),
        hdbscan_model=build_hdbscan(cfg, n),
        vectorizer_model=CountVectorizer(**fixed),
        ctfidf_model=ClassTfidfTransformer(**_kwargs(ClassTfidfTransformer, cfg.ctfidf)),
        representation_model=_representation(cfg, seed, encoder),
        # language="english" strips punctuation before c-TF-IDF, so "vision-language" would
        # no longer match the shared vocabulary; None keeps the vectoriser's own tokens.
        language=None,
        **_kwargs(BERTopic, cfg.bertopic),
    )


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Rows UMAP/HDBSCAN are fitted on: all of them, or a seeded sample of `size`."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def fit_topics(
    texts: list[str],
    embeddings: np.ndarray,
    cfg: Topics,
    seed: int,
    encoder=None,
    engine=None,
    chunk_size: int = 2000,
    reference: np.ndarray | None = None,
    batches: list[np.ndarray] = (),
) -> TopicFit:
    """Fit BERTopic on `texts` with precomputed `embeddings`, then re-assign outliers.

    UMAP/HDBSCAN are fitted on `reference` (all rows when None; a seeded sample of it above
    `topics.sample_size`). Every other row is assigned with `transform` in chunks of
    `chunk_size` on `engine` (`pipeline.topic_assign`; this process when None): the unsampled
    reference rows first, then each of `batches` on its own, so a batch's topics never depend
    on which other batches exist (see `pipeline.topic_history`).
    """
    n = len(texts)
    if embeddings.shape[0] != n:
        raise StageInputError(f"{n} texts but {embeddings.shape[0]} embeddings")
    reference = np.arange(n) if reference is None else np.sort(reference)
    if len(reference) < MIN_PAPERS:
        raise StageInputError(
            f"{len(reference)} paper(s): topic modelling needs at least {MIN_PAPERS}"
        )
    rows = reference[sample_rows(len(reference), cfg.sample_size, seed)]
    groups = [np.setdiff1d(reference, rows), *[np.sort(b) for b in batches]]
    rest = np.concatenate(groups)
    if len(rest) + len(rows) != n or len(np.unique(np.concatenate([rows, rest]))) != n:
        raise ValueError("reference and batches must cover every paper exactly once")
    if len(rest) and not cfg.hdbscan.prediction_data:
        raise ConfigError(
            f"{n} papers > topics.sample_size {cfg.sample_size}: the rest are assigned with "
            "HDBSCAN's approximate_predict, so set topics.hdbscan.prediction_data: true"
        )
    # Fitted on the same rows as c-TF-IDF, so every word occurs in at least one topic.
    vectorizer = fit_vocabulary([texts[i] for i in rows], cfg)
    model = build_bertopic(cfg, len(rows), seed, vectorizer, encoder)
    mcs = model.hdbscan_model.min_cluster_size
    log.info("BERTopic on %d of %d papers, min_cluster_size=%d", len(rows), n, mcs)

    fit_topics_, fit_probs = model.fit_transform([texts[i] for i in rows], embeddings[rows])
    topics = np.full(n, -1, dtype=int)
    probs = np.zeros(n, dtype=float)
    topics[rows], probs[rows] = fit_topics_, best_probability(fit_probs)
    for group in groups:
        if len(group):
            topics[group], probs[group] = assign(model, embeddings[group], engine, chunk_size)
    before = topics.copy()

    topics = reduce_outliers(model, texts, topics, embeddings, cfg)
    if len(rest) or not np.array_equal(topics, before):
        with quiet_bertopic():  # it warns that assignments were changed by hand: they were
            model.update_topics(
                texts,
                topics=topics.tolist(),
                top_n_words=model.top_n_words,
                vectorizer_model=model.vectorizer_model,
                ctfidf_model=model.ctfidf_model,
                representation_model=model.representation_model,
            )
        # update_topics falls back to word-embedding topic vectors; centroids are what fit uses.
        model.topic_embeddings_ = topic_centroids(embeddings, topics, outliers=True)[1]
    probs[topics != before] = 0.0
    return TopicFit(model, topics, probs, before, vectorizer, mcs, len(rows))


def reduce_outliers(model, texts, topics: np.ndarray, embeddings, cfg: Topics) -> np.ndarray:
    strategy = cfg.outliers.strategy
    if strategy == "none" or not (topics == -1).any():
        return topics
    if not [t for t in model.get_topics() if t != -1]:  # HDBSCAN found no topic to move to
        return topics
    new = model.reduce_outliers(
        texts,
        topics.tolist(),
        strategy=strategy,
        threshold=cfg.outliers.threshold,
        embeddings=embeddings if strategy == "embeddings" else None,
    )
    return np.asarray(new, dtype=int)


def fit_bertopic(
    texts: list[str],
    embeddings: np.ndarray,
    topics_cfg: Topics,
    seed: int,
    encoder=None,
    chunk_size: int = 2000,
) -> tuple[Any, list[int], np.ndarray]:
    """(model, topic per paper, probability per paper) for any set of papers, e.g. one snapshot.

    `chunk_size` (`engine.chunk_size`) batches the papers outside `topics.sample_size`, which
    fixes their UMAP transform: pass it, or a large snapshot's topics ignore the setting."""
    fit = fit_topics(texts, embeddings, topics_cfg, seed, encoder, chunk_size=chunk_size)
    return fit.model, fit.topics.tolist(), fit.probabilities


def map_coords(
    embeddings: np.ndarray,
    cfg: Topics,
    seed: int,
    engine=None,
    chunk_size: int = 2000,
    reference: np.ndarray | None = None,
    batches: list[np.ndarray] = (),
) -> np.ndarray:
    """2-D UMAP for the topic map; fitted and placed like the topic fit (same reference and
    batches), so a new dump adds points to the map without moving the old ones."""
    n = embeddings.shape[0]
    reference = np.arange(n) if reference is None else np.sort(reference)
    reducer = build_umap(cfg.coords, min(len(reference), cfg.sample_size), seed, n_components=2)
    rows = reference[sample_rows(len(reference), cfg.sample_size, seed)]
    xy = np.zeros((n, 2), dtype=float)
    xy[rows] = reducer.fit_transform(embeddings[rows])
    for group in [np.setdiff1d(reference, rows), *[np.sort(b) for b in batches]]:
        if len(group):
            xy[group] = place(reducer, embeddings[group], engine, chunk_size)
    return xy


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
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy.sparse import csr_matrix, vstack

    groups = sorted(set(labels.tolist()))
    if not set(groups) - {-1}:
        return {}
    per_group = vstack([csr_matrix(counts[labels == g].sum(axis=0)) for g in groups]).tocsr()
    ctfidf = ClassTfidfTransformer(**_kwargs(ClassTfidfTransformer, cfg.ctfidf))
    scores = ctfidf.fit_transform(per_group).toarray()
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return {
        g: [str(words[i]) for i in order[row] if scores[row, i] > 0]
        for row, g in enumerate(groups)
        if g != -1
    }
