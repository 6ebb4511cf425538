"""Trends across a series of dumps: a planted rise is found, a flat series reports none."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.report import digest
from pipeline.stats.series import cochran_armitage, detectable_slope, series_report

N_DUMPS, PER_DUMP, CARRIED = 8, 60, 15


def _series(shares: list[float], seed: int):
    """Fortnightly pages: PER_DUMP papers each, CARRIED of them from the previous page; a new
    paper is about anomalies with the page's share. Returns (order, members, themes_of)."""
    rng = np.random.default_rng(seed)
    members, themes, prev, next_id = {}, {}, [], 0
    for k, share in enumerate(shares):
        carried = list(rng.choice(prev, CARRIED, replace=False)) if prev else []
        fresh = [f"p{next_id + i}" for i in range(PER_DUMP - len(carried))]
        next_id += len(fresh)
        for p in fresh:
            themes[p] = ["anomaly_detection"] if rng.random() < share else ["other"]
        members[f"s{k}"] = set(carried) | set(fresh)
        prev = sorted(members[f"s{k}"])
    return [f"s{k}" for k in range(len(shares))], members, lambda p: themes[p]


def _report(shares, seed=0):
    order, members, themes_of = _series(shares, seed)
    keys = ["anomaly_detection", "other"]
    return series_report(order, members, {"themes": (themes_of, keys, {})}, alpha=0.05)


def _row(report, view, key="anomaly_detection"):
    return next(r for r in report["themes"]["trend"][view] if r["key"] == key)


def test_a_planted_rise_is_reported_across_the_series():
    # The series: about 1 in 20 anomaly papers in the first half, 1 in 4 in the second.
    report = _report([0.05] * 4 + [0.25] * 4)
    for view in ("new", "listed"):
        assert _row(report, view)["trend"] == "rising"
    # A single pair of pages, like the old per-pair test, often cannot see it.
    assert report["n_new"][1:] == [PER_DUMP - CARRIED] * (N_DUMPS - 1)


@pytest.mark.parametrize("seed", range(5))
def test_a_flat_series_reports_no_trend(seed):
    report = _report([0.15] * N_DUMPS, seed=seed)
    for view in ("new", "listed"):
        row = _row(report, view)
        assert row["trend"] == "none"
        assert 0 < row["detectable_change_per_snapshot"] < 0.1  # the power is stated


def test_cochran_armitage_matches_a_logistic_score_test_by_hand():
    # Counts 1,1,1,1,8,8,8,8 of 56..60 papers: z from the textbook formula.
    k, n = [1, 1, 1, 1, 8, 8, 8, 8], [56, 56, 56, 55, 60, 60, 60, 59]
    t = np.arange(8)
    p = sum(k) / sum(n)
    num = sum(ti * (ki - ni * p) for ti, ki, ni in zip(t, k, n, strict=True))
    s_tt = sum(ni * ti * ti for ti, ni in zip(t, n, strict=True)) - sum(
        ni * ti for ti, ni in zip(t, n, strict=True)
    ) ** 2 / sum(n)
    z, pv = cochran_armitage(k, n)
    assert z == pytest.approx(num / np.sqrt(p * (1 - p) * s_tt))
    assert pv < 1e-3
    assert cochran_armitage([3] * 8, [60] * 8) == (0.0, 1.0)
    assert cochran_armitage([1, 5], [60, 60])[1] == 1.0  # two dumps: no trend test


def test_more_papers_detect_smaller_changes():
    assert detectable_slope([600] * 8, 0.1, 0.05) < detectable_slope([60] * 8, 0.1, 0.05) / 3


def test_digest_names_the_rise_and_the_new_papers():
    order, members, themes_of = _series([0.05] * 4 + [0.25] * 4, seed=0)
    keys = ["anomaly_detection", "other"]
    labels = {"anomaly_detection": "Anomaly detection", "other": "Other"}
    reports = {"pages": series_report(order, members, {"themes": (themes_of, keys, labels)}, 0.05)}
    catalog = {s: {"source": "pages", "date": None, "n_papers": len(members[s])} for s in order}
    import pandas as pd

    ids = sorted(set().union(*members.values()))
    papers = pd.DataFrame(
        {"title": [f"Title {p}" for p in ids], "date": None, "date_precision": None}, index=ids
    )
    doc = digest.build(
        {"pages": order}, catalog, members, reports, papers, themes_of,
        lambda p: "anomaly_detection 0.90 (threshold 0.50); keywords: anomaly", labels,
    )  # fmt: skip
    md = digest.markdown(doc)
    assert "Anomaly detection rose across 8 snapshots (new papers)" in md
    new = doc["series"][0]["new_by_theme"][0]
    assert new["theme"] == "anomaly_detection" and new["count"] > 0
    assert new["papers"][0]["why"].startswith("anomaly_detection 0.90")
