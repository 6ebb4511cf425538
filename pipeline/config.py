"""Pydantic models for `configs/params.yaml`.

Every section forbids unknown keys, so a typo is reported (field by field) instead of being
silently ignored. Sections that configure a library (`topics.umap`, `topics.hdbscan`, ...)
mirror that constructor's keyword arguments one-to-one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError
from pipeline.library_params import (
    BertopicParams,
    CtfidfParams,
    HdbscanParams,
    LdaParams,
    NmfParams,
    RepresentationParams,
    TopicUmapParams,
    UmapParams,
    VectorizerParams,
)
from pipeline.yaml_file import read_yaml

DEFAULT_PARAMS = Path("configs/params.yaml")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paths(Section):
    seeds: Path = Path("seeds")
    outputs: Path = Path("outputs")
    snapshots: Path = Path("configs/snapshots.yaml")
    themes: Path = Path("configs/themes.yaml")
    labels: Path = Path("configs/labels")  # the folder of labelled sets (themes.label_sets)
    # Lives outside outputs/ on purpose: DVC deletes a stage's outs before re-running it.
    cache: Path = Path(".cache/papertrends")

    def stage_dir(self, stage: str) -> Path:
        return self.outputs / stage


class Ingest(Section):
    patterns: list[str] = ["*.txt", "*.csv", "*.csv.gz", "*.jsonl", "*.jsonl.gz"]
    lenient: bool = False
    chunk_rows: int = Field(50_000, gt=0)


class Clean(Section):
    near_duplicate_threshold: float = Field(0.5, gt=0, le=1)


class Embed(Section):
    encoder: Literal["minilm", "wordllama", "tfidf"] = "minilm"
    batch_size: int = Field(32, gt=0)
    window_tokens: int = Field(256, gt=8, le=256)  # MiniLM was trained on 256 tokens
    window_stride: int = Field(128, gt=0)
    max_windows: int = Field(4, gt=0)
    quantize: bool = False  # minilm: int8 dynamic quantisation of the Linear layers
    tfidf_dim: int = Field(128, gt=1)


class AutoMinClusterSize(Section):
    """`hdbscan.min_cluster_size: auto` means max(floor, round(scale * n_papers ** power))."""

    floor: int = Field(5, ge=2)
    scale: float = Field(0.25, gt=0)
    power: float = Field(0.5, gt=0, le=1)


class Outliers(Section):
    """What happens to HDBSCAN's noise points after the fit (BERTopic.reduce_outliers)."""

    strategy: Literal["embeddings", "c-tf-idf", "none"] = "embeddings"
    threshold: float = Field(0.3, ge=-1, le=1)


class History(Section):
    """Which papers the topic model is fitted on as dumps arrive (pipeline/topics/history.py)."""

    # The first dumps (in date order) up to this many papers form the first reference.
    min_reference: int = Field(100, ge=10)
    # Refit when the papers outside the reference reach this multiple of the reference
    # (null: never for growth alone)...
    refit_growth: float | None = Field(1.0, gt=0)
    # ...or when more than this share of a new dump's papers fit no topic (HDBSCAN noise)...
    refit_outlier_share: float = Field(0.5, gt=0, le=1)
    # ...or when one of these dumps (ids as in dumps.json) arrives: a refit the user asks for.
    refit_at: list[str] = []
    # Guide a refit's UMAP with the topics its papers had before it (semi-supervised UMAP).
    # On the seeds that keeps 99% of the topic ids at the refit, but also the old model's
    # coarser resolution (4 topics instead of 11): off by default (bench/RESULTS.md).
    guided_refit: bool = False


class Topics(Section):
    # Library sections mirror their constructor keyword for keyword (pipeline/library_params);
    # random_state always comes from the top-level seed.
    umap: TopicUmapParams = TopicUmapParams()
    hdbscan: HdbscanParams = HdbscanParams()
    auto_min_cluster_size: AutoMinClusterSize = AutoMinClusterSize()
    vectorizer: VectorizerParams = VectorizerParams()
    ctfidf: CtfidfParams = CtfidfParams()
    bertopic: BertopicParams = BertopicParams()
    representation: Literal["keybert", "mmr", "none"] = "keybert"
    representation_args: RepresentationParams = RepresentationParams()
    label_words: int = Field(3, gt=0)
    representative_papers: int = Field(3, gt=0)
    outliers: Outliers = Outliers()
    history: History = History()
    coords: UmapParams = UmapParams()
    baselines: list[Literal["nmf", "lda"]] = ["nmf", "lda"]
    nmf: NmfParams = NmfParams()
    lda: LdaParams = LdaParams()
    coherence_top_n: int = Field(10, gt=1)
    # None: a paper's whole text is one window (the vectoriser's n-grams have no positions).
    coherence_window: int | None = Field(None, gt=1)
    diversity_top_n: int = Field(25, gt=1)
    # UMAP/HDBSCAN fits per reference fit; the most typical one is kept (topics/consensus.py)
    candidates: int = Field(5, ge=1)
    stability_seeds: list[int] = [1, 2, 3]
    sample_size: int = Field(50_000, gt=1)
    # Above this, NPMI, diversity, stability refits and the NMF/LDA baselines use a seeded
    # sample of this many papers (their cost grows faster than the corpus).
    metrics_sample: int = Field(5_000, gt=1)
    freq: Literal["M", "Q", "Y"] = "M"

    @model_validator(mode="after")
    def _representation_args_fit(self) -> Topics:
        self.representation_args.check_for(self.representation)
        return self


ThemeMethod = Literal["combined", "embedding", "similarity_keywords", "ngrams", "combined_ngrams"]


class Themes(Section):
    # Labelled sets, one per source: set name -> CSV file in `paths.labels` (title, abstract,
    # one 0/1 column per theme). Cross-source accuracy trains on one set and scores another.
    label_sets: dict[str, str] = {"seeds": "theme_labels.csv", "arxiv": "arxiv_labels.csv"}
    # combined = logistic regression on embedding + similarity to the theme's phrases + keywords;
    # the *_ngrams methods add TF-IDF word n-grams learned from the labelled texts.
    method: ThemeMethod = "combined_ngrams"
    compare: list[ThemeMethod | Literal["similarity", "keywords"]] = ["similarity", "keywords"]
    c: float = Field(3.0, gt=0)  # LogisticRegression's inverse regularisation strength
    # The cut-off from out-of-fold scores: F1-best, or the mean F1-best over bootstrap resamples.
    threshold: Literal["f1_best", "bagged"] = "bagged"
    cv_folds: int = Field(5, gt=1)
    min_positives: int = Field(8, ge=2)  # fewer labelled positives -> zero-shot fallback
    default_threshold: float = Field(0.5, gt=0, lt=1)  # zero-shot themes without `threshold`
    uncertain_margin: float = Field(0.1, ge=0)


class Trends(Section):
    freq: Literal["M", "Q", "Y"] = "M"
    # The trend tests need at least 4 usable periods (pipeline.stats.periods.MIN_TEST_POINTS).
    recent_periods: int = Field(12, ge=4)
    min_period_papers: int = Field(5, ge=1)
    top_topics: int = Field(8, gt=0)
    alpha: float = Field(0.05, gt=0, lt=1)
    # Many topics are tested at once: Benjamini-Hochberg keeps false "rising" calls in check.
    adjust: Literal["fdr_bh", "none"] = "fdr_bh"
    plot_periods: int = Field(36, ge=0)


class Dashboard(Section):
    top_topics: int = Field(10, gt=0)
    hover_papers: int = Field(8, gt=0)
    table_page_rows: int = Field(200, gt=0)
    view_periods: int = Field(36, ge=0)
    # The topic map draws at most this many papers (a seeded sample above it): every paper
    # is drawn twice (topic and theme view) with its title, so 100k papers would add ~80 MB.
    map_points: int = Field(20_000, gt=0)
    # A picture of the whole page: another second or two of Chromium every run, for a page
    # the user opens anyway, so only on request.
    screenshot: bool = False
    plots: bool = True  # the PNG charts of `dvc plots show` (headless Chromium)


class Compare(Section):
    # False discovery rate (Benjamini-Hochberg over all keys of one pair) for a share shift.
    alpha: float = Field(0.05, gt=0, lt=1)
    # Cosine similarity at or above which two snapshot-local topics are linked; "auto": the
    # highest similarity between two topics of one snapshot, at least `min_similarity`.
    match_threshold: float | Literal["auto"] = "auto"
    min_similarity: float = Field(0.5, ge=-1, le=1)
    # A snapshot with fewer papers gets no topic model of its own (and no drift).
    min_drift_papers: int = Field(200, ge=5)


class Engine(Section):
    kind: Literal["local", "dask"] = "local"
    address: str | None = None
    n_workers: int = Field(2, gt=0)
    threads_per_worker: int = Field(1, gt=0)
    # Texts per embedding task; embeddings per task when assigning papers outside the topic
    # sample (which also fixes UMAP's transform, so it is a `topics` param in dvc.yaml).
    chunk_size: int = Field(2_000, gt=0)


class Config(Section):
    seed: int = 42
    paths: Paths = Paths()
    ingest: Ingest = Ingest()
    clean: Clean = Clean()
    embed: Embed = Embed()
    topics: Topics = Topics()
    themes: Themes = Themes()
    trends: Trends = Trends()
    dashboard: Dashboard = Dashboard()
    compare: Compare = Compare()
    engine: Engine = Engine()

    def stage_dir(self, stage: str) -> Path:
        return self.paths.stage_dir(stage)


def merge_sections(model: type[BaseModel], base: dict, override: dict) -> dict:
    """`override` on top of `base`, descending into params sections (not into mapping-valued
    params such as `themes.label_sets`, which an override replaces whole)."""
    merged = dict(base)
    for key, value in override.items():
        field = model.model_fields.get(key)
        sub = field.annotation if field is not None else None
        nested = isinstance(sub, type) and issubclass(sub, BaseModel)
        if nested and isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = merge_sections(sub, merged[key], value)
        merged[key] = value
    return merged


def load_config(path: str | Path = DEFAULT_PARAMS, **overrides: Any) -> Config:
    """Read and validate params; every invalid field is listed, not only the first.

    `overrides` merge into the file section by section: `topics={"umap": {"n_neighbors": 30}}`
    changes that one key and keeps the file's other `topics.umap` keys.
    """
    path = Path(path)
    raw = read_yaml(path, "params file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw = merge_sections(Config, raw, overrides)
    try:
        return Config.model_validate(raw)
    except ValidationError as e:
        problems: dict[str, list[str]] = {}
        for err in e.errors():
            problems.setdefault(_field_path(err["loc"]), []).append(err["msg"])
        lines = [f"{path}: {len(problems)} invalid field(s)"]
        lines += [f"  {field}: {'; or '.join(msgs)}" for field, msgs in problems.items()]
        raise ConfigError("\n".join(lines)) from e


def _field_path(loc: tuple) -> str:
    """The params key an error is about: pydantic's location without the tags it adds for
    each member of a union (`min_cluster_size.constrained-int`, `...literal['auto']`)."""
    model: Any = Config
    names = []
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if fields is not None:  # a section: a known key leads on, an unknown one ends here
            names.append(str(part))
            model = fields[part].annotation if part in fields else None
        elif isinstance(part, int) or get_origin(model) is dict:  # list item or mapping key
            names.append(str(part))
            model = None
    return ".".join(names)
