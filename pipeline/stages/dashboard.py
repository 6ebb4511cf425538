"""Stage `dashboard`: one self-contained, offline HTML file (plotly.js embedded once).

All data travels as one JSON block inside `<script type="application/json">`, escaped so that
no title can close the script element; the page builds text nodes from it, never HTML. The same
inputs give the same bytes: fixed div ids, sorted rows, no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import Config
from pipeline.date_precision import shown_date, to_period
from pipeline.io import PickleStore, content_key, read_json, read_table
from pipeline.report import comparison_figures, figures, naming
from pipeline.themes import definitions

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).resolve().parent.parent / "report" / "dashboard_template.html"
# JSON is valid JavaScript only with these escaped; "<" also stops "</script>" and "<!--".
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def run(cfg: Config) -> Path:
    d = cfg.dashboard
    if not (d.screenshot or d.plots):
        return write_page(cfg)[0]
    from pipeline.report.browser import Session

    # Chromium and plotly.js start up while the page is built (see report/browser.py).
    with Session(d.screenshot) as browser:
        html_path, charts = write_page(cfg)
        shot = html_path.parent / "screenshot.png" if d.screenshot else None
        browser.capture(html_path, shot, charts)
    return html_path


def write_page(cfg: Config) -> tuple[Path, dict]:
    """Writes index.html; returns its path and the PNG charts to draw (`chart_files`)."""
    d = cfg.dashboard
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    topics_dir, trends_dir = cfg.stage_dir("topics"), cfg.stage_dir("trends")
    assignments = read_table(topics_dir / "assignments.parquet", "assignments", "topics")
    info = read_table(topics_dir / "topic_info.parquet", "topic_info", "topics")
    coords = read_table(topics_dir / "coords.parquet", "coords", "topics")
    themes = read_table(cfg.stage_dir("themes") / "paper_themes.parquet", "paper_themes", "themes")
    summary = _read_json(trends_dir / "summary.json", "trends")
    series = {
        name: pd.read_csv(trends_dir / f"{name}_series.csv", dtype={"key": str, "period": str})
        for name in ("theme", "topic")
    }
    theme_labels = definitions.theme_labels(cfg.paths.themes, themes)
    topic_labels = naming.topic_label_map(info)
    frame = paper_frame(papers, assignments, themes, coords, topic_labels, summary["freq"])
    dumps = sorted({x for ds in papers["dumps"] for x in ds})

    hover = {
        kind: figures.paper_lists(members, d.hover_papers)
        for kind, members in _members(frame).items()
    }
    top = {k: topic_labels[k] for k in naming.top_topics(info, d.top_topics)}
    slopes = pd.DataFrame(
        [{"label": s["label"], **s} for s in summary["topics"].values()],
        columns=["label", "slope", "slope_low", "slope_high", "q_value"],
    )
    figs = {
        "chart-theme-trends": figures.trend_figure(
            series["theme"], theme_labels, "Papers by theme", hover["theme"], view=d.view_periods
        ),
        "chart-topic-trends": figures.trend_figure(
            series["topic"],
            top,
            f"The {len(top)} largest topics",
            hover["topic"],
            view=d.view_periods,
        ),
        "chart-topic-slopes": figures.rising_figure(
            slopes, "Trend of each topic's share over the recent window", summary["alpha"]
        ),
        "chart-topic-map": figures.topic_map_figure(
            map_points(frame, d.map_points, cfg.seed), theme_labels, total=len(frame)
        ),
    }
    payload = {
        "overview": overview(frame, dumps, summary, theme_labels, info),
        "figures": {k: _fig_json(f) for k, f in figs.items()},
        "rising": {
            kind: [
                {"label": r["label"], "evidence": r["evidence"]} for r in summary[f"rising_{kind}"]
            ]
            for kind in ("themes", "topics")
        },
        "rising_none": "none rose significantly over the recent window "
        f"({summary['p_adjust']} adjusted, alpha {summary['alpha']}).",
        "table": table(frame, theme_labels, topic_labels, d.table_page_rows),
        "compare": compare_payload(
            cfg.stage_dir("compare"), theme_labels, PickleStore(cfg.paths.cache / "dashboard")
        ),
        "digest": _optional_json(cfg.stage_dir("compare") / "digest.json"),
    }
    out = cfg.stage_dir("dashboard")
    shutil.rmtree(out, ignore_errors=True)  # rewritten completely: no stale screenshot
    out.mkdir(parents=True)
    html_path = out / "index.html"
    html_path.write_text(render(payload), encoding="utf-8")
    log.info("dashboard: %d papers; wrote %s", len(frame), html_path)
    return html_path, chart_files(cfg, series, summary, theme_labels, topic_labels, info, slopes)


def chart_files(cfg, series, summary, theme_labels, topic_labels, info, slopes) -> dict:
    """The PNG charts `dvc plots show` reads (`dashboard.plots`), by file: the trends stage's
    series drawn with the dashboard's figure functions, as still images."""
    if not cfg.dashboard.plots:
        return {}
    top = naming.top_topics(info, cfg.trends.top_topics)
    top_labels = {k: topic_labels[k] for k in top}
    window = summary["window"]["periods"]
    span = f"{window[0]} to {window[-1]}" if window else "no complete period"
    theme, topic, view = series["theme"], series["topic"], cfg.trends.plot_periods
    figs = {
        "theme_shares.png": figures.trend_figure(
            theme, theme_labels, "Share of papers by theme", view=view
        ),
        "theme_counts.png": figures.trend_figure(
            theme, theme_labels, "Papers by theme", value="count", view=view
        ),
        "topic_shares.png": figures.trend_figure(
            topic, top_labels, f"Share of papers: the {len(top)} largest topics", view=view
        ),
        "topic_slopes.png": figures.rising_figure(
            slopes, f"Trend of each topic's share, {span}", summary["alpha"]
        ),
    }
    folder = cfg.stage_dir("dashboard") / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    for fig in figs.values():
        fig.layout.updatemenus = ()  # buttons do nothing in a still image
    return {folder / name: fig for name, fig in figs.items()}


def paper_frame(papers, assignments, themes, coords, topic_labels, freq) -> pd.DataFrame:
    """One row per paper with everything the page shows, sorted newest first (undated last)."""
    f = papers.drop_duplicates("paper_id")[["paper_id", "title", "date", "date_precision", "dumps"]]
    f = f.merge(assignments[["paper_id", "topic"]], on="paper_id", how="left")
    theme_cols = [c for c in ("themes", "evidence", "uncertain") if c in themes.columns]
    f = f.merge(themes[["paper_id", *theme_cols]], on="paper_id", how="left")
    f = f.merge(coords[["paper_id", "x", "y"]], on="paper_id", how="left")
    f["topic"] = f["topic"].fillna(-1).astype(int)
    f["topic_label"] = [topic_labels.get(str(t), "outliers") for t in f["topic"]]
    f["themes"] = [
        sorted(t) if isinstance(t, list | tuple) or hasattr(t, "tolist") else []
        for t in f["themes"]
    ]
    f["dumps"] = [sorted(x) for x in f["dumps"]]
    f["date"] = f["date"].astype(object).where(f["date"].notna(), None)
    f["period"] = to_period(f["date"], freq, f["date_precision"])
    f["date"] = [shown_date(d, p) for d, p in zip(f["date"], f["date_precision"], strict=True)]
    return f.sort_values(
        ["date", "title", "paper_id"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)


def _members(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    dated = frame.dropna(subset=["period"])
    theme = dated[["period", "title", "themes"]].explode("themes").dropna()
    return {
        "theme": theme.rename(columns={"themes": "key"}),
        "topic": dated[["period", "title"]].assign(key=dated["topic"].astype(str)),
    }


def overview(frame, dumps, summary, theme_labels, info) -> dict[str, Any]:
    dated = frame["date"].dropna()
    n_topics = int((info["topic"] != -1).sum())
    cards = [
        ["papers", f"{len(frame):,}"],
        ["dumps", str(len(dumps))],
        ["first date", dated.min() if len(dated) else "none"],
        ["last date", dated.max() if len(dated) else "none"],
        ["topics", str(n_topics)],
        ["themes", str(len(theme_labels))],
    ]
    per = summary["periods"]
    notes = [
        f"Periods ({summary['freq']}) from {per['first']} to {per['last']}; the latest dump is "
        f"dated {summary['now']}.",
        f"{summary['undated']} of {summary['papers']} papers have no date: they are in the "
        "explorer and the map, not in the trend charts.",
        *(
            [
                f"{summary['coarse_dates']} papers are dated to the year or month only (e.g. a "
                "conference's listing): they are not in the trend charts of this period length."
            ]
            if summary.get("coarse_dates")
            else []
        ),
        f"{int((frame['topic'] == -1).sum())} papers are outliers (no topic).",
    ]
    if per["partial"]:
        notes.append(
            f"Still running at the latest dump, so a low count there is not a drop: "
            f"{', '.join(per['partial'])}."
        )
    if per["small"]:
        notes.append(
            f"{len(per['small'])} period(s) hold fewer papers than the minimum; their "
            "shares are left out of the charts (gaps) and of the trend tests."
        )
    return {"cards": cards, "notes": notes}


EVIDENCE_CHARS = 400


def map_points(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """The papers the topic map draws: all placed ones, or a seeded sample of `limit`."""
    placed = frame.dropna(subset=["x"])
    if len(placed) <= limit:
        return placed
    return placed.sample(n=limit, random_state=seed).sort_index()


def table(frame, theme_labels, topic_labels, page_rows) -> dict[str, Any]:
    rows = [
        [
            str(r.title),
            _text(r.date),
            r.topic_label,
            ", ".join(theme_labels.get(t, t) for t in r.themes),
            ", ".join(r.dumps),
            int(r.topic),
            list(r.themes),
            # Why the paper got its themes; cut so the page stays small at 100k papers.
            _text(getattr(r, "evidence", ""))[:EVIDENCE_CHARS],
            bool(getattr(r, "uncertain", False) is True),
        ]
        for r in frame.itertuples()
    ]
    topics = [[k, v] for k, v in topic_labels.items()]
    return {
        "rows": rows,
        "themes": [[k, v] for k, v in theme_labels.items()],
        "topics": topics,
        "page_rows": page_rows,
    }


def _optional_json(path: Path) -> dict | None:
    return read_json(path) if path.exists() else None


def compare_payload(
    compare_dir: Path, theme_labels: dict[str, str], store: PickleStore | None = None
) -> dict | None:
    """Every compared pair as summary lines and three figures; None before `compare` has run.

    A pair's figures are kept in `store` by their inputs: a series gains one pair per dump,
    and building every pair's figures again grew the stage with the history (1.5 s of plotly
    at 20 pairs, 0.07 s from the cache; bench/RESULTS.md, "Start-up, second pass").
    """
    index_path = Path(compare_dir) / "index.json"
    if not index_path.exists():
        log.info("no %s yet: the dashboard shows a placeholder for the comparison", index_path)
        return None
    store = store or PickleStore(None)
    drawing = _drawing_version()
    index = read_json(index_path)
    pairs = []
    for pair_id in index.get("pairs", []):
        path = Path(compare_dir) / f"{pair_id}.json"
        if not path.exists():
            log.warning("%s lists %s but %s is missing: skipped", index_path, pair_id, path)
            continue
        c = read_json(path)
        a, b = c["from"], c["to"]
        name_a, name_b = f"{a['id']} ({a['date']})", f"{b['id']} ({b['date']})"
        counts = {k: c["papers"][k]["count"] for k in ("added", "removed", "kept")}
        shifts = [
            {**s, "label": s.get("label") or theme_labels.get(s["key"], s["key"])}
            for s in c["theme_shifts"]
        ]
        args = (shifts, c["topic_shifts"], c["drift"], name_a, name_b, a["id"], b["id"])
        pairs.append(
            {
                "id": pair_id,
                "label": f"{name_a} → {name_b}",
                "summary": list(c.get("summary", [])),
                "papers": f"{a['n_papers']} → {b['n_papers']} papers: {counts['added']} added, "
                f"{counts['removed']} removed, {counts['kept']} kept.",
                "figures": store.get_or_make(
                    "pair_figures",
                    _figures_key(drawing, args),
                    lambda args=args: pair_figures(*args),
                ),
            }
        )
    return {"pairs": pairs}


def pair_figures(theme_shifts, topic_shifts, drift, name_a, name_b, id_a, id_b) -> dict:
    """One pair's three figures as plotly JSON."""
    figs = {
        "themes": comparison_figures.share_shift_figure(
            theme_shifts, name_a, name_b, "Theme shares"
        ),
        "topics": comparison_figures.share_shift_figure(
            topic_shifts, name_a, name_b, "Topic shares"
        ),
        "sankey": comparison_figures.sankey_figure(drift, id_a, id_b),
    }
    return {k: None if f is None else _fig_json(f) for k, f in figs.items()}


def _drawing_version() -> str:
    """The code that draws a pair's figures and plotly's version, hashed (once per run)."""
    from importlib import metadata

    code = [Path(comparison_figures.__file__), Path(figures.__file__)]
    return content_key(*code, metadata.version("plotly"))


def _figures_key(drawing: str, args) -> str:
    """Everything a pair's figures follow from: their inputs and `_drawing_version`."""
    h = hashlib.sha256(drawing.encode())
    h.update(json.dumps(args, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()[:32]


def render(payload: dict) -> str:
    """The page: template + plotly.js once + the payload as inert, escaped JSON."""
    from plotly.offline import get_plotlyjs

    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], data)
    values = {"PLOTLYJS": get_plotlyjs(), "PAYLOAD": data}
    # One pass over the template: text substituted in is never scanned for placeholders.
    return re.sub(
        r"@@(PLOTLYJS|PAYLOAD)@@", lambda m: values[m.group(1)], TEMPLATE.read_text("utf-8")
    )


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


def _fig_json(fig) -> dict:
    import plotly.io as pio

    return json.loads(pio.to_json(fig, validate=False))


def _read_json(path: Path, producer: str) -> Any:
    from pipeline.errors import StageInputError

    if not path.exists():
        raise StageInputError(f"{path} not found: run `papertrends {producer}` first")
    return read_json(path)
