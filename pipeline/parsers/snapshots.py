"""Snapshot metadata: each dump's source (which series it belongs to) and date.

`configs/snapshots.yaml` may pin both per snapshot id (the dump's file stem); whatever it does
not pin is inferred here from the parsed dumps (see `dates.infer_dump_date`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import ConfigError
from pipeline.parsers.base import ParsedDump
from pipeline.parsers.dates import DumpDate, PrintedDate, corroborated_years, infer_dump_date
from pipeline.textclean import title_key

log = logging.getLogger(__name__)
_SUFFIXES = (".gz", ".txt", ".csv", ".jsonl", ".json")
_PIN_KEYS = {"source", "date", "note"}


def snapshot_id(name: str) -> str:
    """The dump's file name without its data suffixes: `a.jsonl.gz` -> `a`."""
    stem = name
    while stem.lower().endswith(_SUFFIXES):
        stem = stem[: stem.rfind(".")]
    return stem


@dataclass
class Pin:
    source: str | None = None
    date: str | None = None
    note: str | None = None


def load_pins(path: Path) -> dict[str, Pin]:
    if not Path(path).exists():
        log.info("%s not found: every snapshot's source and date are inferred", path)
        return {}
    try:
        raw = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    snaps = raw.get("snapshots", {}) if isinstance(raw, dict) else None
    if not isinstance(snaps, dict):
        raise ConfigError(f"{path}: expected a mapping 'snapshots: {{<id>: {{source, date}}}}'")
    pins: dict[str, Pin] = {}
    for sid, spec in snaps.items():
        spec = spec or {}
        if not isinstance(spec, dict) or set(spec) - _PIN_KEYS:
            raise ConfigError(f"{path}: snapshot {sid}: allowed keys are {sorted(_PIN_KEYS)}")
        date = spec.get("date")
        if date is not None:
            try:
                date = dt.date.fromisoformat(str(date)).isoformat()
            except ValueError as e:
                raise ConfigError(f"{path}: snapshot {sid}: date {date!r} is not YYYY-MM-DD") from e
        pins[str(sid)] = Pin(spec.get("source"), date, spec.get("note"))
    return pins


def default_source(layout: str, header: dict, sid: str) -> str:
    if layout == "daily_papers":
        return "daily-papers search"
    if layout in ("author_profile", "compact_profile"):
        return f"author profile: {header['name']}" if header.get("name") else f"{layout}: {sid}"
    return f"export: {sid}"


@dataclass
class Snapshot:
    """Source and date of one dump, with how they were decided."""

    id: str
    source: str
    date: str | None
    inferred: DumpDate
    pinned_date: str | None = None
    conflicts: list[str] = field(default_factory=list)


def _dated_titles(parsed: ParsedDump) -> list[tuple[str, PrintedDate]]:
    from pipeline.parsers.dates import parse_printed

    out = []
    for rec in parsed.records:
        d = parse_printed(rec["date_raw"]) if rec["date_raw"] else None
        if d is not None:
            out.append((title_key(rec["title"]), d))
    return out


def text_snapshots(dumps: dict[str, ParsedDump], pins: dict[str, Pin]) -> dict[str, Snapshot]:
    """Sources and dates of the text dumps; the same paper across dumps corroborates years."""
    dated = {name: _dated_titles(p) for name, p in dumps.items()}
    snaps: dict[str, Snapshot] = {}
    for name, parsed in dumps.items():
        others = [x for other, xs in dated.items() if other != name for x in xs]
        votes: Counter = corroborated_years(dated[name], others)
        inferred = infer_dump_date(parsed.header_date, [d for _, d in dated[name]], votes)
        snaps[name] = resolve(name, parsed.layout, parsed.header, inferred, pins)
        check_pin(snaps[name], [d for _, d in dated[name]])
    return snaps


def resolve(name: str, layout: str, header: dict, inferred: DumpDate, pins: dict) -> Snapshot:
    sid = snapshot_id(name)
    pin = pins.get(sid, Pin())
    snap = Snapshot(
        sid, pin.source or default_source(layout, header, sid), pin.date or inferred.date,
        inferred, pinned_date=pin.date,
    )  # fmt: skip
    if pin.date and inferred.date and pin.date != inferred.date:
        what = "a lower bound" if inferred.lower_bound else "the inferred date"
        if inferred.lower_bound and pin.date > inferred.date:
            log.info("%s: pinned date %s is after %s %s", sid, pin.date, what, inferred.date)
        else:
            snap.conflicts.append(f"pinned date {pin.date} differs from {what} {inferred.date}")
    return snap


def check_pin(snap: Snapshot, dates: list[PrintedDate]) -> None:
    """A pinned date must agree with the site's year rule, or dates would be misread."""
    if not snap.pinned_date:
        return
    pinned = dt.date.fromisoformat(snap.pinned_date)
    same_year = [d for d in dates if d.year == pinned.year]
    if same_year:
        snap.conflicts.append(
            f"pinned year {pinned.year} is printed on {len(same_year)} entry date(s); the site "
            "prints the year only for other years"
        )
    late = [d for d in dates if d.year is None and (d.month, d.day) > (pinned.month, pinned.day)]
    if late:
        snap.conflicts.append(f"{len(late)} year-less entry date(s) fall after the pinned date")
    for c in snap.conflicts:
        log.warning("%s: %s", snap.id, c)
