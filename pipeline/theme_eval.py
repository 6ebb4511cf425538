"""Honest accuracy for the theme scorer: nested cross-validation on the labelled papers.

Outer folds hold papers out; inside each training fold, out-of-fold scores from an inner
cross-validation choose the threshold, then the classifier is refitted on the whole training
fold and applied to the held-out fold. No held-out paper ever influences its own threshold or
classifier. The zero-shot fallback is measured leave-one-theme-out: it is fitted on the other
themes' labels and applied to the held-out theme with the fixed default threshold.
"""

from __future__ import annotations

import numpy as np

from pipeline.theme_model import (
    SIM_SCALE,
    ThemeFeatures,
    best_threshold,
    design_matrix,
    fit_classifier,
)

# Unlearned baselines: one raw score per paper, only the threshold is fitted.
BASELINES = ("similarity", "keywords")


def _folds(y: np.ndarray, k: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    k = max(2, min(k, int(y.sum()), int((1 - y).sum())))
    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)


def raw_score(method: str, feats: ThemeFeatures) -> np.ndarray:
    if method == "similarity":
        return feats.similarity[:, 0]
    # Keyword count, with similarity only breaking ties between equal counts.
    return feats.keyword_count[:, 0] + 0.01 * feats.similarity[:, 0]


def oof_scores(method, emb, feats, y, rows, k, seed, c) -> np.ndarray:
    """Out-of-fold classifier probabilities for `rows` (indices into emb) labelled `y`."""
    out = np.zeros(len(rows), dtype=np.float64)
    for tr, te in _folds(y, k, seed):
        model = fit_classifier(design_matrix(method, emb, feats, rows[tr]), y[tr], c, seed)
        out[te] = model.predict_proba(design_matrix(method, emb, feats, rows[te]))[:, 1]
    return out


def nested_cv_predictions(method, emb, feats, y, rows, k, seed, c) -> np.ndarray:
    """Held-out 0/1 predictions for every labelled row."""
    pred = np.zeros(len(rows), dtype=int)
    for tr, te in _folds(y, k, seed):
        if method in BASELINES:
            s = raw_score(method, feats)
            pred[te] = s[rows[te]] >= best_threshold(s[rows[tr]], y[tr])
            continue
        thr = best_threshold(oof_scores(method, emb, feats, y[tr], rows[tr], k, seed, c), y[tr])
        model = fit_classifier(design_matrix(method, emb, feats, rows[tr]), y[tr], c, seed)
        pred[te] = model.predict_proba(design_matrix(method, emb, feats, rows[te]))[:, 1] >= thr
    return pred


def prf(y: np.ndarray, pred: np.ndarray) -> dict[str, float | int]:
    tp = int(np.sum((pred == 1) & (y == 1)))
    p = tp / max(1, int(pred.sum()))
    r = tp / max(1, int(y.sum()))
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "support": int(y.sum()),
        "n": int(len(y)),
    }


def table(per_theme: dict[str, dict]) -> dict:
    f1s = [m["f1"] for m in per_theme.values()]
    return {"per_theme": per_theme, "macro_f1": round(float(np.mean(f1s)), 4) if f1s else None}


# --- zero-shot fallback -------------------------------------------------------------------


def zero_shot_matrix(feats: ThemeFeatures, rows: np.ndarray | None = None) -> np.ndarray:
    """Theme-agnostic columns: the same meaning for every theme, so one model serves all."""
    rows = np.arange(len(feats.keywords)) if rows is None else rows
    return np.hstack([SIM_SCALE * feats.similarity[rows], feats.keyword_count[rows]])


def fit_zero_shot(pooled: list[tuple[ThemeFeatures, np.ndarray, np.ndarray]], c: float, seed: int):
    """One logistic regression over (features, rows, labels) of several labelled themes."""
    x = np.vstack([zero_shot_matrix(f, rows) for f, rows, _ in pooled])
    y = np.concatenate([y for _, _, y in pooled])
    return fit_classifier(x, y, c, seed)


def leave_one_theme_out(
    labelled: dict[str, tuple[ThemeFeatures, np.ndarray, np.ndarray]],
    threshold: float,
    c: float,
    seed: int,
) -> dict:
    """How the zero-shot fallback would do on each labelled theme had it no labels."""
    per_theme = {}
    for name, (feats, rows, y) in labelled.items():
        others = [v for k, v in labelled.items() if k != name]
        if not others:
            continue
        model = fit_zero_shot(others, c, seed)
        scores = model.predict_proba(zero_shot_matrix(feats, rows))[:, 1]
        per_theme[name] = prf(y, (scores >= threshold).astype(int))
    return table(per_theme)
