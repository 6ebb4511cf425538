"""Share-shift statistics: small samples are not trends, real shifts are, FDR holds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stats.shifts import (
    bh_adjust,
    describe_shift,
    fisher_p,
    newcombe_interval,
    share_shifts,
    shift_status,
    summary_lines,
    wilson_interval,
)


def test_one_paper_shift_in_a_tiny_snapshot_is_not_significant():
    rows = share_shifts({"x": 0}, 5, {"x": 1}, 6)
    assert rows[0]["p_value"] > 0.5
    assert not rows[0]["significant"]
    assert rows[0]["ci_low"] < 0 < rows[0]["ci_high"]


def test_identical_snapshots_show_no_shift():
    counts = {"a": 12, "b": 30, "c": 0, "d": 80}
    rows = share_shifts(counts, 100, counts, 100)
    assert all(r["change"] == 0 and not r["significant"] for r in rows)
    assert all(r["p_value"] == pytest.approx(1.0) for r in rows)


def test_large_real_shift_is_significant_and_first():
    rows = share_shifts({"small": 10, "big": 10}, 200, {"small": 12, "big": 90}, 200)
    assert [r["key"] for r in rows] == ["big", "small"]
    big = rows[0]
    assert big["significant"] and big["change"] == pytest.approx(0.4)
    assert 0 < big["ci_low"] < 0.4 < big["ci_high"]
    assert shift_status(big) == "grew"
    assert not rows[1]["significant"]


def test_wilson_and_newcombe_known_values():
    # Newcombe (1998), table II, example (a): 56/70 vs 48/80, difference 0.2 in [0.0524, 0.3339].
    low, high = newcombe_interval(48, 80, 56, 70)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-3)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-3)


def test_fisher_matches_scipy_on_a_textbook_table():
    # Lady tasting tea: 3 of 4 vs 1 of 4, two-sided p = 0.4857.
    assert fisher_p(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-3)


def test_bh_is_monotone_and_never_below_p():
    p = [0.001, 0.04, 0.03, 0.5, 0.02]
    q = bh_adjust(p)
    assert all(qi >= pi for pi, qi in zip(p, q, strict=True))
    order = np.argsort(p)
    assert np.all(np.diff(np.asarray(q)[order]) >= -1e-12)


def test_fdr_control_under_no_change():
    # 200 keys with no real change: BH at 0.05 should flag (almost) none of them.
    rng = np.random.default_rng(0)
    shares = rng.uniform(0.05, 0.5, size=200)
    a = {f"k{i}": int(rng.binomial(300, s)) for i, s in enumerate(shares)}
    b = {f"k{i}": int(rng.binomial(300, s)) for i, s in enumerate(shares)}
    rows = share_shifts(a, 300, b, 300)
    assert sum(r["significant"] for r in rows) <= 2


@settings(max_examples=60, deadline=None)
@given(n1=st.integers(1, 60), n2=st.integers(1, 60), f1=st.floats(0, 1), f2=st.floats(0, 1))
def test_interval_contains_the_observed_change(n1, n2, f1, f2):
    a, b = round(f1 * n1), round(f2 * n2)
    low, high = newcombe_interval(a, n1, b, n2)
    assert -1 <= low <= b / n2 - a / n1 <= high <= 1


def test_status_of_appeared_and_vanished_topics():
    rows = {r["key"]: r for r in share_shifts({"x": 0, "y": 3}, 50, {"x": 2, "y": 0}, 50)}
    assert shift_status(rows["x"]) == "appeared"
    assert shift_status(rows["y"]) == "vanished"


def test_summary_leads_with_supported_shifts_and_marks_the_rest():
    themes = share_shifts({"anomaly": 12, "nlp": 3}, 80, {"anomaly": 60, "nlp": 5}, 90)
    lines = summary_lines(themes, [], alpha=0.05)
    assert lines[0].startswith("anomaly rose from 12 of 80 papers to 60 of 90")
    assert lines[1].startswith("Not supported") and "nlp rose from 3 of 80" in lines[1]
    none = summary_lines(share_shifts({"a": 1}, 10, {"a": 2}, 10), [], alpha=0.05)
    assert none[0].startswith("No theme or topic share changed")


def test_describe_shift_wording():
    row = {
        "key": "t",
        "change": -0.1,
        "from_count": 5,
        "from_total": 10,
        "to_count": 4,
        "to_total": 10,
    }
    assert describe_shift(row) == "t fell from 5 of 10 papers to 4 of 10"
