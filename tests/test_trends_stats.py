"""Period series and trend tests in pipeline.stats.periods."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.report import naming
from pipeline.stats import periods as ts


def _papers(dates: dict[str, str | None], precision: dict[str, str] | None = None):
    precision = precision or {}
    return pd.DataFrame({
        "paper_id": list(dates), "date": list(dates.values()),
        "date_precision": [precision.get(p, "day") if d else None for p, d in dates.items()],
    })  # fmt: skip


def _members(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["paper_id", "key"])


def test_a_date_coarser_than_the_period_is_in_no_period():
    """A conference listing's papers carry a year only (stored as January 1st): counted in a
    monthly series they would make January spike; a yearly series counts them."""
    dates = {"a": "2024-01-01", "b": "2024-01-20", "c": "2024-03-01", "d": "2024-05-01"}
    precision = {"a": "year", "c": "month"}
    papers = _papers(dates, precision)
    members = _members([("a", "x"), ("b", "x"), ("c", "x"), ("d", "x")])
    monthly = ts.period_series(papers, members, ["x"], "M", "2025-01-01", 1)
    assert dict(zip(monthly["period"], monthly["total"], strict=True)) == {
        "2024-01": 1, "2024-02": 0, "2024-03": 1, "2024-04": 0, "2024-05": 1}  # fmt: skip
    quarterly = ts.period_series(papers, members, ["x"], "Q", "2025-01-01", 1)
    assert quarterly["total"].tolist() == [2, 1]  # c's month is known: 2024Q1
    yearly = ts.period_series(papers, members, ["x"], "Y", "2025-01-01", 1)
    assert yearly["total"].tolist() == [4]
    assert ts.unplaced(papers, "M") == 1 and ts.unplaced(papers, "Y") == 0


def test_each_paper_counts_once_and_undated_are_left_out_of_totals():
    papers = _papers({"a": "2024-01-03", "b": "2024-01-20", "c": "2024-03-01", "d": None})
    # "a" listed twice (two dumps) and its membership listed twice too.
    papers = pd.concat([papers, papers.iloc[[0]]])
    members = _members([("a", "x"), ("a", "x"), ("b", "y"), ("c", "x"), ("d", "x")])
    s = ts.period_series(papers, members, ["x", "y"], "M", "2024-06-01", min_period_papers=2)
    got = s.set_index(["period", "key"])
    assert got.loc[("2024-01", "x"), "count"] == 1
    assert got.loc[("2024-01", "x"), "total"] == 2
    assert got.loc[("2024-01", "x"), "share"] == 0.5
    # The gap month is present with no papers: no share, flagged small.
    assert got.loc[("2024-02", "x"), "total"] == 0
    assert math.isnan(got.loc[("2024-02", "x"), "share"])
    assert bool(got.loc[("2024-02", "x"), "small"])
    assert bool(got.loc[("2024-03", "x"), "small"])  # one paper < 2
    assert not bool(got.loc[("2024-01", "x"), "small"])
    assert list(s.columns) == ts.SERIES_COLUMNS
    assert set(s["period"]) == {"2024-01", "2024-02", "2024-03"}


def test_period_of_now_and_later_are_partial():
    papers = _papers({"a": "2024-04-30", "b": "2024-05-02", "c": "2024-06-10"})
    s = ts.period_series(papers, _members([("a", "x")]), ["x"], "M", "2024-05-15", 1)
    partial = dict(zip(s["period"], s["partial"], strict=True))
    assert partial == {"2024-04": False, "2024-05": True, "2024-06": True}


@pytest.mark.parametrize(("freq", "labels"), [("Q", ["2023Q4", "2024Q1"]), ("Y", ["2023", "2024"])])
def test_quarter_and_year_labels(freq, labels):
    papers = _papers({"a": "2023-12-31", "b": "2024-01-01"})
    s = ts.period_series(papers, _members([("a", "x")]), ["x"], freq, "2025-01-01", 1)
    assert s["period"].tolist() == labels


def test_no_dated_paper_gives_an_empty_table():
    s = ts.period_series(_papers({"a": None}), _members([]), ["x"], "M", "2024-01-01", 1)
    assert s.empty and list(s.columns) == ts.SERIES_COLUMNS


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 2)), min_size=1, max_size=60))
def test_topic_shares_of_a_period_sum_to_one(rows):
    """Topics partition the papers, so per period their shares add up to 1 (property)."""
    papers = _papers({f"p{i}": f"2024-{1 + m % 12:02d}-01" for i, (m, _) in enumerate(rows)})
    members = _members([(f"p{i}", str(t)) for i, (_, t) in enumerate(rows)])
    s = ts.period_series(papers, members, ["0", "1", "2"], "M", "2030-01-01", 1)
    sums = s[s["total"] > 0].groupby("period")["share"].sum()
    assert all(abs(v - 1) < 1e-5 for v in sums)
    assert s.groupby("period")["count"].sum().sum() == len(rows)


def test_trend_test_finds_a_clear_rise_and_its_slope():
    r = ts.trend_test([0.1 + 0.02 * i for i in range(12)], alpha=0.05)
    assert r["direction"] == "rising"
    assert r["p_value"] < 0.001
    assert r["slope"] == pytest.approx(0.02)


def test_trend_test_uses_true_positions_across_gaps():
    r = ts.trend_test([0.1, None, 0.3, None, 0.5, 0.6, None, 0.8], alpha=0.05)
    assert r["slope"] == pytest.approx(0.1)
    assert r["n_used"] == 5


def test_trend_test_flat_noise_and_too_short():
    assert ts.trend_test([0.2] * 8, 0.05)["direction"] == "no trend"
    noisy = ts.trend_test([0.3, 0.1, 0.35, 0.12, 0.31, 0.11, 0.29, 0.13], 0.05)
    assert noisy["direction"] == "no trend" and noisy["p_value"] > 0.05
    short = ts.trend_test([0.1, 0.2, None, 0.3], 0.05)
    assert short["direction"] == "insufficient data" and short["p_value"] is None


def _series(values: dict[str, list[float]], total: int = 20) -> pd.DataFrame:
    rows = []
    for key, vals in values.items():
        for i, v in enumerate(vals):
            rows.append((f"2024-{i + 1:02d}", key, round(v * total), total, v, False, False))
    return pd.DataFrame(rows, columns=ts.SERIES_COLUMNS)


def test_window_stats_adjust_and_rising_list():
    up = [0.05 * i for i in range(10)]
    down = [0.5 - 0.05 * i for i in range(10)]
    flat = [0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.3, 0.2]
    s = _series({"up": up, "down": down, "flat": flat})
    s.loc[s["period"] == "2024-10", "partial"] = True  # never inside the window
    window = ts.recent_window(s, 8)
    assert window == [f"2024-{m:02d}" for m in range(2, 10)]
    stats = ts.window_stats(s, window, 0.05)
    ts.adjust_p(stats, "fdr_bh")
    assert stats["up"]["q_value"] >= stats["up"]["p_value"]
    rising = ts.rising(stats, 0.05, {"up": "Going up"})
    assert [r["key"] for r in rising] == ["up"]
    assert rising[0]["label"] == "Going up"
    assert "Mann-Kendall" in rising[0]["evidence"]
    assert stats["down"]["direction"] == "falling"
    assert stats["up"]["first_half"]["count"] < stats["up"]["last_half"]["count"]


def test_small_periods_are_left_out_of_the_test():
    s = _series({"k": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})
    s.loc[s["period"] == "2024-03", "small"] = True
    stats = ts.window_stats(s, sorted(s["period"]), 0.05)
    assert stats["k"]["n_used"] == 5


def test_theme_labels_from_yaml_then_table(tmp_path):
    from pipeline.themes.definitions import theme_labels

    yml = tmp_path / "themes.yaml"
    yml.write_text(
        "themes:\n  - {name: b, label: Bee, description: x}\n  - {name: a, description: y}\n"
    )
    table = pd.DataFrame({"themes": [["a"], ["c"]], "score_a": [1.0, 0.0], "score_d": [0, 0]})
    assert theme_labels(yml, table) == {"b": "Bee", "a": "A", "d": "d", "c": "c"}


def test_topic_labels_carry_the_id_once():
    info = pd.DataFrame({"topic": [3, -1, 0], "label": ["3_cat_dog", "-1_x", "custom name"]})
    assert naming.topic_label_map(info) == {
        "-1": "outliers",
        "0": "0: custom name",
        "3": "3: cat_dog",
    }
    sized = info.assign(size=[5, 50, 9])
    assert naming.top_topics(sized, 5) == ["0", "3"]
