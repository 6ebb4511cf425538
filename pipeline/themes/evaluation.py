"""Honest accuracy for the theme scorer, measured on papers it never learned from.

- cross-source: train (and calibrate the threshold) on one labelled set, score another; papers
  labelled in both are left out of the scored set;
- nested CV on the union of the sets: per outer fold, the threshold comes from inner
  out-of-fold scores of the training fold, and the held-out fold is scored once.
Every figure carries a bootstrap 95% interval over the scored papers. The zero-shot fallback
(a theme without labels) is measured leave-one-theme-out.
"""

from __future__ import annotations

import itertools

import numpy as np

from pipeline.themes.classifier import (
    ThemeClassifier,
    calibrate,
    fit_threshold,
    fit_zero_shot,
    folds,
    oof_scores,
    zero_shot_matrix,
)
from pipeline.themes.features import Bank

BOOTSTRAP = 1000


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


def bootstrap_ci(y: np.ndarray, pred: np.ndarray, seed: int, n: int = BOOTSTRAP) -> dict:
    """Percentile 95% intervals of precision, recall and F1 over resampled papers."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(n, len(y)))
    yy, pp = y[idx] == 1, pred[idx] == 1
    tp = (yy & pp).sum(axis=1)
    p = tp / np.maximum(1, pp.sum(axis=1))
    r = tp / np.maximum(1, yy.sum(axis=1))
    f1 = np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)
    q = lambda a: [round(float(v), 4) for v in np.percentile(a, [2.5, 97.5])]  # noqa: E731
    return {"precision_ci": q(p), "recall_ci": q(r), "f1_ci": q(f1)}


def scored(y, pred, seed) -> dict:
    return {**prf(y, pred), **bootstrap_ci(y, pred, seed)}


def table(per_theme: dict[str, dict]) -> dict:
    f1s = [m["f1"] for m in per_theme.values()]
    return {"macro_f1": round(float(np.mean(f1s)), 4) if f1s else None, "per_theme": per_theme}


def cross_source_predictions(
    method, theme, train: Bank, y_train, test: Bank, k, seed, c, threshold="f1_best"
):
    cal = calibrate(method, theme, train, y_train, k, seed, c, threshold)
    return (cal.model.score(test) >= cal.threshold).astype(int)


def nested_cv_predictions(method, theme, bank: Bank, y, k, seed, c, threshold="f1_best"):
    """Held-out 0/1 predictions for every paper of `bank`."""
    pred = np.zeros(len(y), dtype=int)
    for tr, te in folds(y, k, seed):
        inner = bank.take(tr)
        oof = oof_scores(method, theme, inner, y[tr], k, seed, c)
        thr = fit_threshold(oof, y[tr], threshold, seed)
        model = ThemeClassifier(method, theme, c, seed).fit(inner, y[tr])
        pred[te] = model.score(bank.take(te)) >= thr
    return pred


def leave_one_theme_out(pooled: dict[str, tuple[Bank, np.ndarray]], threshold, c, seed) -> dict:
    """How the zero-shot fallback would do on each labelled theme had it no labels."""
    per_theme = {}
    for name, (bank, y) in pooled.items():
        others = [(b, n, yy) for n, (b, yy) in pooled.items() if n != name]
        if not others:
            continue
        model = fit_zero_shot(others, c, seed)
        scores = model.predict_proba(zero_shot_matrix(bank, name))[:, 1]
        per_theme[name] = prf(y, (scores >= threshold).astype(int))
    return table(per_theme)


def labelled_rows(labels, name: str, union: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Rows (positions in `labels`) labelled for `name`, and their 0/1 labels. `union`: a
    paper labelled in several sets counts once, with its first set's label."""
    keep = labels[name].notna().to_numpy()
    if union:
        keep = keep & ~labels["key"].duplicated(keep="first").to_numpy()
    rows = np.flatnonzero(keep)
    return rows, labels[name].to_numpy()[rows].astype(int)


def cross_source(method, labels, bank: Bank, names, k, seed, c, threshold="f1_best") -> dict:
    """Every ordered pair of sets: train (and calibrate) on one, score the other once, leaving
    out the papers labelled in the training set too. `labels` has one row per labelled paper
    in `bank` order; `set` says its source."""
    out: dict[str, dict] = {}
    for split, name, tr, ytr, te, yte in source_splits(labels, names):
        per_theme = out.setdefault(split, {})
        if min(ytr.sum(), len(ytr) - ytr.sum()) < 2 or not len(te):
            continue
        pred = cross_source_predictions(
            method, name, bank.take(tr), ytr, bank.take(te), k, seed, c, threshold
        )
        per_theme[name] = scored(yte, pred, seed)
    return {split: table(per_theme) for split, per_theme in out.items()}


def source_splits(labels, names):
    """For every ordered pair of labelled sets `A->B` and every theme: (split name, theme,
    training rows of A and their labels, test rows of B and their labels). The test side leaves
    out the papers labelled in A too."""
    sets = list(dict.fromkeys(labels["set"]))
    for train, test in itertools.permutations(sets, 2):
        in_train = (labels["set"] == train).to_numpy()
        seen = set(labels.loc[in_train, "key"])
        in_test = ((labels["set"] == test) & ~labels["key"].isin(seen)).to_numpy()
        for name in names:
            rows, y = labelled_rows(labels, name)
            tr, te = rows[in_train[rows]], rows[in_test[rows]]
            yield f"{train}->{test}", name, tr, y[in_train[rows]], te, y[in_test[rows]]


def evaluate_method(method, labels, bank: Bank, names, k, seed, c, threshold="f1_best") -> dict:
    """One method's accuracy: `cross_source`, and nested CV on the union of the sets."""
    out = cross_source(method, labels, bank, names, k, seed, c, threshold)
    per_theme = {}
    for name in names:
        rows, y = labelled_rows(labels, name, union=True)
        pred = nested_cv_predictions(method, name, bank.take(rows), y, k, seed, c, threshold)
        per_theme[name] = scored(y, pred, seed)
    out["union_nested_cv"] = table(per_theme)
    return out
