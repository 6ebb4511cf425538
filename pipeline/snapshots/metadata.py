"""Snapshot metadata: each dump's source (which series it belongs to) and date.

`configs/snapshots.yaml` may pin both per snapshot id (the dump's file stem); whatever it does
not pin is inferred here from the parsed dumps (see `dates.infer_dump_date`), or assumed from
the file's timestamp when nothing printed settles the year (`dates.assume_date`). Entry dates
that cannot be true are refused here, before they can be evidence, and `resolve_dates` gives
the records their ISO dates.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError, InputDataError
from pipeline.parsers.base import ParsedDump
from pipeline.parsers.dates import (
    EARLIEST_TIMESTAMP,
    DumpDate,
    PrintedDate,
    assume_date,
    corroborated_years,
    infer_dump_date,
    parse_printed,
)
from pipeline.textclean import title_key
from pipeline.yaml_file import read_yaml

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
    raw = read_yaml(path, "snapshots file")
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
    # entry dates that cannot be true: {"index", "line", "date_raw", "reason"}
    refused: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Dated:
    """One entry's printed date, and its title key to meet the same paper in other dumps."""

    index: int
    line: int
    raw: str
    date: PrintedDate
    key: str


def dated_entries(parsed: ParsedDump) -> list[Dated]:
    out = []
    for rec in parsed.records:
        d = parse_printed(rec["date_raw"]) if rec["date_raw"] else None
        if d is not None:
            line = rec.get("_date_line", rec["line"])  # a block's date line (Daily Papers)
            out.append(Dated(rec["index"], line, rec["date_raw"], d, title_key(rec["title"])))
    return out


def text_snapshots(
    dumps: dict[str, ParsedDump], pins: dict[str, Pin], today: dt.date,
    saved: dict[str, dt.date] | None = None,
) -> dict[str, Snapshot]:  # fmt: skip
    """Sources and dates of the text dumps; the same paper across dumps corroborates years.

    Dates that cannot be true (after a pinned date or after the run's date) are refused
    first, so they are evidence neither here nor for another dump; `saved` (file timestamps)
    only serves pages that print no year at all (`dates.assume_date`).
    """
    dated = {name: dated_entries(p) for name, p in dumps.items()}
    early = {name: refuse_early(dated[name], pins, name, today) for name in dumps}
    usable = {name: [e for e in dated[name] if e.index not in early[name]] for name in dumps}
    snaps: dict[str, Snapshot] = {}
    for name, parsed in dumps.items():
        others = [(e.key, e.date) for o, es in usable.items() if o != name for e in es]
        limit = clock_limit(today, (saved or {}).get(name))
        snap = date_dump(name, parsed, (usable[name], others), pins, today, limit)
        snap.refused = sorted([*early[name].values(), *snap.refused], key=lambda r: r["index"])
        if snap.refused:
            snap.inferred.reasoning.append(
                f"{len(snap.refused)} entry date(s) refused as impossible (refused_dates): "
                "not used as evidence for the dump's year"
            )
        check_pin(snap, [e.date for e in dated[name]])
        snaps[name] = snap
    return snaps


def clock_limit(today: dt.date, saved: dt.date | None) -> tuple[dt.date, str]:
    """The latest day a page can have been saved, and what says so."""
    if saved is None or saved < EARLIEST_TIMESTAMP or saved >= today:
        return today, f"the run's date {today}"
    return saved, f"the file's timestamp {saved}"


def date_dump(
    name: str, parsed: ParsedDump, evidence: tuple[list[Dated], list], pins: dict,
    today: dt.date, limit: tuple[dt.date, str],
) -> Snapshot:  # fmt: skip
    """Infer, resolve, and refuse the dates after the result; a refused date that printed a
    year was evidence, so the inference runs again without it."""
    own, others = evidence
    refused: dict[int, dict] = {}
    while True:
        votes: Counter = corroborated_years([(e.key, e.date) for e in own], others)
        inferred = infer_dump_date(parsed.header_date, [e.date for e in own], votes)
        if inferred.year is None:
            assumed = assume_date(parsed.header_date, [e.date for e in own], *limit)
            if assumed is not None:
                assumed.reasoning[:0] = inferred.reasoning
                inferred = assumed
        snap = resolve(name, parsed.layout, parsed.header, inferred, pins)
        late = refuse_late(own, snap, today)
        refused.update(late)
        if not any(e.date.year is not None for e in own if e.index in late):
            break
        own = [e for e in own if e.index not in late]
    snap.refused = list(refused.values())
    return snap


def refuse_early(entries: list[Dated], pins: dict, name: str, today: dt.date) -> dict:
    """Dates that print a year after the pinned date, or after the run's date."""
    pin = pins.get(snapshot_id(name))
    if pin and pin.date:
        return _refuse(entries, None, pin.date, f"after the dump's pinned date {pin.date}")
    return _refuse(entries, None, _tomorrow(today), f"after the run's date {today}")


def refuse_late(entries: list[Dated], snap: Snapshot, today: dt.date) -> dict:
    """Dates (year-less ones read in the dump's year) after the dump's date where that is
    exact, else after the run's date."""
    year = int(snap.date[:4]) if snap.date else None
    if snap.date and (snap.pinned_date or not snap.inferred.lower_bound):
        how = (
            "pinned" if snap.pinned_date else "assumed" if snap.inferred.assumption else "inferred"
        )
        return _refuse(entries, year, snap.date, f"after the dump's {how} date {snap.date}")
    return _refuse(entries, year, _tomorrow(today), f"after the run's date {today}")


def _tomorrow(today: dt.date) -> str:
    return (today + dt.timedelta(days=1)).isoformat()  # one day of slack for time zones


def _refuse(entries: list[Dated], year: int | None, ceiling: str, because: str) -> dict:
    out = {}
    for e in entries:
        iso = e.date.iso(year)
        if iso is not None and iso > ceiling:
            out[e.index] = {"index": e.index, "line": e.line, "date_raw": e.raw,
                            "reason": f"date {e.raw!r} ({iso}) is {because}"}  # fmt: skip
    return out


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


def check_refused(files: list[Path], snaps: dict[str, Snapshot]) -> None:
    """A strict run stops at the first entry date that cannot be true, in file order."""
    for path in files:
        snap = snaps.get(path.name)
        if snap is not None and snap.refused:
            first = snap.refused[0]
            raise InputDataError(
                path, first["line"], first["reason"],
                "a date on or before the dump's date (correct the entry, or the pin in "
                "configs/snapshots.yaml)",
            )  # fmt: skip


def resolve_dates(parsed: ParsedDump, snap: Snapshot) -> None:
    """ISO dates for records; a missing year is the dump's year (the site's rule). A refused
    date leaves its record undated; `date_raw` still shows what was printed."""
    year = int(snap.date[:4]) if snap.date else None
    refused = {r["index"] for r in snap.refused}
    for rec in parsed.records:
        rec.pop("_date_line", None)
        printed = parse_printed(rec["date_raw"]) if rec["date_raw"] else None
        if printed is not None and rec["index"] not in refused:
            rec["date"] = printed.iso(year)
