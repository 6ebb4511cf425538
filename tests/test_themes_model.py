"""Theme definitions, keyword evidence, threshold calibration and nested CV."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import ConfigError
from pipeline.textclean import paper_id
from pipeline.themes import evaluation as ev
from pipeline.themes.classifier import best_threshold, fit_threshold
from pipeline.themes.definitions import load_themes
from pipeline.themes.features import (
    Bank,
    ThemeFeatures,
    text_key,
    themes_keyword_hits,
)


def test_repo_themes_file_loads(repo):
    themes = load_themes(repo / "configs" / "themes.yaml")
    names = [t.name for t in themes]
    assert names == ["anomaly_detection", "medical_vlm", "domain_adaptation", "foundation_models"]
    assert all(t.description and t.phrases and t.patterns for t in themes)


def test_every_labels_file_carries_its_texts_and_a_column_per_theme(repo):
    from pipeline.config import load_config
    from pipeline.themes.labels import read_label_sets

    cfg = load_config(repo / "configs" / "params.yaml")
    themes = load_themes(repo / "configs" / "themes.yaml")
    paths = {n: repo / cfg.paths.labels / f for n, f in cfg.themes.label_sets.items()}
    labels = read_label_sets(paths, themes)
    for name in paths:
        part = labels[labels["set"] == name]
        assert len(part) >= 200
        assert part["key"].is_unique
        assert (part["abstract"].str.len() > 200).all()
        for t in themes:
            assert set(part[t.name].unique()) <= {0, 1}


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


def test_labels_are_keyed_like_clean_keys_papers():
    assert paper_id("  SAM-2: Segment  Anything!") == paper_id("sam 2 segment anything")


def test_keyword_hits_are_distinct_and_case_insensitive(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  - name: a\n    description: x\n    keywords: ['anomal\\w*', 'OOD']")
    theme = load_themes(path)[0]
    texts = ["Anomaly detection of anomalous OOD samples", "nothing here"]
    hits = themes_keyword_hits(texts, [theme])["a"]
    assert hits == [["anomaly", "ood"], []]


def test_keyword_hits_found_before_are_reused_and_new_texts_added(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("themes:\n  - name: a\n    description: x\n    keywords: ['anomal\\w*']")
    themes = load_themes(path)
    known = {text_key("old text"): {"a": ["from the cache"]}}
    hits = themes_keyword_hits(["old text", "an anomaly"], themes, known)
    assert hits == {"a": [["from the cache"], ["anomaly"]]}
    assert known[text_key("an anomaly")] == {"a": ["anomaly"]}


def test_best_threshold_separates_separable_scores():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    thr = best_threshold(scores, y)
    assert 0.3 < thr <= 0.7
    assert ((scores >= thr) == y.astype(bool)).all()


def test_best_threshold_prefers_the_cut_nearest_half_among_equal_f1():
    # Keeping all four (F1 2/3) ties with keeping only 0.9 (F1 2/3): the cut nearer 0.5 wins.
    scores = np.array([0.1, 0.4, 0.6, 0.9])
    assert best_threshold(scores, np.array([1, 0, 0, 1])) == pytest.approx(0.75)
    # No positive at all: every cut has F1 0, so the cut nearest 0.5 is kept.
    assert best_threshold(scores, np.zeros(4, dtype=int)) == pytest.approx(0.5)


def test_bagged_threshold_is_seeded_and_between_the_classes():
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.2).astype(int)
    scores = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.15, 200), 0, 1)
    bagged = fit_threshold(scores, y, "bagged", seed=3)
    assert bagged == fit_threshold(scores, y, "bagged", seed=3)
    assert 0.3 < bagged < 0.7
    assert fit_threshold(scores, y, "f1_best", seed=3) == best_threshold(scores, y)
    with pytest.raises(ValueError, match="threshold rule"):
        fit_threshold(scores, y, "median", seed=3)


def _synthetic(n: int, signal: float, seed: int, theme: str = "t"):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    emb = rng.normal(size=(n, 16)).astype(np.float32)
    emb[:, 0] += signal * (2 * y - 1)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    sim = np.column_stack([emb[:, 0], emb[:, 0]]).astype(np.float32)
    feats = ThemeFeatures(sim, np.zeros(n, dtype=int), [["kw"] if v else [] for v in y])
    return Bank(emb, [f"text {i}" for i in range(n)], {theme: feats}), y


def test_nested_cv_finds_signal_and_not_noise():
    bank, y = _synthetic(120, signal=3.0, seed=0)
    pred = ev.nested_cv_predictions("embedding", "t", bank, y, 5, 0, 1.0)
    assert ev.prf(y, pred)["f1"] > 0.9
    # Shuffled labels: held-out F1 must collapse towards chance, or the CV leaks.
    y_noise = np.random.default_rng(1).permutation(y)
    pred = ev.nested_cv_predictions("embedding", "t", bank, y_noise, 5, 0, 1.0)
    assert ev.prf(y_noise, pred)["f1"] < 0.6


def test_cross_source_transfers_signal_and_not_noise():
    train, y_train = _synthetic(150, signal=3.0, seed=0)
    test, y_test = _synthetic(150, signal=3.0, seed=1)
    pred = ev.cross_source_predictions("embedding", "t", train, y_train, test, 5, 0, 1.0)
    assert ev.prf(y_test, pred)["f1"] > 0.9
    noise = np.random.default_rng(2).permutation(y_train)
    pred = ev.cross_source_predictions("embedding", "t", train, noise, test, 5, 0, 1.0)
    assert ev.prf(y_test, pred)["f1"] < 0.6


def test_bagged_thresholds_transfer_signal_and_not_noise():
    train, y_train = _synthetic(150, signal=3.0, seed=0)
    test, y_test = _synthetic(150, signal=3.0, seed=1)
    pred = ev.cross_source_predictions("embedding", "t", train, y_train, test, 5, 0, 1.0, "bagged")
    assert ev.prf(y_test, pred)["f1"] > 0.9
    pred = ev.nested_cv_predictions("embedding", "t", train, y_train, 5, 0, 1.0, "bagged")
    assert ev.prf(y_train, pred)["f1"] > 0.9
    noise = np.random.default_rng(2).permutation(y_train)
    pred = ev.nested_cv_predictions("embedding", "t", train, noise, 5, 0, 1.0, "bagged")
    assert ev.prf(noise, pred)["f1"] < 0.6


def test_bootstrap_interval_holds_the_estimate_and_narrows_with_data():
    rng = np.random.default_rng(0)
    widths = []
    for n in (100, 2000):
        y = (rng.random(n) < 0.3).astype(int)
        pred = np.where(rng.random(n) < 0.8, y, 1 - y)
        point, ci = ev.prf(y, pred), ev.bootstrap_ci(y, pred, seed=0)
        assert ci["f1_ci"][0] <= point["f1"] <= ci["f1_ci"][1]
        widths.append(ci["f1_ci"][1] - ci["f1_ci"][0])
    assert widths[1] < widths[0] / 2


def test_zero_shot_transfers_between_themes():
    pooled = {}
    for i in range(3):
        bank, y = _synthetic(80, signal=3.0, seed=i, theme=f"t{i}")
        pooled[f"t{i}"] = (bank, y)
    result = ev.leave_one_theme_out(pooled, threshold=0.5, c=1.0, seed=0)
    assert set(result["per_theme"]) == {"t0", "t1", "t2"}
    assert result["macro_f1"] > 0.8


def _same_csr(a, b) -> bool:
    """Equal entry by entry, in the same order and dtype: what a model fitted on them sees."""
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data.view(np.uint32), b.data.view(np.uint32))
    )


def test_counted_ngrams_give_scikit_learns_own_vectors(repo, monkeypatch):
    """The n-gram block counts each text once and picks each fit's vocabulary itself; it must
    give the vocabulary and matrices (entry order and bits included) of the plain vectorizer
    it replaces, on overlapping folds of the labelled texts, with a `max_features` cut that
    binds and one that does not, for texts fitted on, texts it has seen and texts it has not,
    and after a pickle round trip into a memo with other term ids."""
    import pickle

    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipeline.themes import ngrams as ngrams_memo
    from pipeline.themes.classifier import _ngram_vectorizer

    texts = pd.read_csv(repo / "configs" / "labels" / "theme_labels.csv")["abstract"].tolist()
    rng = np.random.default_rng(0)
    for max_features in (2_000, 30_000, 2_000):
        rows = rng.permutation(len(texts))
        train, test = [texts[i] for i in rows[:150]], [texts[i] for i in rows[150:]]
        plain = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, max_df=0.5, sublinear_tf=True, stop_words="english",
            max_features=max_features, dtype=np.float32,
        )  # fmt: skip
        ours = _ngram_vectorizer().set_params(max_features=max_features)
        want, got = plain.fit_transform(train), ours.fit_transform(train)
        assert ours.vocabulary_ == plain.vocabulary_
        assert _same_csr(want, got)
        assert _same_csr(plain.transform(test), ours.transform(test))
        assert _same_csr(plain.transform(train), ours.transform(train))
    assert len(plain.vocabulary_) == 2_000  # the cut bound
    # A scorer from the themes cache, in a process whose memo has other term ids.
    stored = pickle.dumps(ours)
    monkeypatch.setattr(ngrams_memo, "_memo", ngrams_memo._Memo())
    assert _same_csr(plain.transform(test), pickle.loads(stored).transform(test))
