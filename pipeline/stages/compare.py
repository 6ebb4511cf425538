"""Stage `compare`: what changed between two snapshots (dumps) of the literature.

For each pair: papers added / removed / kept; theme and (global) topic shares with an honest
uncertainty (pipeline.stats.shifts); and topic drift: topics fitted on each snapshot alone,
aligned by topic-embedding similarity (pipeline.topics.drift). Writes
`outputs/compare/<from>__<to>.json`, `topic_map.parquet` and `index.json`.
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.io import read_embeddings, read_table, write_json, write_table
from pipeline.report import digest
from pipeline.snapshots import catalog as sc
from pipeline.stats.series import series_report
from pipeline.stats.shifts import share_shifts, shift_status, summary_lines
from pipeline.themes import definitions
from pipeline.topics import drift

log = logging.getLogger(__name__)


def run(cfg: Config, pair: tuple[str, str] | None = None, out: Path | None = None) -> list[Path]:
    """Compare every consecutive pair of each series (the stage: rewrites outputs/compare/), or
    only `pair` (an ad-hoc look: written to `out`, never into the stage's outputs, so what DVC
    tracks never depends on the history of manual runs). Returns the files written."""
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    dumps = sc.read_dumps(cfg.stage_dir("ingest") / "dumps.json")
    members = snapshot_members(papers, dumps)
    catalog = sc.build_catalog(dumps, {k: len(v) for k, v in members.items()})
    series = sc.series_of(catalog)
    inputs = Upstream(cfg, papers)
    if pair is not None:
        unknown = [s for s in pair if s not in catalog]
        if unknown:
            raise PipelineError(
                f"unknown snapshot(s) {unknown}: choose from {sorted(catalog)} (dump file stems)"
            )
        a, b = pair
        fits = local_fits(cfg, inputs, members, [pair])
        result, _ = compare_pair(cfg, catalog, members, inputs, fits, a, b)
        for line in result["summary"]:
            log.info("%s", line)
        return [write_json(result, (out or Path("comparisons")) / f"{a}__{b}.json")]

    out_dir = cfg.stage_dir("compare")
    shutil.rmtree(out_dir, ignore_errors=True)  # the stage rewrites its folder completely
    written, links = [], {}
    pairs = sc.consecutive_pairs(series)
    fits = local_fits(cfg, inputs, members, pairs)
    for a, b in pairs:
        log.info("comparing %s -> %s", a, b)
        result, links[(a, b)] = compare_pair(cfg, catalog, members, inputs, fits, a, b)
        written.append(write_json(result, out_dir / f"{a}__{b}.json"))
    topic_map = drift.lineage(pairs, fits, links)
    written.append(write_table(topic_map, out_dir / "topic_map.parquet", "topic_map"))
    written += write_series(cfg, out_dir, series, catalog, members, inputs)
    index = {"series": series, "pairs": [f"{a}__{b}" for a, b in sorted(pairs)],
             "snapshots": catalog}  # fmt: skip
    written.append(write_json(index, out_dir / "index.json"))
    log.info("wrote %d comparison(s) to %s", len(pairs), out_dir)
    return written


def write_series(cfg, out_dir: Path, series, catalog, members, inputs) -> list[Path]:
    """Series-level trends (`series.json`) and the digest of each series' latest dump
    (`digest.json` for the dashboard, `digest.md` for a terminal or an email)."""
    alpha = cfg.compare.alpha
    topic_keys = [k for k in inputs.topic_labels if k != "-1"]

    def topics_of(p: str) -> list[str]:
        t = inputs.global_topic.get(p, -1)
        return [] if t == -1 else [str(t)]

    keysets = {
        "themes": (lambda p: inputs.themes.get(p, []), inputs.theme_names, inputs.theme_labels),
        "topics": (topics_of, topic_keys, inputs.topic_labels),
    }
    reports = {
        src: series_report(order, members, keysets, alpha)
        for src, order in series.items()
        if len(order) >= 2
    }
    doc = digest.build(
        series, catalog, members, reports, inputs.papers,
        lambda p: inputs.themes.get(p, []), lambda p: inputs.evidence.get(p, ""),
        inputs.theme_labels,
    )  # fmt: skip
    md = out_dir / "digest.md"
    md.write_text(digest.markdown(doc), encoding="utf-8")
    return [
        write_json({"how_measured": SERIES_HOW, "series": reports}, out_dir / "series.json"),
        write_json(doc, out_dir / "digest.json"),
        md,
    ]


SERIES_HOW = (
    "Per series of two or more dumps (snapshots of one source in date order): `trend` (three "
    "or more dumps) is the Cochran-Armitage test of the share over dump order, two-sided, with "
    "Benjamini-Hochberg across the keys of one series and view; `new` counts the papers each "
    "dump adds to the series, `listed` every paper it lists; `detectable_change_per_snapshot` "
    "is the change in share per dump the test finds with 80% power. `first_vs_latest` and "
    "`latest_vs_previous`: Fisher exact with Newcombe intervals (listed papers)."
)


def snapshot_members(papers: pd.DataFrame, dumps: dict[str, sc.Dump]) -> dict[str, set[str]]:
    """Snapshot id -> ids of the papers it contains."""
    out: dict[str, set[str]] = {}
    for pid, names in zip(papers["paper_id"], papers["dumps"], strict=True):
        for name in list(names):
            out.setdefault(dumps[name].snapshot, set()).add(pid)
    return out


class Upstream:
    """The upstream tables a comparison reads (topics, themes, embeddings), read once."""

    def __init__(self, cfg: Config, papers: pd.DataFrame) -> None:
        self.papers = papers.set_index("paper_id")
        topics_dir, themes_dir = cfg.stage_dir("topics"), cfg.stage_dir("themes")
        assign = read_table(topics_dir / "assignments.parquet", "assignments", producer="topics")
        self.global_topic = dict(zip(assign["paper_id"], assign["topic"].astype(int), strict=True))
        info = read_table(topics_dir / "topic_info.parquet", "topic_info", producer="topics")
        self.topic_labels = {str(int(t)): str(x) for t, x in info[["topic", "label"]].values}
        pt = read_table(themes_dir / "paper_themes.parquet", "paper_themes", producer="themes")
        self.themes = {p: [str(t) for t in ts] for p, ts in pt[["paper_id", "themes"]].values}
        self.evidence = dict(zip(pt["paper_id"], pt["evidence"], strict=True))
        self.theme_names = sorted(
            {c[len("score_") :] for c in pt.columns if c.startswith("score_")}
            | {t for ts in self.themes.values() for t in ts}
        )
        self.theme_labels = definitions.theme_labels(cfg.paths.themes, pt)
        self.embed_dir = cfg.stage_dir("embed")

    def theme_counts(self, ids: set[str]) -> dict[str, int]:
        counts = Counter(t for p in ids for t in self.themes.get(p, []))
        return {name: counts.get(name, 0) for name in self.theme_names}

    def topic_counts(self, ids: set[str]) -> dict[str, int]:
        missing = [p for p in ids if p not in self.global_topic]
        if missing:
            log.warning("%d paper(s) have no global topic, e.g. %s", len(missing), missing[:2])
        counts = Counter(self.global_topic.get(p, -1) for p in ids)
        return {k: counts.get(int(k), 0) for k in self.topic_labels if k != "-1"}


def _items(papers: pd.DataFrame, ids: set[str]) -> dict:
    rows = sorted((str(papers.at[p, "title"]), p) for p in ids)
    return {"count": len(rows), "items": [{"paper_id": p, "title": t} for t, p in rows]}


def local_fits(cfg: Config, inputs: Upstream, members, pairs) -> dict:
    """Topics fitted on each snapshot of `pairs` alone (None below
    `compare.min_drift_papers`: a page of 60 papers has no topic structure of its own)."""
    fits = {}
    for sid in dict.fromkeys(s for pair in pairs for s in pair):
        ids = sorted(members.get(sid, set()))
        if len(ids) < cfg.compare.min_drift_papers:
            fits[sid] = None
            continue
        _, emb = read_embeddings(inputs.embed_dir, ids)
        texts = inputs.papers.loc[ids, "text"].astype(str).tolist()
        fits[sid] = drift.fit_local(cfg, ids, texts, emb, inputs.global_topic)
    return fits


def compare_pair(cfg, catalog, members, inputs, fits, a: str, b: str) -> tuple[dict, list]:
    """The JSON document for one pair, and its drift links."""
    ids_a, ids_b = members.get(a, set()), members.get(b, set())
    n_a, n_b = len(ids_a), len(ids_b)
    alpha = cfg.compare.alpha
    themes = share_shifts(
        inputs.theme_counts(ids_a),
        n_a,
        inputs.theme_counts(ids_b),
        n_b,
        labels=inputs.theme_labels,
        alpha=alpha,
    )
    topics = share_shifts(
        inputs.topic_counts(ids_a),
        n_a,
        inputs.topic_counts(ids_b),
        n_b,
        labels=inputs.topic_labels,
        alpha=alpha,
    )
    for row in topics:
        row["status"] = shift_status(row)
    drift_doc, links = drift.drift(fits, a, b, cfg)
    added, removed, kept = ids_b - ids_a, ids_a - ids_b, ids_a & ids_b
    summary = [
        f"{len(added)} papers added, {len(removed)} removed, {len(kept)} kept "
        f"({n_a} papers on {catalog[a]['date']} -> {n_b} on {catalog[b]['date']})."
    ]
    summary += summary_lines(themes, topics, alpha)
    summary.append(drift_doc.pop("summary"))
    return {
        "from": {"id": a, **catalog[a]},
        "to": {"id": b, **catalog[b]},
        "summary": summary,
        "papers": {
            "added": _items(inputs.papers, added),
            "removed": _items(inputs.papers, removed),
            "kept": _items(inputs.papers, kept),
        },
        "theme_shifts": themes,
        "topic_shifts": topics,
        "drift": drift_doc,
    }, links
