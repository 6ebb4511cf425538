""" "Since your last dump": for the latest snapshot of each series, what is new and what moved.

`build` gathers it as plain data (the dashboard draws it); `markdown` renders the same data for
a terminal or an email (`outputs/compare/digest.md`).
"""

from __future__ import annotations

from pipeline.date_precision import shown_date
from pipeline.stats.series import describe_trend, snapshot_views

MAX_TITLES = 10  # per theme; the rest is counted


def theme_reason(evidence: str, theme: str) -> str:
    """The part of a paper's evidence that speaks of `theme` (or its human label)."""
    parts = [p.strip() for p in str(evidence).split(" | ")]
    human = [p for p in parts if p.startswith("human label")]
    mine = [p for p in parts if p.startswith(f"{theme} ")]
    return "; ".join(human + mine) or "no evidence recorded"


def build(series: dict, catalog: dict, members: dict, reports: dict, papers, themes_of,
          evidence_of, theme_labels: dict) -> dict:  # fmt: skip
    """`reports`: source -> stats.series.series_report (for series of two or more dumps)."""
    out = []
    for source, order in series.items():
        latest = order[-1]
        report = reports.get(source, {"snapshots": order})
        new = snapshot_views(order, members)["new"][latest]
        new_ids = sorted(new, key=lambda p: (str(papers.at[p, "title"]), p))
        entry = {
            "source": source,
            "latest": {"id": latest, **catalog[latest], "n_new": len(new_ids)},
            "n_snapshots": len(order),
            "new_by_theme": _new_by_theme(new_ids, papers, themes_of, evidence_of, theme_labels),
            "moved": _moved(report),
            "new_topics": report.get("topics", {}).get("appeared_in_latest", []),
        }
        out.append(entry)
    # The most recent dump first: that is the one the user just added.
    out.sort(key=lambda e: (e["latest"]["date"] is None, _neg(e["latest"]["date"]), e["source"]))
    return {"series": out}


def _neg(date: str | None) -> tuple:
    return tuple(-ord(c) for c in date or "")


def _new_by_theme(new_ids, papers, themes_of, evidence_of, theme_labels) -> list[dict]:
    rows = []
    for theme, label in theme_labels.items():
        ids = [p for p in new_ids if theme in themes_of(p)]
        rows.append(
            {
                "theme": theme,
                "label": label,
                "count": len(ids),
                "papers": [
                    {
                        "title": str(papers.at[p, "title"]),
                        "date": shown_date(
                            _str(papers.at[p, "date"]), papers.at[p, "date_precision"]
                        ),
                        "why": theme_reason(evidence_of(p), theme),
                    }
                    for p in ids[:MAX_TITLES]
                ],
            }
        )
    return rows


def _str(value) -> str | None:
    return None if value is None or value != value else str(value)


def _moved(report: dict) -> list[str]:
    """Supported movements: series trends first (new papers, then listed), then the last pair."""
    lines = []
    for kind in ("themes", "topics"):
        doc = report.get(kind, {})
        for view in ("new", "listed"):
            for row in doc.get("trend", {}).get(view, []):
                if row["trend"] != "none":
                    lines.append(f"{kind[:-1]} {describe_trend(row, view)}")
        for row in doc.get("latest_vs_previous", []):
            if row["significant"]:
                lines.append(
                    f"{kind[:-1]} {row['label']}: {row['from_count']}/{row['from_total']} -> "
                    f"{row['to_count']}/{row['to_total']} since the previous dump "
                    f"(Fisher, FDR q={row['q_value']:.2g})"
                )
    if not lines:
        lines.append(_quiet(report))
    return lines


def _quiet(report: dict) -> str:
    if len(report["snapshots"]) < 2:
        return "First dump of this series: nothing to compare with yet."
    rows = report.get("themes", {}).get("trend", {}).get("new", [])
    if rows:
        return "No theme or topic moved beyond chance. " + describe_trend(rows[0], "new")
    return "No theme or topic moved beyond chance since the previous dump (two dumps only)."


def markdown(digest: dict) -> str:
    lines = ["# Since your last dump", ""]
    for s in digest["series"]:
        lt = s["latest"]
        lines += [
            f"## {s['source']}",
            "",
            f"Latest dump `{lt['id']}` ({lt['date'] or 'undated'}): {lt['n_papers']} papers, "
            f"{lt['n_new']} new to this series ({s['n_snapshots']} "
            f"{'dump' if s['n_snapshots'] == 1 else 'dumps'} in the series).",
            "",
            "### What moved",
            "",
            *[f"- {line}" for line in s["moved"]],
            "",
        ]
        if s["new_topics"]:
            lines += ["### New topics", ""]
            lines += [f"- {t['label']} ({t['count']} papers)" for t in s["new_topics"]]
            lines.append("")
        lines += ["### New papers by theme", ""]
        for t in s["new_by_theme"]:
            lines.append(f"**{t['label']}**: {t['count']} new")
            lines += [
                f"- {p['title']} ({p['date'] or 'undated'}) — {p['why']}" for p in t["papers"]
            ]
            if t["count"] > len(t["papers"]):
                lines.append(f"- ... and {t['count'] - len(t['papers'])} more")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
