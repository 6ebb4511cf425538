"""Params sections that configure a library: one field per constructor keyword, same name.

Each class mirrors the constructor named in its docstring. A field holds the project's default
(the value `configs/params.yaml` states); `null` means "not passed: the library's own default".
A misspelt key fails when the config is loaded, with the field named, and so does a keyword
the code sets itself (`random_state` comes from `seed`, BERTopic's sub-models from their own
sections), with the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SEED = "set the top-level `seed` instead"


class LibraryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Keywords the code passes itself -> why a params file may not set them.
    reserved: ClassVar[dict[str, str]] = {"random_state": SEED}

    @model_validator(mode="before")
    @classmethod
    def _refuse_reserved(cls, data: Any) -> Any:
        if isinstance(data, dict):
            taken = [f"{k} ({cls.reserved[k]})" for k in data if k in cls.reserved]
            if taken:
                raise ValueError(f"set by the code, not by params: {', '.join(taken)}")
        return data

    def kwargs(self) -> dict[str, Any]:
        """The constructor's keyword arguments: every field but those left null."""
        return self.model_dump(exclude_none=True)


class UmapParams(LibraryParams):
    """`umap.UMAP` for the 2-D topic map (`topics.coords`)."""

    reserved = {**LibraryParams.reserved, "n_components": "the topic map is 2-D"}

    n_neighbors: int = Field(15, ge=2)  # lowered to n_papers - 1 for tiny corpora
    min_dist: float = Field(0.1, ge=0)
    metric: str = "cosine"
    low_memory: bool = True
    # Exact neighbour search below 4,096 papers is several times slower (params.yaml).
    force_approximation_algorithm: bool = True
    spread: float | None = Field(None, gt=0)
    n_epochs: int | None = Field(None, gt=0)
    learning_rate: float | None = Field(None, gt=0)
    init: Literal["spectral", "pca", "random", "tswspectral"] | None = None
    local_connectivity: float | None = Field(None, gt=0)
    repulsion_strength: float | None = Field(None, gt=0)
    negative_sample_rate: int | None = Field(None, gt=0)
    set_op_mix_ratio: float | None = Field(None, ge=0, le=1)
    densmap: bool | None = None


class TopicUmapParams(UmapParams):
    """`umap.UMAP` that reduces the embeddings before HDBSCAN (`topics.umap`)."""

    reserved = LibraryParams.reserved

    n_components: int = Field(5, ge=1)
    min_dist: float = Field(0.0, ge=0)


class HdbscanParams(LibraryParams):
    """`hdbscan.HDBSCAN` (`topics.hdbscan`)."""

    # "auto": see `topics.auto_min_cluster_size`.
    min_cluster_size: Annotated[int, Field(ge=2)] | Literal["auto"] = "auto"
    min_samples: int | None = Field(5, ge=1)
    metric: str = "euclidean"
    cluster_selection_method: Literal["eom", "leaf"] = "eom"
    # Needed to assign the papers outside the fitted sample (approximate_predict).
    prediction_data: bool = True
    cluster_selection_epsilon: float | None = Field(None, ge=0)
    max_cluster_size: int | None = Field(None, ge=0)
    alpha: float | None = Field(None, gt=0)
    allow_single_cluster: bool | None = None


class VectorizerParams(LibraryParams):
    """`sklearn.feature_extraction.text.CountVectorizer`: one vocabulary for every model."""

    reserved = {"vocabulary": "fitted on the papers, then shared by every model"}

    stop_words: str | list[str] | None = "english"
    ngram_range: tuple[int, int] = (1, 2)
    min_df: Annotated[int, Field(ge=1)] | Annotated[float, Field(ge=0, le=1)] = 2
    max_features: int | None = Field(30_000, gt=0)
    max_df: Annotated[int, Field(ge=1)] | Annotated[float, Field(ge=0, le=1)] | None = None
    lowercase: bool | None = None
    strip_accents: Literal["ascii", "unicode"] | None = None
    token_pattern: str | None = None
    binary: bool | None = None


class CtfidfParams(LibraryParams):
    """`bertopic.vectorizers.ClassTfidfTransformer` (`topics.ctfidf`)."""

    reduce_frequent_words: bool = True
    bm25_weighting: bool | None = None
    seed_words: list[str] | None = None
    seed_multiplier: float | None = Field(None, gt=0)


_SUB_MODEL = "built from its own params section"


class BertopicParams(LibraryParams):
    """`bertopic.BERTopic`, less the sub-models built from the sections above."""

    reserved = {
        **{k: _SUB_MODEL for k in ("umap_model", "hdbscan_model", "vectorizer_model")},
        **{k: _SUB_MODEL for k in ("ctfidf_model", "representation_model", "embedding_model")},
        "language": "None, so that c-TF-IDF keeps the shared vocabulary's tokens",
    }

    top_n_words: int = Field(10, gt=0)
    nr_topics: Annotated[int, Field(gt=1)] | Literal["auto"] | None = None
    calculate_probabilities: bool | None = None
    seed_topic_list: list[list[str]] | None = None


class RepresentationParams(LibraryParams):
    """`KeyBERTInspired` or `MaximalMarginalRelevance`, whichever `topics.representation`
    names (`topics.representation_args`); a keyword of the other one fails at load."""

    top_n_words: int | None = Field(None, gt=0)
    nr_repr_docs: int | None = Field(None, gt=0)  # keybert
    nr_samples: int | None = Field(None, gt=0)  # keybert
    nr_candidate_words: int | None = Field(None, gt=0)  # keybert
    diversity: float | None = Field(None, ge=0, le=1)  # mmr

    ONLY: ClassVar[dict[str, set[str]]] = {
        "keybert": {"nr_repr_docs", "nr_samples", "nr_candidate_words"},
        "mmr": {"diversity"},
    }

    def check_for(self, representation: str) -> None:
        """Refuse keywords that only the other representation takes."""
        wrong = sorted(
            key
            for name, keys in self.ONLY.items()
            if name != representation
            for key in keys & self.kwargs().keys()
        )
        if wrong and representation != "none":
            raise ValueError(f"representation_args {wrong}: not taken by {representation}")


_BASELINE = {**LibraryParams.reserved, "n_components": "follows BERTopic's topic count"}


class NmfParams(LibraryParams):
    """`sklearn.decomposition.NMF` baseline (`topics.nmf`)."""

    reserved = _BASELINE

    init: Literal["random", "nndsvd", "nndsvda", "nndsvdar"] | None = "nndsvda"
    # Multiplicative updates: 5,000 arXiv papers x 140 topics in 27 s instead of 191 s.
    solver: Literal["cd", "mu"] = "mu"
    max_iter: int = Field(200, gt=0)
    beta_loss: Literal["frobenius", "kullback-leibler", "itakura-saito"] | None = None
    tol: float | None = Field(None, gt=0)
    alpha_W: float | None = Field(None, ge=0)
    alpha_H: float | Literal["same"] | None = None
    l1_ratio: float | None = Field(None, ge=0, le=1)


class LdaParams(LibraryParams):
    """`sklearn.decomposition.LatentDirichletAllocation` baseline (`topics.lda`)."""

    reserved = _BASELINE

    learning_method: Literal["batch", "online"] = "online"
    max_iter: int = Field(10, gt=0)
    doc_topic_prior: float | None = Field(None, gt=0)
    topic_word_prior: float | None = Field(None, gt=0)
    learning_decay: float | None = Field(None, gt=0.5, le=1)
    learning_offset: float | None = Field(None, gt=1)
    batch_size: int | None = Field(None, gt=0)
