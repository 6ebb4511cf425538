"""BERTopic built explicitly from `cfg.topics`: every sub-model from its own params section.

Each section is checked against the installed constructor (`checked_kwargs`): validated at
config load, but a library version may lack one of its keys.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import numpy as np

from pipeline.config import Topics
from pipeline.errors import ConfigError, StageInputError
from pipeline.library_params import LibraryParams, UmapParams
from pipeline.topics.bertopic_import import import_bertopic

log = logging.getLogger(__name__)


def resolve_min_cluster_size(cfg: Topics, n: int) -> int:
    value = cfg.hdbscan.min_cluster_size  # an int >= 2 or "auto" (checked at config load)
    if value == "auto":
        a = cfg.auto_min_cluster_size
        value = max(a.floor, round(a.scale * n**a.power))
    return value


def fit_settings(cfg: Topics) -> list:
    """Every setting `build_bertopic` reads: what a cached fit must match (`topics.fitcache`)."""
    sections = [cfg.umap, cfg.hdbscan, cfg.auto_min_cluster_size, cfg.vectorizer, cfg.ctfidf,
                cfg.representation_args, cfg.bertopic]  # fmt: skip
    return [cfg.representation, *(x.model_dump(mode="json") for x in sections)]


def checked_kwargs(cls: type, params: LibraryParams) -> dict[str, Any]:
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

    from pipeline.topics.kernels import cache_umap_kernels

    cache_umap_kernels()
    kwargs = {**checked_kwargs(UMAP, params), **fixed}
    # Tiny corpora (a single snapshot) have fewer papers than the default neighbourhood.
    kwargs["n_neighbors"] = max(2, min(kwargs["n_neighbors"], n - 1))
    return UMAP(random_state=seed, **kwargs)


def build_hdbscan(cfg: Topics, n: int):
    from hdbscan import HDBSCAN

    kwargs = checked_kwargs(HDBSCAN, cfg.hdbscan)
    kwargs["min_cluster_size"] = resolve_min_cluster_size(cfg, n)
    return HDBSCAN(**kwargs)


def fit_vocabulary(texts: list[str], cfg: Topics):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(**checked_kwargs(CountVectorizer, cfg.vectorizer))
    try:
        vectorizer.fit(texts)
    except ValueError as e:  # sklearn: "empty vocabulary" / "no terms remain"
        raise StageInputError(
            f"no words left to model in {len(texts)} paper(s) with topics.vectorizer "
            f"{cfg.vectorizer.kwargs()}: {e}; lower min_df or add papers"
        ) from e
    return vectorizer


def encoder_backend(encoder, known: dict[str, np.ndarray] | None = None):
    """An `embedding.encoders` Encoder as the embedding backend of BERTopic's labelling.

    KeyBERT-style labelling embeds each topic's representative papers again; `known` (text ->
    the embed stage's vector) answers those from the embeddings the papers already have, so
    only the candidate words are encoded (at the seeds that is 25 s of MiniLM saved per run).
    """
    import_bertopic()
    from bertopic.backend import BaseEmbedder

    known = known or {}

    class EncoderBackend(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            documents = list(documents)
            todo = [d for d in dict.fromkeys(documents) if d not in known]
            new = encoder.encode(todo, progress=False) if todo else []
            found = {**dict(zip(todo, new, strict=True)), **known}
            return np.asarray([found[d] for d in documents], dtype=np.float32)

    return EncoderBackend()


def _representation(cfg: Topics, seed: int, encoder) -> dict | None:
    if cfg.representation == "none":
        return None
    if encoder is None:
        log.info(
            "no encoder given: topic labels come from c-TF-IDF words, not %s", cfg.representation
        )
        return None
    import_bertopic()
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    # A dict keeps c-TF-IDF as the "Main" words (what the metrics score) and adds the
    # readable words as an aspect; it also avoids KeyBERTInspired's precomputed-embeddings
    # path, which in bertopic 0.17 indexes the wrong rows.
    if cfg.representation == "keybert":
        args = checked_kwargs(KeyBERTInspired, cfg.representation_args)
        return {"Label": KeyBERTInspired(random_state=seed, **args)}
    args = checked_kwargs(MaximalMarginalRelevance, cfg.representation_args)
    return {"Label": MaximalMarginalRelevance(**args)}


def build_bertopic(
    cfg: Topics, n: int, seed: int, vectorizer, encoder=None, known=None, umap_seed=None
):
    """BERTopic from `cfg`; its UMAP is seeded with `umap_seed` (`pipeline.topics.consensus`)
    when given, else with `seed`."""
    import_bertopic()
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    # BERTopic refits its vectoriser on one document per topic; a fixed vocabulary keeps
    # min_df meaning "papers" and keeps BERTopic's words identical to the baselines'.
    fixed = checked_kwargs(CountVectorizer, cfg.vectorizer)
    # Plain ints: the safetensors save writes this vocabulary to JSON.
    fixed["vocabulary"] = {w: int(i) for w, i in vectorizer.vocabulary_.items()}
    return BERTopic(
        embedding_model=encoder_backend(encoder, known) if encoder is not None else None,
        umap_model=build_umap(cfg.umap, n, seed if umap_seed is None else umap_seed),
        hdbscan_model=build_hdbscan(cfg, n),
        vectorizer_model=CountVectorizer(**fixed),
        ctfidf_model=ClassTfidfTransformer(**checked_kwargs(ClassTfidfTransformer, cfg.ctfidf)),
        representation_model=_representation(cfg, seed, encoder),
        # language="english" strips punctuation before c-TF-IDF, so "vision-language" would
        # no longer match the shared vocabulary; None keeps the vectoriser's own tokens.
        language=None,
        **checked_kwargs(BERTopic, cfg.bertopic),
    )
