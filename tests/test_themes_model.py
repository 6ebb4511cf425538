"""Theme definitions, keyword evidence, threshold calibration and nested CV."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import theme_eval as te
from pipeline.errors import ConfigError
from pipeline.theme_model import (
    ThemeFeatures,
    best_threshold,
    keyword_hits,
    load_themes,
    normalise_title,
)


def test_repo_themes_file_loads(repo):
    themes = load_themes(repo / "configs" / "themes.yaml")
    names = [t.name for t in themes]
    assert names == ["anomaly_detection", "medical_vlm", "domain_adaptation", "foundation_models"]
    assert all(t.description and t.phrases and t.patterns for t in themes)


def test_labels_file_has_a_column_per_theme(repo):
    import pandas as pd

    labels = pd.read_csv(repo / "configs" / "labels" / "theme_labels.csv")
    themes = load_themes(repo / "configs" / "themes.yaml")
    assert len(labels) >= 120
    assert labels["title"].map(normalise_title).is_unique
    for t in themes:
        assert set(labels[t.name].unique()) <= {0, 1}


@pytest.mark.parametrize(
    "body, problem",
    [
        ("themes: []", "non-empty list"),
        ("themes:\n  - name: Bad Name\n    description: x", "snake_case"),
        ("themes:\n  - name: a\n", "description"),
        ("themes:\n  - name: a\n    description: x\n    keywords: ['(unclosed']", "regex"),
        ("themes:\n  - name: a\n    description: x\n  - name: a\n    description: y", "duplicate"),
        ("themes:\n  - name: a\n    description: x\n    colour: red", "unknown keys"),
        ("themes:\n  - name: a\n    description: x\n    threshold: 2", "threshold"),
    ],
)
def test_bad_themes_file_is_reported(tmp_path, body, problem):
    path = tmp_path / "themes.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=problem):
        load_themes(path)


def test_normalise_title():
    assert normalise_title("  SAM-2: Segment  Anything!") == "sam2segmentanything"


def test_keyword_hits_are_distinct_and_case_insensitive(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  - name: a\n    description: x\n    keywords: ['anomal\\w*', 'OOD']")
    theme = load_themes(path)[0]
    hits = keyword_hits(["Anomaly detection of anomalous OOD samples", "nothing here"], theme)
    assert hits == [["anomaly", "ood"], []]


def test_best_threshold_separates_separable_scores():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    thr = best_threshold(scores, y)
    assert 0.3 < thr <= 0.7
    assert ((scores >= thr) == y.astype(bool)).all()


def _synthetic(n: int, signal: float, seed: int):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    emb = rng.normal(size=(n, 16)).astype(np.float32)
    emb[:, 0] += signal * (2 * y - 1)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    sim = np.column_stack([emb[:, 0], emb[:, 0]]).astype(np.float32)
    feats = ThemeFeatures(sim, np.zeros(n, dtype=int), [["kw"] if v else [] for v in y])
    return emb, feats, y


def test_nested_cv_finds_signal_and_not_noise():
    emb, feats, y = _synthetic(120, signal=3.0, seed=0)
    rows = np.arange(len(y))
    pred = te.nested_cv_predictions("embedding", emb, feats, y, rows, 5, 0, 1.0)
    assert te.prf(y, pred)["f1"] > 0.9
    # Shuffled labels: held-out F1 must collapse towards chance, or the CV leaks.
    y_noise = np.random.default_rng(1).permutation(y)
    pred = te.nested_cv_predictions("embedding", emb, feats, y_noise, rows, 5, 0, 1.0)
    assert te.prf(y_noise, pred)["f1"] < 0.6


def test_zero_shot_transfers_between_themes():
    themes = {f"t{i}": _synthetic(80, signal=3.0, seed=i) for i in range(3)}
    labelled = {k: (f, np.arange(len(y)), y) for k, (_, f, y) in themes.items()}
    result = te.leave_one_theme_out(labelled, threshold=0.5, c=1.0, seed=0)
    assert set(result["per_theme"]) == {"t0", "t1", "t2"}
    assert result["macro_f1"] > 0.8
