"""The pure figure functions in pipeline.report.figures and comparison_figures."""

from __future__ import annotations

import pandas as pd
import plotly.io as pio
import pytest

from pipeline.report import comparison_figures, figures

EVIL = '<img src=x onerror="alert(1)"> & </script><script>alert(2)</script>'


def _series() -> pd.DataFrame:
    rows = []
    for i, period in enumerate(["2024-01", "2024-02", "2024-03"]):
        for key in ("a", "b"):
            count = i + (key == "a")
            rows.append((period, key, count, 4, count / 4, period == "2024-03", i == 1))
    return pd.DataFrame(
        rows, columns=["period", "key", "count", "total", "share", "partial", "small"]
    )


def _raw(fig) -> str:
    return pio.to_json(fig, validate=False)


def test_esc_escapes_markup_and_truncates():
    assert figures.esc(EVIL).startswith('&lt;img src=x onerror="alert(1)"&gt; &amp; &lt;/script')
    assert figures.esc("a  b\n c") == "a b c"
    assert figures.esc("x" * 50, 10) == "x" * 9 + "…"
    assert figures.esc(None) == "" and figures.esc(float("nan")) == ""


def test_paper_lists_are_escaped_sorted_and_cut():
    members = pd.DataFrame(
        {"period": ["2024-01"] * 5, "key": ["a"] * 5, "title": ["e", "d", EVIL, "b", "a"]}
    )
    text = figures.paper_lists(members, max_items=3)[("2024-01", "a")]
    assert text.count("•") == 3 and text.endswith("… and 2 more")
    assert "<img" not in text and "&lt;img" in text


def test_trend_figure_toggles_shares_and_counts():
    hover = {("2024-02", "a"): figures.esc(EVIL)}
    fig = figures.trend_figure(_series(), {"a": EVIL, "b": "Bee"}, "t", hover)
    assert len(fig.data) == 2
    assert fig.data[0].y == (0.25, None, 0.75)  # the small period is a gap in shares
    assert fig.data[0].marker.symbol == ("circle", "circle", "circle-open")  # partial: open
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["Shares", "Counts"]
    assert buttons[1].args[0]["y"] == [[1, 2, 3], [0, 1, 2]]
    assert buttons[1].args[1]["yaxis.title.text"] == "papers"
    counts = figures.trend_figure(_series(), {"a": "A"}, "t", value="count", view=2)
    assert counts.data[0].y == (1, 2, 3)
    assert counts.layout.updatemenus[0].active == 1
    assert counts.layout.xaxis.range == (0.5, 2.5)  # opens on the last two periods
    assert fig.layout.xaxis.range is None
    assert "<img" not in _raw(fig) and "<script" not in _raw(fig)


def test_trend_figure_leaves_missing_shares_empty():
    s = _series()
    s.loc[0, ["count", "total", "share"]] = [0, 0, float("nan")]
    fig = figures.trend_figure(s, {"a": "A"}, "t")
    assert fig.data[0].y[0] is None


def _points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [0.0, 1.0, 2.0, 3.0],
            "y": [0.0, 1.0, 0.5, 2.0],
            "title": [EVIL, "b", "c", "d"],
            "date": ["2024-01-01", None, "2024-02-01", "2024-03-01"],
            "topic": [0, 0, 1, -1],
            "topic_label": ["0: zero", "0: zero", "1: one", "outliers"],
            "themes": [["t1"], [], ["t1", "t2"], ["t2"]],
        }
    )


def test_topic_map_colours_by_topic_or_theme():
    fig = figures.topic_map_figure(_points(), {"t1": "Theme one", "t2": EVIL})
    names = [t.name for t in fig.data]
    assert names[:3] == ["0: zero", "1: one", "outliers"]
    assert [t.visible for t in fig.data] == [True] * 3 + [False] * 3
    # theme view: t1 has two papers, t2 two, "no theme" one
    assert [len(t.x) for t in fig.data[3:]] == [2, 2, 1]
    by_theme = fig.layout.updatemenus[0].buttons[1].args[0]["visible"]
    assert by_theme == [False] * 3 + [True] * 3
    assert "date: unknown" in fig.data[0].hovertext[1]
    assert "<img" not in _raw(fig) and "&lt;img" in fig.data[0].hovertext[0]


def test_rising_figure_colours_by_direction_and_skips_untested():
    stats = pd.DataFrame(
        {
            "label": ["up", "down", "flat", "touches0", "untested"],
            "slope": [0.05, -0.03, 0.01, -0.02, None],
            "slope_low": [0.02, -0.05, -0.01, -0.04, None],
            "slope_high": [0.07, -0.01, 0.02, 0.0, None],
            "q_value": [0.01, 0.02, 0.5, 0.01, None],
        }
    )
    fig = figures.rising_figure(stats, "t", 0.05)
    bar = fig.data[0]
    assert list(bar.y) == ["down", "touches0", "flat", "up"]
    assert list(bar.marker.color) == ["#d62728", "#9fb7cc", "#9fb7cc", "#2ca02c"]
    assert bar.x == pytest.approx((-3.0, -2.0, 1.0, 5.0))


def test_share_shift_and_sankey_figures():
    shift = {"key": "1", "label": EVIL, "from_share": 0.1, "to_share": 0.3, "from_count": 8,
             "from_total": 80, "to_count": 27, "to_total": 90}  # fmt: skip
    fig = comparison_figures.share_shift_figure([shift], "d1", "d2", "Topic shares")
    assert [t.name for t in fig.data] == ["d1", "d2"] and fig.data[1].x == (0.3,)
    drift = {
        "from_topics": [{"id": 0, "label": EVIL, "size": 40}, {"id": 1, "label": "b", "size": 30}],
        "to_topics": [{"id": 0, "label": "a", "size": 45}, {"id": 5, "label": "n", "size": 9}],
        "links": [
            {"from": 0, "to": 0, "similarity": 0.9, "relation": "continued"},
            {"from": 1, "to": None, "similarity": 0.1, "relation": "died"},
            {"from": None, "to": 5, "similarity": 0.0, "relation": "born"},
        ],
    }
    sk = comparison_figures.sankey_figure(drift, "d1", "d2").data[0]
    assert len(sk.node.label) == 6
    assert list(sk.link.source) == [0, 1, 4] and list(sk.link.target) == [2, 5, 3]
    assert list(sk.link.value) == [40.0, 30.0, 9.0]
    for f in (fig, comparison_figures.sankey_figure(drift, "d1", "d2")):
        assert "<img" not in _raw(f) and "<script" not in _raw(f)
