"""The per-theme scorer: a logistic regression over chosen evidence blocks, and its threshold.

`method` names the blocks (see `METHODS`). A threshold always comes from out-of-fold scores of
the papers the model is trained on, never from the papers it is scored on: the F1-best cut-off
(`f1_best`), or the mean of the F1-best cut-offs over bootstrap resamples of those scores
(`bagged`, steadier when a theme has few positives; bench/RESULTS.md, "Themes").
The two unlearned baselines (`similarity`, `keywords`) are one raw score with a fitted cut-off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from pipeline.themes.features import Bank

# Cosines live in a narrow band (about 0..0.7); scaling them puts them on the embeddings' footing
# inside one L2-regularised model.
SIM_SCALE = 5.0
METHODS = {
    "embedding": ("embedding",),
    "similarity_keywords": ("similarity", "keywords"),
    "combined": ("embedding", "similarity", "keywords"),
    "ngrams": ("ngrams",),
    "combined_ngrams": ("embedding", "similarity", "keywords", "ngrams"),
}
BASELINES = ("similarity", "keywords")
THRESHOLDS = ("f1_best", "bagged")
BAGS = 200  # bootstrap resamples behind a `bagged` threshold


def raw_score(method: str, bank: Bank, theme: str) -> np.ndarray:
    f = bank.features[theme]
    if method == "similarity":
        return f.similarity[:, 0]
    # Keyword count, with similarity only breaking ties between equal counts.
    return f.keyword_count[:, 0] + 0.01 * f.similarity[:, 0]


class ThemeClassifier:
    """scikit-learn style: `__init__` stores, `fit(bank, y)` learns, fitted attributes end in _."""

    def __init__(self, method: str, theme: str, c: float = 10.0, seed: int = 42):
        self.method, self.theme, self.c, self.seed = method, theme, c, seed

    def _matrix(self, bank: Bank, fit: bool = False):
        from scipy import sparse

        f = bank.features[self.theme]
        blocks = []
        for block in METHODS[self.method]:
            if block == "embedding":
                blocks.append(bank.embeddings)
            elif block == "similarity":
                blocks.append(SIM_SCALE * f.similarity)
            elif block == "keywords":
                blocks.append(f.keyword_count)
            elif fit:
                self.vectorizer_ = _ngram_vectorizer()
                blocks.append(self.vectorizer_.fit_transform(bank.texts))
            else:
                blocks.append(self.vectorizer_.transform(bank.texts))
        if any(sparse.issparse(b) for b in blocks):
            return sparse.hstack(blocks, format="csr", dtype=np.float32)
        return np.hstack(blocks).astype(np.float32)

    def fit(self, bank: Bank, y: np.ndarray) -> ThemeClassifier:
        from sklearn.linear_model import LogisticRegression

        if self.method in BASELINES:
            return self
        # Balanced weights: most themes are a minority, and F1 on the minority is what we report.
        self.model_ = LogisticRegression(
            C=self.c, class_weight="balanced", max_iter=5000, random_state=self.seed
        ).fit(self._matrix(bank, fit=True), y)
        return self

    def score(self, bank: Bank) -> np.ndarray:
        if self.method in BASELINES:
            return raw_score(self.method, bank, self.theme)
        return self.model_.predict_proba(self._matrix(bank))[:, 1]


def _ngram_vectorizer():
    from pipeline.themes.ngrams import NgramTfidf

    return NgramTfidf(
        analyzer=ngrams, min_df=2, max_df=0.5, sublinear_tf=True, max_features=30_000,
        dtype=np.float32,
    )  # fmt: skip


@functools.lru_cache(maxsize=4096)
def ngrams(text: str) -> tuple[str, ...]:
    """A text's words and word pairs, English stop words left out (scikit-learn's analyzer).

    The last 4,096 texts' n-grams are kept: the vectorizer analyses a labelled text once
    (`pipeline.themes.ngrams` keeps its counts for every later fold), and a large corpus being
    scored only passes through.
    """
    return tuple(_analyzer()(text))


@functools.lru_cache(maxsize=1)
def _analyzer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), stop_words="english").build_analyzer()


def folds(y: np.ndarray, k: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    k = max(2, min(k, int(y.sum()), int((1 - y).sum())))
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)


def oof_scores(method, theme, bank: Bank, y, k, seed, c) -> np.ndarray:
    """Out-of-fold scores for every paper of `bank` (labelled `y`)."""
    out = np.zeros(len(y), dtype=np.float64)
    for tr, te in folds(y, k, seed):
        model = ThemeClassifier(method, theme, c, seed).fit(bank.take(tr), y[tr])
        out[te] = model.score(bank.take(te))
    return out


@dataclass
class Calibrated:
    """A scorer fitted on all its training papers, with the threshold from their OOF scores."""

    model: ThemeClassifier
    threshold: float
    oof: np.ndarray  # out-of-fold scores of the training papers, in their order


def calibrate(method, theme, bank: Bank, y, k, seed, c, threshold="f1_best") -> Calibrated:
    oof = oof_scores(method, theme, bank, y, k, seed, c)
    model = ThemeClassifier(method, theme, c, seed).fit(bank, y)
    return Calibrated(model, fit_threshold(oof, y, threshold, seed), oof)


def fit_threshold(scores: np.ndarray, y: np.ndarray, rule: str, seed: int) -> float:
    """The cut-off `rule` (see `THRESHOLDS`) fits on out-of-fold `scores` of labels `y`."""
    if rule == "f1_best":
        return best_threshold(scores, y)
    if rule != "bagged":
        raise ValueError(f"unknown threshold rule {rule!r}; expected one of {THRESHOLDS}")
    rng = np.random.default_rng(seed)
    cuts = []
    for _ in range(BAGS):
        i = rng.integers(0, len(y), size=len(y))
        if y[i].any():
            cuts.append(best_threshold(scores[i], y[i]))
    return float(np.mean(cuts)) if cuts else best_threshold(scores, y)


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The cut-off on `scores` with the best F1 on (y); midway between neighbouring scores.

    Ties go to the cut-off nearest 0.5 (then the lower one), so equal-F1 choices do not drift
    to an extreme.
    """
    order, inverse = np.unique(scores, return_inverse=True)
    cuts = np.concatenate([[order[0] - 1e-6], (order[:-1] + order[1:]) / 2])
    # Cut i keeps the scores >= order[i]: counts per distinct score, summed from the top.
    predicted = np.cumsum(np.bincount(inverse, minlength=len(order))[::-1])[::-1]
    tp = np.cumsum(np.bincount(inverse, weights=(y == 1), minlength=len(order))[::-1])[::-1]
    f1 = np.where(tp > 0, 2 * tp / (predicted + int((y == 1).sum())), 0.0)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(cuts[best[np.argmin(np.abs(cuts[best] - 0.5))]])


# --- zero-shot fallback: a theme without labels -------------------------------------------


def zero_shot_matrix(bank: Bank, theme: str) -> np.ndarray:
    """Theme-agnostic columns: the same meaning for every theme, so one model serves all."""
    f = bank.features[theme]
    return np.hstack([SIM_SCALE * f.similarity, f.keyword_count])


def fit_zero_shot(pooled: list[tuple[Bank, str, np.ndarray]], c: float, seed: int):
    """One logistic regression over (bank, theme, labels) of several labelled themes."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([zero_shot_matrix(b, t) for b, t, _ in pooled])
    y = np.concatenate([y for _, _, y in pooled])
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed).fit(
        x, y
    )
