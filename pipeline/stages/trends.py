"""Stage `trends`: per-period counts and shares of every theme and topic, trend tests over the
recent window, and rising topics. Their PNG charts for `dvc plots show` are drawn by the
dashboard stage, in the browser it starts for its screenshot anyway.

"Now" is the latest dump date, not the wall clock, so the same inputs give the same outputs.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import Config
from pipeline.errors import StageInputError
from pipeline.io import read_table, write_json
from pipeline.report import naming
from pipeline.snapshots.catalog import latest_date, read_dumps
from pipeline.stats import periods
from pipeline.themes import definitions

log = logging.getLogger(__name__)


def run(cfg: Config) -> dict[str, Any]:
    """Write the series and summary.json; return the summary."""
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    papers = papers.drop_duplicates("paper_id")
    assignments = read_table(
        cfg.stage_dir("topics") / "assignments.parquet", "assignments", producer="topics"
    )
    info = read_table(cfg.stage_dir("topics") / "topic_info.parquet", "topic_info", "topics")
    themes = read_table(
        cfg.stage_dir("themes") / "paper_themes.parquet", "paper_themes", producer="themes"
    )
    now, now_source = reference_date(cfg.stage_dir("ingest") / "dumps.json", papers)
    theme_labels = definitions.theme_labels(cfg.paths.themes, themes)
    topic_labels = naming.topic_label_map(info)

    theme_members = themes[["paper_id", "themes"]].explode("themes").dropna()
    theme_members = theme_members.rename(columns={"themes": "key"})
    topic_members = assignments[["paper_id", "topic"]].assign(key=lambda d: d["topic"].astype(str))

    out = cfg.stage_dir("trends")
    shutil.rmtree(out, ignore_errors=True)  # rewritten completely: nothing stale survives
    out.mkdir(parents=True)
    args = {"freq": cfg.trends.freq, "now": now, "min_period_papers": cfg.trends.min_period_papers}
    theme_series = periods.period_series(papers, theme_members, list(theme_labels), **args)
    topic_series = periods.period_series(papers, topic_members, list(topic_labels), **args)
    theme_series.to_csv(out / "theme_series.csv", index=False, lineterminator="\n")
    topic_series.to_csv(out / "topic_series.csv", index=False, lineterminator="\n")

    # Periods come from either table; with no theme configured the theme grid is empty.
    base = theme_series if not theme_series.empty else topic_series
    window = periods.recent_window(base, cfg.trends.recent_periods)
    theme_stats = periods.window_stats(theme_series, window, cfg.trends.alpha)
    topic_stats = periods.window_stats(topic_series, window, cfg.trends.alpha)
    # Outliers are not a topic: test them (a rising outlier share says the model is ageing)
    # but keep them out of the family corrected together and out of the rising list.
    outlier_stats = topic_stats.pop("-1", None)
    periods.adjust_p(theme_stats, cfg.trends.adjust)
    periods.adjust_p(topic_stats, cfg.trends.adjust)
    for key, s in theme_stats.items():
        s["label"] = theme_labels[key]
    for key, s in topic_stats.items():
        s["label"] = topic_labels[key]

    undated = int(papers["date"].isna().sum())
    coarse = periods.unplaced(papers, cfg.trends.freq)
    summary = {
        "freq": cfg.trends.freq,
        "now": now,
        "now_source": now_source,
        "papers": len(papers),
        "dated": len(papers) - undated - coarse,
        "undated": undated,
        # dated to the year (or month) only: in no period of this frequency
        "coarse_dates": coarse,
        "periods": _period_summary(base),
        "window": {"periods": window, "recent_periods": cfg.trends.recent_periods},
        "alpha": cfg.trends.alpha,
        "p_adjust": cfg.trends.adjust,
        "method": "Theil-Sen slope of the share per period with Sen's interval and the "
        "Mann-Kendall test (tie and continuity corrected) over the window, small periods left out",
        "themes": theme_stats,
        "topics": topic_stats,
        "outliers": outlier_stats,
        "rising_themes": periods.rising(theme_stats, cfg.trends.alpha, theme_labels),
        "rising_topics": periods.rising(topic_stats, cfg.trends.alpha, topic_labels),
    }
    write_json(summary, out / "summary.json")
    if undated:
        log.warning("%d of %d papers have no date: counted in summary.json", undated, len(papers))
    if coarse:
        log.warning(
            "%d papers are dated to the year or month only: left out of the %s series",
            coarse, cfg.trends.freq,
        )  # fmt: skip
    log.info(
        "trends: %d periods, %d rising topics, %d undated papers; wrote %s",
        summary["periods"]["n"],
        len(summary["rising_topics"]),
        undated,
        out,
    )
    return summary


def reference_date(dumps_json: Path, papers: pd.DataFrame) -> tuple[str, str]:
    """The latest dump date (what "now" means for partial periods), and where it came from."""
    latest = latest_date(read_dumps(dumps_json)) if Path(dumps_json).exists() else None
    if latest:
        return latest, f"latest dump date in ingest/{Path(dumps_json).name}"
    dated = pd.to_datetime(papers["date"], errors="coerce", format="ISO8601").dropna()
    if dated.empty:
        raise StageInputError(
            f"{dumps_json}: no dump date, and no paper has a date: run `papertrends ingest`"
        )
    log.warning("%s gives no dump date: treating the latest paper date as now", dumps_json)
    return dated.max().date().isoformat(), "latest paper date (no dump date found)"


def _period_summary(series: pd.DataFrame) -> dict[str, Any]:
    per = series.drop_duplicates("period").sort_values("period")
    return {
        "n": len(per),
        "first": per["period"].iloc[0] if len(per) else None,
        "last": per["period"].iloc[-1] if len(per) else None,
        "partial": per.loc[per["partial"], "period"].tolist(),
        "small": per.loc[per["small"], "period"].tolist(),
    }
