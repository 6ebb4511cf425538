"""Theme definitions and the per-theme scorer the `themes` stage fits.

A theme is scored from three kinds of evidence, all explainable:
- the paper's embedding (a logistic regression learns which directions mean the theme),
- its cosine similarity to the theme's description and phrases (`configs/themes.yaml`),
- the theme's keyword patterns found in the title and abstract.

`ThemeScorer(method=...)` picks which of these feed the classifier. Themes with fewer than
`min_positives` labelled positives (e.g. a theme just added to themes.yaml) cannot be learned:
they get the zero-shot score, a theme-agnostic logistic regression on the similarity and
keyword features pooled over the labelled themes, with a fixed threshold (see `ZeroShotScorer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from pipeline.errors import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Cosines live in a narrow band (about 0..0.7); scaling them puts them on the embeddings' footing
# inside one L2-regularised model.
SIM_SCALE = 5.0
METHODS = {
    "embedding": ("embedding",),
    "similarity_keywords": ("similarity", "keywords"),
    "combined": ("embedding", "similarity", "keywords"),
}


def normalise_title(title: str) -> str:
    """Key for matching labels to papers: lowercase alphanumerics only."""
    return re.sub(r"[^a-z0-9]", "", str(title).lower())


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    description: str
    phrases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    threshold: float | None = None
    patterns: tuple[re.Pattern, ...] = field(default=(), compare=False, repr=False)

    @property
    def prompts(self) -> list[str]:
        return [self.description, *self.phrases]


def load_themes(path: str | Path) -> list[Theme]:
    """Read and check configs/themes.yaml; every problem is reported with the theme's name."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: themes file not found") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    entries = raw.get("themes") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a non-empty list under `themes:`")
    themes, errors = [], []
    allowed = {"name", "label", "description", "phrases", "keywords", "threshold"}
    for i, e in enumerate(entries):
        where = f"themes[{i}]"
        if not isinstance(e, dict):
            errors.append(f"{where}: expected a mapping")
            continue
        name = str(e.get("name", ""))
        where = f"theme '{name}'" if name else where
        if not NAME.match(name):
            errors.append(f"{where}: `name` must be snake_case (a-z, 0-9, _)")
        if not str(e.get("description", "")).strip():
            errors.append(f"{where}: `description` is required")
        if unknown := set(e) - allowed:
            errors.append(f"{where}: unknown keys {sorted(unknown)}")
        thr = e.get("threshold")
        if thr is not None and not (isinstance(thr, int | float) and 0 < thr < 1):
            errors.append(f"{where}: `threshold` must be a number between 0 and 1")
        patterns = []
        for kw in e.get("keywords") or []:
            try:
                patterns.append(re.compile(str(kw), re.IGNORECASE))
            except re.error as err:
                errors.append(f"{where}: keyword {kw!r} is not a valid regex: {err}")
        themes.append(
            Theme(
                name=name,
                label=str(e.get("label") or name.replace("_", " ").capitalize()),
                description=" ".join(str(e.get("description", "")).split()),
                phrases=tuple(str(p) for p in e.get("phrases") or []),
                keywords=tuple(str(k) for k in e.get("keywords") or []),
                threshold=None if thr is None else float(thr),
                patterns=tuple(patterns),
            )
        )
    names = [t.name for t in themes]
    if dupes := sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"duplicate theme names {dupes}")
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(errors))
    return themes


def keyword_hits(texts: list[str], theme: Theme) -> list[list[str]]:
    """Per text, the distinct keyword matches (lowercased), in pattern order."""
    out = []
    for text in texts:
        found = []
        for pattern in theme.patterns:
            m = pattern.search(text)
            if m and m.group(0).lower() not in found:
                found.append(m.group(0).lower())
        out.append(found)
    return out


@dataclass
class ThemeFeatures:
    """Every feature of every paper for one theme, computed once and sliced by row."""

    similarity: np.ndarray  # (n, 2): max cosine to a prompt, cosine to the prompts' centroid
    nearest_prompt: np.ndarray  # (n,) index into theme.prompts
    keywords: list[list[str]]

    @property
    def keyword_count(self) -> np.ndarray:
        return np.log1p(np.array([len(k) for k in self.keywords], dtype=np.float32))[:, None]


def theme_features(
    embeddings: np.ndarray, texts: list[str], theme: Theme, prompt_vectors: np.ndarray
) -> ThemeFeatures:
    """`prompt_vectors`: L2-normalised rows for the description and phrases."""
    sims = embeddings @ prompt_vectors.T
    centroid = prompt_vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    return ThemeFeatures(
        similarity=np.column_stack([sims.max(axis=1), embeddings @ centroid]).astype(np.float32),
        nearest_prompt=sims.argmax(axis=1),
        keywords=keyword_hits(texts, theme),
    )


def design_matrix(
    method: str, embeddings: np.ndarray, feats: ThemeFeatures, rows: np.ndarray | None = None
) -> np.ndarray:
    """The columns the chosen method feeds its classifier, for `rows` (all when None)."""
    rows = np.arange(len(embeddings)) if rows is None else rows
    blocks = []
    for block in METHODS[method]:
        if block == "embedding":
            blocks.append(embeddings[rows])
        elif block == "similarity":
            blocks.append(SIM_SCALE * feats.similarity[rows])
        else:
            blocks.append(feats.keyword_count[rows])
    return np.hstack(blocks).astype(np.float32)


def fit_classifier(x: np.ndarray, y: np.ndarray, c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    # Balanced weights: most themes are a minority, and F1 on the minority is what we report.
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
    return model.fit(x, y)


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The cut-off on `scores` with the best F1 on (y); midway between neighbouring scores.

    Ties go to the cut-off nearest 0.5, so equal-F1 choices do not drift to an extreme.
    """
    order = np.unique(scores)
    cuts = np.concatenate([[order[0] - 1e-6], (order[:-1] + order[1:]) / 2])
    best, best_f1 = 0.5, -1.0
    for cut in cuts:
        pred = scores >= cut
        tp = int(np.sum(pred & (y == 1)))
        f1 = 2 * tp / (pred.sum() + (y == 1).sum()) if tp else 0.0
        nearer = abs(cut - 0.5) < abs(best - 0.5)
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and nearer):
            best, best_f1 = float(cut), f1
    return best
