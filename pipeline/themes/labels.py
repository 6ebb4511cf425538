"""The labelled sets under configs/labels/: each row carries its own title and abstract.

The scorer learns from these texts, not from whichever corpus rows happen to match a label, so
any corpus gets calibrated themes. Each set is one source (e.g. the seed dumps, an arXiv
sample); cross-source accuracy trains on one set and scores another. A paper's key is its
`paper_id` (the title key `clean` dedupes by), so a labelled paper is recognised in any corpus.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError
from pipeline.textclean import model_text, paper_id
from pipeline.themes.definitions import Theme

REQUIRED = ("title", "abstract")


def read_label_set(name: str, path: Path, themes: list[Theme]) -> pd.DataFrame:
    """One labels file, checked: title and abstract present, theme columns 0/1, no duplicates."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: labels file not found (themes.label_sets.{name})")
    df = pd.read_csv(path, dtype={"title": str, "abstract": str}, keep_default_na=False)
    problems = [f"missing column `{c}`" for c in REQUIRED if c not in df.columns]
    if not problems:
        blank = df.index[(df["title"].str.strip() == "") | (df["abstract"].str.strip() == "")]
        problems += [f"row {i + 2}: empty title or abstract" for i in blank[:5]]
    for t in themes:
        if t.name in df.columns:
            bad = ~df[t.name].astype(str).isin(["0", "1", ""])
            rows = df.index[bad][:5]
            problems += [f"row {i + 2}: `{t.name}` must be 0, 1 or empty" for i in rows]
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    df["key"] = df["title"].map(paper_id)
    if dupes := sorted(df.loc[df["key"].duplicated(), "title"])[:3]:
        raise ConfigError(f"{path}: the same paper is labelled twice: {dupes}")
    for t in themes:
        if t.name in df.columns:
            df[t.name] = pd.to_numeric(df[t.name].replace("", None)).astype("Int8")
    df["text"] = [model_text(t, a) for t, a in zip(df["title"], df["abstract"], strict=True)]
    df.insert(0, "set", name)
    return df


def read_label_sets(paths: dict[str, Path], themes: list[Theme]) -> pd.DataFrame:
    """All sets, in config order. A paper labelled in two sets keeps its first set's row; the
    overlap is reported by `overlaps` so cross-source tests can exclude it."""
    if not paths:
        raise ConfigError("paths.labels: name at least one labels file")
    frames = [read_label_set(n, p, themes) for n, p in paths.items()]
    cols = ["set", "key", "title", "abstract", "text"] + [
        t.name for t in themes if any(t.name in f.columns for f in frames)
    ]
    return pd.concat([f.reindex(columns=cols) for f in frames], ignore_index=True)


def overlaps(labels: pd.DataFrame) -> pd.DataFrame:
    """Rows whose paper is labelled in an earlier set too (same key)."""
    return labels[labels["key"].duplicated(keep="first")]


def theme_names(labels: pd.DataFrame, themes: list[Theme], min_each: int) -> list[str]:
    """Themes with at least `min_each` positives and negatives over all sets: learnable."""
    out = []
    for t in themes:
        if t.name in labels.columns:
            y = labels[t.name].dropna()
            if min(int(y.sum()), int(len(y) - y.sum())) >= min_each:
                out.append(t.name)
    return out
