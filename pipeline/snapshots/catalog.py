"""Snapshots as the later stages see them: the one reader of ingest's `dumps.json`.

A snapshot is one dump. `ingest` decides each dump's snapshot id, dump date (a pin in
configs/snapshots.yaml wins; see pipeline/snapshots/metadata.py) and source, and writes them to
`outputs/ingest/dumps.json`; every later stage reads them here, typed, instead of re-deriving
them. Snapshots of one source, in date order, form a series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import StageInputError
from pipeline.io import read_json

UNDATED = "9999-99-99"  # sorts after every date


@dataclass(frozen=True)
class Dump:
    name: str  # the file name in seeds/
    snapshot: str  # its snapshot id (the file stem)
    date: str | None  # YYYY-MM-DD, None when ingest could not date it
    source: str  # the series it belongs to
    layout: str


@dataclass
class DumpReport:
    """One dump's entry in dumps.json, as ingest writes it: the same fields for a text dump, an
    export and an unreadable file (whose fields ingest could not learn stay empty)."""

    layout: str | None
    entries: int | None  # entries found (None: the file could not be read)
    records: int
    rejects: int
    status: str = "read"  # or "unreadable": the whole file is one reject
    error: str | None = None
    header: dict[str, Any] = field(default_factory=dict)
    stated_count: int | None = None  # papers the page's header says it lists
    count_matches: bool | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    undated_records: int = 0
    date_range: list[str | None] = field(default_factory=lambda: [None, None])
    # how the dump was placed in its series (pipeline/snapshots/metadata.py)
    snapshot: str | None = None
    source: str | None = None
    date: str | None = None
    date_inferred: str | None = None
    date_pinned: str | None = None
    date_is_lower_bound: bool = False
    date_assumed: bool = False
    date_assumption: str | None = None
    date_reasoning: list[str] = field(default_factory=list)
    date_conflicts: list[str] = field(default_factory=list)
    refused_dates: list[dict[str, Any]] = field(default_factory=list)


def read_dumps(path: Path) -> dict[str, Dump]:
    """dumps.json's dumps by file name; a clear error if the file or a field is missing.
    Unreadable dumps gave no papers and are left out."""
    path = Path(path)
    if not path.exists():
        raise StageInputError(f"{path} not found: run `papertrends ingest`")
    try:
        entries = read_json(path)["dumps"]
        return {
            name: Dump(name, e["snapshot"], e.get("date"), e["source"], e.get("layout", ""))
            for name, e in entries.items()
            if e.get("status") != "unreadable"
        }
    except (KeyError, TypeError, AttributeError) as e:
        raise StageInputError(f"{path}: not a dumps.json written by ingest ({e!r})") from e


def snapshot_order(dumps: dict[str, Dump]) -> dict[str, tuple[str, str]]:
    """dump name -> sort key (dump date, snapshot id); undated dumps sort last. The one
    definition of "earlier dump" (clean keeps the newest text, topics replays in this order)."""
    return {name: (d.date or UNDATED, d.snapshot) for name, d in dumps.items()}


def snapshot_rank(order: dict[str, tuple[str, str]]) -> dict[str, int]:
    """dump name -> position of its snapshot in `snapshot_order` (dumps of one snapshot tie)."""
    keys = {key: k for k, key in enumerate(sorted(set(order.values())))}
    return {dump: keys[key] for dump, key in order.items()}


def dump_order(dumps: dict[str, Dump]) -> list[str]:
    """Snapshot ids, earliest dump first."""
    return [key[1] for key in sorted(set(snapshot_order(dumps).values()))]


def latest_date(dumps: dict[str, Dump]) -> str | None:
    dates = sorted(d.date for d in dumps.values() if d.date)
    return dates[-1] if dates else None


def build_catalog(dumps: dict[str, Dump], counts: dict[str, int]) -> dict[str, dict]:
    """{snapshot id: {"source", "date", "n_papers"}} for every dump."""
    return {
        d.snapshot: {"source": d.source, "date": d.date, "n_papers": int(counts.get(d.snapshot, 0))}
        for d in sorted(dumps.values(), key=lambda d: d.snapshot)
    }


def series_of(catalog: dict[str, dict]) -> dict[str, list[str]]:
    """Snapshot ids grouped by source, each group in date order (undated last, then by id)."""
    series: dict[str, list[str]] = {}
    for sid, info in catalog.items():
        series.setdefault(info["source"], []).append(sid)
    for ids in series.values():
        ids.sort(key=lambda s: (catalog[s]["date"] or UNDATED, s))
    return dict(sorted(series.items()))


def consecutive_pairs(series: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(ids[k], ids[k + 1]) for ids in series.values() for k in range(len(ids) - 1)]
