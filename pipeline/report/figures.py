"""Every chart of the project: pure functions, tables in, `plotly.graph_objects.Figure` out.

The trends stage renders these figures to PNG and the dashboard embeds the very same ones.
Text from scraped pages (titles, topic labels built from abstracts) goes through `esc`: plotly
renders a subset of HTML in names, hover labels and annotations, so raw text could inject markup.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import plotly.graph_objects as go

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#e6550d", "#31a354", "#756bb1", "#636363", "#843c39",
]  # fmt: skip
OUTLIER_COLOUR = "#c7c7c7"


def esc(text: Any, width: int | None = None) -> str:
    """Plain text -> text plotly shows literally (it decodes &lt; &gt; &amp; back)."""
    s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    s = " ".join(s.split())
    if width and len(s) > width:
        s = s[: width - 1].rstrip() + "…"
    return html.escape(s, quote=False)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def paper_lists(members: pd.DataFrame, max_items: int = 8, width: int = 70) -> dict:
    """(period, key) -> hover text listing the titles behind that point, at most `max_items`."""
    out = {}
    for (period, key), g in members.groupby(["period", "key"], sort=True):
        titles = sorted(g["title"].astype(str))
        lines = [f"• {esc(t, width)}" for t in titles[:max_items]]
        if len(titles) > max_items:
            lines.append(f"… and {len(titles) - max_items} more")
        out[(str(period), str(key))] = "<br>".join(lines)
    return out


def trend_figure(
    series: pd.DataFrame,
    labels: dict[str, str],
    title: str,
    hover: dict | None = None,
    value: str = "share",
    view: int = 0,
) -> go.Figure:
    """One line per key over periods, with buttons to switch between shares and counts.

    Open markers: the period is still running (partial), so a low value is not a drop. Periods
    too small to read a share from are left out of the share lines (gaps) but kept in counts.
    `view` > 0 opens the chart on the last `view` periods (pan or zoom out for the rest).
    """
    import plotly.graph_objects as go

    hover = hover or {}
    fig = go.Figure()
    ys = {"share": [], "count": []}
    for i, key in enumerate(labels):
        g = series[series["key"].astype(str) == key].sort_values("period")
        partial, small = g["partial"].astype(bool), g["small"].astype(bool)
        notes = [
            " (period still running)" if p else " (few papers)" if s else ""
            for p, s in zip(partial, small, strict=True)
        ]
        shares = [
            None if s or pd.isna(v) else float(v) for v, s in zip(g["share"], small, strict=True)
        ]
        counts = [int(v) for v in g["count"]]
        ys["share"].append(shares)
        ys["count"].append(counts)
        custom = [
            [int(c), int(t), n, hover.get((str(p), key), "")]
            for c, t, n, p in zip(g["count"], g["total"], notes, g["period"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=g["period"].astype(str).tolist(),
                y=shares if value == "share" else counts,
                name=esc(labels[key], 40),
                mode="lines+markers",
                line={"color": colour(i), "width": 2},
                marker={
                    "color": colour(i),
                    "size": 7,
                    "symbol": ["circle-open" if p else "circle" for p in partial],
                },
                customdata=custom,
                hovertemplate=(
                    f"<b>{esc(labels[key], 60)}</b><br>%{{x}}%{{customdata[2]}}: "
                    "%{customdata[0]} of %{customdata[1]} papers<br>%{customdata[3]}"
                    "<extra></extra>"
                ),
            )
        )
    axis = {"share": ("share of the period's papers", ".0%"), "count": ("papers", "d")}
    buttons = [
        {
            "label": name.capitalize() + "s",
            "method": "update",
            "args": [
                {"y": ys[name]},
                {"yaxis.title.text": axis[name][0], "yaxis.tickformat": axis[name][1]},
            ],
        }
        for name in ("share", "count")
    ]
    fig.update_layout(
        title=esc(title),
        template="plotly_white",
        height=460,
        hovermode="closest",
        xaxis={"title": "period", "type": "category"},
        yaxis={"title": axis[value][0], "tickformat": axis[value][1], "rangemode": "tozero"},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.12,
                "yanchor": "bottom",
                "active": 0 if value == "share" else 1,
                "buttons": buttons,
            }
        ],
        legend={"title": "open marker: period still running"},
        margin={"t": 90},
    )
    periods = sorted(series["period"].astype(str).unique())
    if 0 < view < len(periods):
        fig.update_xaxes(range=[len(periods) - view - 0.5, len(periods) - 0.5])
    return fig


def topic_map_figure(
    points: pd.DataFrame, theme_labels: dict[str, str], total: int | None = None
) -> go.Figure:
    """2-D map of the papers; buttons colour it by topic or by theme.

    `points`: x, y, title, date, topic (int, -1 outlier), topic_label, themes (list[str]).
    Legend entries are the topic labels as given, so they should carry the topic id.
    In the theme view a paper with several themes is drawn once per theme. `total`: the
    corpus size when `points` is a sample of it (the title says so).
    """
    import plotly.graph_objects as go

    pts = points.reset_index(drop=True)
    theme_text = [", ".join(theme_labels.get(t, t) for t in ts) or "none" for ts in pts["themes"]]
    hovertext = [
        f"<b>{esc(t, 90)}</b><br>date: {esc(d) or 'unknown'}<br>topic: {esc(lbl, 60)}"
        f"<br>themes: {esc(th)}"
        for t, d, lbl, th in zip(
            pts["title"], pts["date"], pts["topic_label"], theme_text, strict=True
        )
    ]
    pts = pts.assign(hover=hovertext)
    fig = go.Figure()
    topics = sorted(pts["topic"].unique(), key=lambda t: (t == -1, t))
    for i, topic in enumerate(topics):
        g = pts[pts["topic"] == topic]
        name = g["topic_label"].iloc[0]
        fig.add_trace(_points(g, esc(name, 40), OUTLIER_COLOUR if topic == -1 else colour(i)))
    n_topic = len(fig.data)
    groups = [(k, pts[[k in ts for ts in pts["themes"]]]) for k in theme_labels]
    groups.append(("", pts[[len(ts) == 0 for ts in pts["themes"]]]))
    for i, (key, g) in enumerate(groups):
        name = esc(theme_labels[key], 40) if key else "no theme"
        fig.add_trace(_points(g, name, colour(i) if key else OUTLIER_COLOUR, visible=False))
    n_theme = len(fig.data) - n_topic
    fig.update_layout(
        title="Topic map of the papers"
        + (f" (a random {len(pts):,} of {total:,})" if total and total > len(pts) else ""),
        template="plotly_white",
        height=620,
        xaxis={"visible": False},
        yaxis={"visible": False},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.08,
                "yanchor": "bottom",
                "buttons": [
                    {
                        "label": "Colour by topic",
                        "method": "restyle",
                        "args": [{"visible": [True] * n_topic + [False] * n_theme}],
                    },
                    {
                        "label": "Colour by theme",
                        "method": "restyle",
                        "args": [{"visible": [False] * n_topic + [True] * n_theme}],
                    },
                ],
            }
        ],
    )
    return fig


def _points(g: pd.DataFrame, name: str, col: str, visible: bool = True) -> go.Scatter:
    import plotly.graph_objects as go

    return go.Scatter(
        x=g["x"].astype(float).round(4).tolist(),
        y=g["y"].astype(float).round(4).tolist(),
        mode="markers",
        name=name,
        visible=visible,
        marker={"color": col, "size": 6, "opacity": 0.75},
        hovertext=g["hover"].tolist(),
        hoverinfo="text",
    )


def rising_figure(stats: pd.DataFrame, title: str, alpha: float) -> go.Figure:
    """Theil-Sen slope of each key's share with its interval; green: rising, red: falling.

    `stats`: label, slope, slope_low, slope_high, q_value (None where not tested).
    """
    import plotly.graph_objects as go

    s = stats.dropna(subset=["slope"]).sort_values(["slope", "label"])
    # The same rule as stats.periods.rising: q below alpha and an interval that excludes zero.
    sig = [q is not None and not pd.isna(q) and q < alpha for q in s["q_value"]]
    bar = [
        "#2ca02c" if g and lo > 0 else "#d62728" if g and hi < 0 else "#9fb7cc"
        for g, lo, hi in zip(sig, s["slope_low"], s["slope_high"], strict=True)
    ]
    pp = s[["slope", "slope_low", "slope_high"]].astype(float) * 100
    fig = go.Figure(
        go.Bar(
            x=pp["slope"].round(4).tolist(),
            y=[esc(lbl, 45) for lbl in s["label"]],
            orientation="h",
            marker={"color": bar},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (pp["slope_high"] - pp["slope"]).round(4).tolist(),
                "arrayminus": (pp["slope"] - pp["slope_low"]).round(4).tolist(),
            },
            customdata=[[_fmt(q)] for q in s["q_value"]],
            hovertemplate="%{y}<br>slope %{x:+.2f} pp/period<br>q = %{customdata[0]}"
            "<extra></extra>",
        )
    )
    fig.update_layout(
        title=esc(title),
        template="plotly_white",
        height=max(300, 60 + 28 * len(s)),
        xaxis={"title": "Theil-Sen slope of the share (percentage points per period)"},
        margin={"l": 260},
    )
    return fig


def _fmt(q: Any) -> str:
    return "not tested" if q is None or pd.isna(q) else f"{q:.3g}"
