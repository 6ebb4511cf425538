"""The BERTopic fit: UMAP/HDBSCAN on a reference (or a sample of it), the rest assigned.

One vocabulary is fitted on the papers (so `min_df` counts papers, not topics) and shared with
BERTopic's c-TF-IDF, the NMF/LDA baselines and the coherence metric. HDBSCAN's noise is then
re-assigned by `cfg.topics.outliers`; the topics before that step are kept so the stage can
report the outlier share on both sides.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.config import Topics
from pipeline.errors import ConfigError, StageInputError
from pipeline.io import PickleStore
from pipeline.topics.align import topic_centroids
from pipeline.topics.assign import assign, best_probability, place
from pipeline.topics.build import build_bertopic, build_umap, fit_settings, fit_vocabulary
from pipeline.topics.consensus import consensus_choice
from pipeline.topics.fitcache import digest, library_versions
from pipeline.topics.quiet import quiet_bertopic

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
    candidate_agreement: float | None = None  # `consensus.Choice.agreement`

    def take(self, rows: np.ndarray) -> TopicFit:
        """The same model, with the per-paper arrays of `rows` only."""
        return dataclasses.replace(
            self,
            topics=self.topics[rows],
            probabilities=self.probabilities[rows],
            topics_before=self.topics_before[rows],
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
    cache: PickleStore | None = None,
    labels: np.ndarray | None = None,
) -> TopicFit:
    """Fit BERTopic on `texts` with precomputed `embeddings`, then re-assign outliers.

    UMAP/HDBSCAN are fitted on `reference` (all rows when None; a seeded sample of it above
    `topics.sample_size`), with the most typical of `topics.candidates` seeds drawn from `seed`
    (`pipeline.topics.consensus`). Every other row is assigned with `transform` in chunks of
    `chunk_size` on `engine` (`pipeline.topics.assign`; this process when None): the unsampled
    reference rows first, then each of `batches` on its own, so a batch's topics never depend
    on which other batches exist (see `pipeline.topics.history`). With a `cache`, the reference
    fit and each group's assignment are kept between runs (`fitcache.fit_store`).
    `labels` (one per reference row, in row order; -1 = none) guide UMAP semi-supervised: a
    refit passes the topics the papers had under the model before it (`history.plan`).
    """
    n = len(texts)
    reference = np.arange(n) if reference is None else np.sort(reference)
    rows = reference[sample_rows(len(reference), cfg.sample_size, seed)]
    groups = [np.setdiff1d(reference, rows), *[np.sort(b) for b in batches]]
    _check_rows(cfg, embeddings, n, reference, rows, groups)
    # Fitted on the same rows as c-TF-IDF, so every word occurs in at least one topic.
    fitted_texts = [texts[i] for i in rows]
    cache = cache or PickleStore(None)
    vocabulary_key = digest(
        "vocabulary", fitted_texts, cfg.vectorizer.model_dump(mode="json"), library_versions()
    )
    vectorizer = cache.get_or_make(
        "vocabulary", vocabulary_key, lambda: fit_vocabulary(fitted_texts, cfg)
    )
    embed_vocabulary(encoder, vectorizer, cache, vocabulary_key)
    y = None
    if labels is not None:
        by_row = np.full(n, -1, dtype=int)
        by_row[reference] = labels
        y = by_row[rows]
    choice = consensus_choice(embeddings[rows], y, cfg, seed, engine, cache)
    umap_seed = choice.seed
    known = dict(zip(texts, embeddings, strict=True)) if encoder is not None else None
    model = build_bertopic(cfg, len(rows), seed, vectorizer, encoder, known, umap_seed)
    mcs = model.hdbscan_model.min_cluster_size
    log.info("BERTopic on %d of %d papers, min_cluster_size=%d", len(rows), n, mcs)

    encoder_id = None if encoder is None else (encoder.name, encoder.version)
    key = digest("bertopic", fitted_texts, embeddings[rows], fit_settings(cfg), seed, umap_seed,
                 encoder_id, library_versions(), y)  # fmt: skip
    model, fit_topics_, fit_probs = _fit_or_load(
        model, fitted_texts, embeddings[rows], y, cache, key
    )
    topics = np.full(n, -1, dtype=int)
    probs = np.zeros(n, dtype=float)
    topics[rows], probs[rows] = fit_topics_, best_probability(fit_probs)
    for group in groups:
        if len(group):
            topics[group], probs[group] = cache.get_or_make(
                "assigned",
                digest(key, embeddings[group], chunk_size),
                lambda g=group: assign(model, embeddings[g], engine, chunk_size),
            )
    before = topics.copy()
    topics = _without_outliers(model, texts, topics, embeddings, cfg, len(rows) < n)
    probs[topics != before] = 0.0
    return TopicFit(model, topics, probs, before, vectorizer, mcs, len(rows), choice.agreement)


def embed_vocabulary(encoder, vectorizer, cache: PickleStore, vocabulary_key: str) -> None:
    """Every vocabulary word into the embedding cache, once per vocabulary and encoder.

    KeyBERT takes its candidate words from this vocabulary, which changes only with the
    reference. Embedding all of it where the reference is fitted (4 s for 5,000 words on 2
    cores) spares each later dump loading the model for the few candidates it has not seen,
    which cost more than the rest of the topics stage (bench/RESULTS.md, "Start-up, second
    pass"). Only an encoder that keeps its vectors (`embedding.texts.CachedEncoder`, which
    has a `cache`) is sent the words; any other would only do the work again next time.
    """
    if getattr(encoder, "cache", None) is None or cache.folder is None:
        return
    words = vectorizer.get_feature_names_out().tolist()
    key = digest("vocabulary-embedded", vocabulary_key, encoder.name, encoder.version)
    cache.get_or_make("vocabulary_embedded", key, lambda: len(encoder.encode(words)))


def _check_rows(cfg: Topics, embeddings, n: int, reference, rows, groups) -> None:
    if embeddings.shape[0] != n:
        raise StageInputError(f"{n} texts but {embeddings.shape[0]} embeddings")
    if len(reference) < MIN_PAPERS:
        raise StageInputError(
            f"{len(reference)} paper(s): topic modelling needs at least {MIN_PAPERS}"
        )
    rest = np.concatenate(groups)
    if len(rest) + len(rows) != n or len(np.unique(np.concatenate([rows, rest]))) != n:
        raise ValueError("reference and batches must cover every paper exactly once")
    if len(rest) and not cfg.hdbscan.prediction_data:
        raise ConfigError(
            f"{n} papers > topics.sample_size {cfg.sample_size}: the rest are assigned with "
            "HDBSCAN's approximate_predict, so set topics.hdbscan.prediction_data: true"
        )


def _without_outliers(model, texts, topics, embeddings, cfg: Topics, assigned: bool):
    """Outliers re-assigned (`topics.outliers`), and the model's words and topic vectors
    brought up to date when any paper's topic is not the fit's own (`assigned`, or moved)."""
    before = topics
    topics = reduce_outliers(model, texts, topics, embeddings, cfg)
    if assigned or not np.array_equal(topics, before):
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
    return topics


def _fit_or_load(model, texts: list[str], embeddings: np.ndarray, y, cache: PickleStore, key):
    """(fitted model, topics, probabilities) of `fit_transform`, from the cache when it has
    them. The encoder backend is not stored (it wraps a live model); the caller's is used."""
    backend = model.embedding_model

    def fit():
        log.info("fitting the reference (not in the cache): %s", key)
        topics, probs = model.fit_transform(texts, embeddings, y=y)
        model.embedding_model = None
        return model, topics, probs

    fitted, topics, probs = cache.get_or_make("bertopic", key, fit)
    fitted.embedding_model = backend
    return fitted, topics, probs


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
    cache: PickleStore | None = None,
) -> np.ndarray:
    """2-D UMAP for the topic map; fitted and placed like the topic fit (same reference and
    batches), so a new dump adds points to the map without moving the old ones."""
    n = embeddings.shape[0]
    reference = np.arange(n) if reference is None else np.sort(reference)
    rows = reference[sample_rows(len(reference), cfg.sample_size, seed)]
    cache = cache or PickleStore(None)
    key = digest("coords", embeddings[rows], cfg.coords.model_dump_json(), seed,
                 library_versions())  # fmt: skip

    def fit():
        reducer = build_umap(cfg.coords, len(rows), seed, n_components=2)
        return reducer, reducer.fit_transform(embeddings[rows])

    xy = np.zeros((n, 2), dtype=float)
    reducer, xy[rows] = cache.get_or_make("coords", key, fit)
    for group in [np.setdiff1d(reference, rows), *[np.sort(b) for b in batches]]:
        if len(group):
            xy[group] = cache.get_or_make(
                "placed",
                digest(key, embeddings[group], chunk_size),
                lambda g=group: place(reducer, embeddings[g], engine, chunk_size),
            )
    return xy
