"""Figures of one comparison between two dumps: share shifts and the topic-drift Sankey."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.report.figures import esc

if TYPE_CHECKING:
    import plotly.graph_objects as go

RELATION_COLOURS = {
    "continued": "rgba(31,119,180,0.45)",
    "split": "rgba(255,127,14,0.5)",
    "merged": "rgba(148,103,189,0.5)",
    "born": "rgba(44,160,44,0.5)",
    "died": "rgba(214,39,40,0.5)",
}


def share_shift_figure(shifts: list[dict], from_name: str, to_name: str, title: str) -> go.Figure:
    """Side-by-side shares of each theme/topic in two snapshots (compare contract rows)."""
    import plotly.graph_objects as go

    rows = sorted(shifts, key=lambda r: (r["to_share"], str(r["key"])))
    labels = [esc(r.get("label") or r["key"], 45) for r in rows]
    fig = go.Figure()
    for side, name, col in (("from", from_name, "#9fb7cc"), ("to", to_name, "#1f77b4")):
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[r[f"{side}_share"] for r in rows],
                name=esc(name),
                orientation="h",
                marker={"color": col},
                customdata=[[r[f"{side}_count"], r[f"{side}_total"]] for r in rows],
                hovertemplate="%{y}<br>%{x:.1%}: %{customdata[0]} of %{customdata[1]} papers"
                "<extra>" + esc(name) + "</extra>",
            )
        )
    fig.update_layout(
        title=esc(title),
        template="plotly_white",
        barmode="group",
        legend={"traceorder": "reversed"},  # plotly stacks grouped bars bottom-up
        height=max(300, 80 + 36 * len(rows)),
        xaxis={"title": "share of the snapshot's papers", "tickformat": ".0%"},
        margin={"l": 260},
    )
    return fig


def sankey_figure(drift: dict, from_name: str, to_name: str) -> go.Figure | None:
    """Topic drift between two snapshots' own topic models, one band per link; None for a
    pair without links (snapshots too small for topic models of their own).

    A band's width is the `from` topic's size shared among its links by similarity (born
    topics: the `to` topic's size), so widths read as papers, not as similarity.
    """
    import plotly.graph_objects as go

    if not drift.get("links"):
        return None  # the dashboard says so in words: plotly throws on a Sankey without links
    src = {t["id"]: t for t in drift.get("from_topics", [])}
    dst = {t["id"]: t for t in drift.get("to_topics", [])}
    # Left column: `from` topics, right column: `to` topics; the title names the two.
    nodes = [esc(t["label"], 40) for t in src.values()]
    nodes += [esc(t["label"], 40) for t in dst.values()]
    born, died = len(nodes), len(nodes) + 1
    nodes += ["(new: no earlier topic)", "(gone: no later topic)"]
    s_index = {k: i for i, k in enumerate(src)}
    d_index = {k: len(src) + i for i, k in enumerate(dst)}
    out_sim: dict[Any, float] = {}
    for link in drift.get("links", []):
        if link["from"] is not None:
            out_sim[link["from"]] = out_sim.get(link["from"], 0.0) + max(link["similarity"], 1e-6)
    source, target, value, colours, text = [], [], [], [], []
    for link in drift.get("links", []):
        f, t = link["from"], link["to"]
        if f is None:
            w = dst.get(t, {}).get("size", 1)
        else:
            w = src.get(f, {}).get("size", 1) * max(link["similarity"], 1e-6) / out_sim[f]
        source.append(born if f is None else s_index[f])
        target.append(died if t is None else d_index[t])
        value.append(round(float(w), 4))
        colours.append(RELATION_COLOURS.get(link["relation"], "rgba(127,127,127,0.4)"))
        text.append(f"{link['relation']}, similarity {link['similarity']:.2f}")
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": nodes, "pad": 12, "thickness": 14, "color": "#7f7f7f"},
            link={
                "source": source,
                "target": target,
                "value": value,
                "color": colours,
                "customdata": text,
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}"
                "<extra></extra>",
            },
        )
    )
    fig.update_layout(
        title=f"Topic drift: {esc(from_name)} (left) → {esc(to_name)} (right)",
        height=max(360, 30 * max(len(src), len(dst), 1)),
    )
    return fig
