"""Snapshots: which dumps exist, their source, their dump date, and the series they form.

A snapshot is one dump, named by its file stem. Its dump date comes from ingest's inference
(`outputs/ingest/dumps.json`) unless `configs/snapshots.yaml` pins it; its source comes from
`configs/snapshots.yaml`, or else from the dump's layout and header. Snapshots of one source,
in date order, form a series; the compare stage compares neighbours in a series.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

_SUFFIXES = (".gz", ".txt", ".csv", ".jsonl", ".json", ".tsv")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def snapshot_id(dump_name: str) -> str:
    """`002_f26e.txt` -> `002_f26e`; `x.csv.gz` -> `x` (every known suffix is stripped)."""
    name = Path(str(dump_name)).name
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name, changed = name[: -len(suffix)], True
    return name


def snapshot_order(dumps: dict[str, dict]) -> dict[str, tuple[str, str]]:
    """dump name -> sort key (dump date, snapshot id) from ingest's dumps.json `dumps` mapping;
    undated dumps sort last. The one definition of "earlier dump" (clean, topics)."""
    return {
        name: (d.get("date") or "9999-99-99", d.get("snapshot") or snapshot_id(name))
        for name, d in dumps.items()
    }


def dump_order(dumps: dict[str, dict]) -> list[str]:
    """Snapshot ids, earliest dump first."""
    return [key[1] for key in sorted(set(snapshot_order(dumps).values()))]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:10] if _DATE.match(text) else None


def _entries(raw: Any) -> dict[str, dict]:
    """Per-dump mappings from dumps.json, keyed by snapshot id, whatever its outer shape."""
    if isinstance(raw, dict) and isinstance(raw.get("dumps"), list | dict):
        raw = raw["dumps"]
    items: list[tuple[str, dict]] = []
    if isinstance(raw, dict):
        items = [(str(k), v) for k, v in raw.items() if isinstance(v, dict)]
    elif isinstance(raw, list):
        for v in raw:
            if isinstance(v, dict):
                name = v.get("dump") or v.get("file") or v.get("name") or v.get("id")
                if name:
                    items.append((str(name), v))
    return {snapshot_id(k): v for k, v in items}


def _dump_date(entry: dict) -> str | None:
    for key in ("dump_date", "date", "inferred_date", "snapshot_date"):
        value = entry.get(key)
        if isinstance(value, dict):
            value = value.get("date") or value.get("value")
        if _iso(value):
            return _iso(value)
    return None


def _default_source(sid: str, entry: dict) -> str:
    """A source for dumps that snapshots.yaml does not name: layout plus whose page it is."""
    layout = str(entry.get("layout") or "")
    header = entry.get("header") if isinstance(entry.get("header"), dict) else {}
    if layout == "daily_papers":
        return "daily-papers search"
    if layout in ("author_profile", "compact_profile"):
        name = header.get("name") or entry.get("name")
        if name:
            return f"author profile: {name}"
    # Unknown provenance: a series of its own, so it is never compared by guesswork.
    return f"dump: {sid}"


def load_snapshots_yaml(path: Path) -> dict[str, dict]:
    """Per-snapshot settings (`source`, `date`) keyed by snapshot id; {} when the file is absent."""
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if isinstance(raw, dict) and "snapshots" in raw:
        raw = raw["snapshots"] or {}
    if isinstance(raw, list):
        raw = {
            str(v.get("dump") or v.get("id") or v.get("file")): v
            for v in raw
            if isinstance(v, dict)
        }
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of dump name -> {{source, date}}")
    return {snapshot_id(k): (v or {}) for k, v in raw.items() if isinstance(v, dict | type(None))}


def build_catalog(dumps: Any, pinned: dict[str, dict], counts: dict[str, int]) -> dict[str, dict]:
    """{id: {"source", "date", "n_papers"}} for every snapshot that has papers or a dumps entry."""
    entries = _entries(dumps)
    catalog = {}
    for sid in sorted(set(entries) | set(counts)):
        entry, pin = entries.get(sid, {}), pinned.get(sid, {})
        date = _iso(pin.get("date")) or _dump_date(entry)
        if date is None:
            log.warning("snapshot %s has no dump date: pin one in configs/snapshots.yaml", sid)
        source = pin.get("source") or entry.get("source") or _default_source(sid, entry)
        catalog[sid] = {"source": str(source), "date": date, "n_papers": int(counts.get(sid, 0))}
    return catalog


def series_of(catalog: dict[str, dict]) -> dict[str, list[str]]:
    """Snapshot ids grouped by source, each group in date order (undated last, then by id)."""
    series: dict[str, list[str]] = {}
    for sid, info in catalog.items():
        series.setdefault(info["source"], []).append(sid)
    for ids in series.values():
        ids.sort(key=lambda s: (catalog[s]["date"] is None, catalog[s]["date"] or "", s))
    return dict(sorted(series.items()))


def consecutive_pairs(series: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(ids[k], ids[k + 1]) for ids in series.values() for k in range(len(ids) - 1)]
