"""Pydantic models for `configs/params.yaml`.

Every section forbids unknown keys, so a typo is reported (field by field) instead of being
silently ignored. Sections that configure a library (`topics.umap`, `topics.hdbscan`, ...)
mirror that constructor's keyword arguments one-to-one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError

DEFAULT_PARAMS = Path("configs/params.yaml")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paths(Section):
    seeds: Path = Path("seeds")
    outputs: Path = Path("outputs")
    snapshots: Path = Path("configs/snapshots.yaml")
    themes: Path = Path("configs/themes.yaml")
    labels: Path = Path("configs/labels/theme_labels.csv")
    # Lives outside outputs/ on purpose: DVC deletes a stage's outs before re-running it.
    cache: Path = Path(".cache/papertrends")

    def stage_dir(self, stage: str) -> Path:
        return self.outputs / stage


class Ingest(Section):
    patterns: list[str] = ["*.txt", "*.csv", "*.csv.gz", "*.jsonl", "*.jsonl.gz"]
    lenient: bool = False
    chunk_rows: int = Field(50_000, gt=0)


class Clean(Section):
    near_duplicate_threshold: float = Field(0.6, gt=0, le=1)


class Embed(Section):
    encoder: Literal["minilm", "wordllama", "tfidf"] = "minilm"
    batch_size: int = Field(32, gt=0)
    window_tokens: int = Field(256, gt=8)
    window_stride: int = Field(128, gt=0)
    max_windows: int = Field(4, gt=0)
    tfidf_dim: int = Field(128, gt=1)


class Topics(Section):
    umap: dict[str, Any] = {}
    hdbscan: dict[str, Any] = {}
    vectorizer: dict[str, Any] = {}
    bertopic: dict[str, Any] = {}
    representation: Literal["keybert", "mmr", "none"] = "keybert"
    outliers: dict[str, Any] = {}
    baselines: list[Literal["nmf", "lda"]] = ["nmf", "lda"]
    coherence_top_n: int = Field(10, gt=1)
    diversity_top_n: int = Field(25, gt=1)
    stability_seeds: list[int] = [1, 2]
    sample_size: int = Field(50_000, gt=0)
    freq: Literal["M", "Q", "Y"] = "M"


class Themes(Section):
    uncertain_margin: float = Field(0.1, ge=0)
    cv_folds: int = Field(5, gt=1)


class Trends(Section):
    freq: Literal["M", "Q", "Y"] = "M"
    recent_periods: int = Field(12, gt=2)
    min_period_papers: int = Field(5, ge=1)
    top_topics: int = Field(8, gt=0)
    alpha: float = Field(0.05, gt=0, lt=1)


class Dashboard(Section):
    top_topics: int = Field(10, gt=0)


class Compare(Section):
    bootstrap: int = Field(1000, ge=0)
    alpha: float = Field(0.05, gt=0, lt=1)
    match_threshold: float = Field(0.5, ge=0, le=1)


class Engine(Section):
    kind: Literal["local", "dask"] = "local"
    address: str | None = None
    n_workers: int = Field(2, gt=0)
    threads_per_worker: int = Field(1, gt=0)


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


def load_config(path: str | Path = DEFAULT_PARAMS, **overrides: Any) -> Config:
    """Read and validate params; every invalid field is listed, not only the first."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: params file not found") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw.update(overrides)
    try:
        return Config.model_validate(raw)
    except ValidationError as e:
        lines = [f"{path}: {e.error_count()} invalid field(s)"]
        for err in e.errors():
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {loc}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from e
