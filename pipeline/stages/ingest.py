"""Stage `ingest`: every dump in the seeds folder -> outputs/ingest/.

Writes `records.parquet` (one row per entry per dump), `extras.parquet` (export columns
beyond the record's), `dumps.json` (per dump: layout, header, dates and counts) and
`rejects.jsonl` (lenient mode: what could not be parsed, and why). Text dumps are small and
are parsed first, on the configured engine (here or on Dask workers, one task per dump),
because one dump's dates help date another; exports are streamed here in chunks.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import Config
from pipeline.engine import open_engine
from pipeline.errors import InputDataError
from pipeline.io import SCHEMAS, write_json
from pipeline.parsers import (
    TABULAR_LAYOUTS,
    ParsedDump,
    parse_text_bytes,
    read_bytes,
    sniff_layout,
)
from pipeline.parsers.dates import DumpDate
from pipeline.parsers.tabular import TabularSummary, read_chunks
from pipeline.snapshots.catalog import DumpReport
from pipeline.snapshots.metadata import (
    Snapshot,
    check_refused,
    load_pins,
    resolve,
    resolve_dates,
    snapshot_id,
    text_snapshots,
)

log = logging.getLogger(__name__)

RECORDS_SCHEMA = pa.schema(
    [
        ("dump", pa.string()), ("index", pa.int64()), ("line", pa.int64()),
        ("layout", pa.string()), ("title", pa.string()), ("authors", pa.list_(pa.string())),
        ("authors_truncated", pa.bool_()), ("n_authors", pa.int64()), ("org", pa.string()),
        ("category", pa.string()), ("date_raw", pa.string()), ("date", pa.string()),
        ("date_has_year", pa.bool_()), ("date_precision", pa.string()), ("has_code", pa.bool_()),
        ("upvotes", pa.int64()), ("score", pa.float64()), ("abstract", pa.string()),
    ]
)  # fmt: skip
EXTRAS_SCHEMA = pa.schema([("dump", pa.string()), ("index", pa.int64()), ("extra", pa.string())])
assert RECORDS_SCHEMA.names == SCHEMAS["records"], "records schema out of step with io.SCHEMAS"


def list_dumps(seeds: Path, patterns: list[str]) -> list[Path]:
    if not seeds.is_dir():
        raise InputDataError(seeds, None, "seeds folder not found", "a folder of dumps")
    files = sorted({p for pat in patterns for p in seeds.glob(pat) if p.is_file()})
    if not files:
        raise InputDataError(seeds, None, "no dump found", f"files matching {patterns}")
    return files


class TableSink:
    """Appends batches to a parquet file under a temporary name; `close` publishes it."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.schema = path, schema
        self.tmp = path.with_name(path.name + ".tmp")
        self.writer = pq.ParquetWriter(self.tmp, schema)
        self.rows = 0

    def write(self, rows: list[dict]) -> None:
        if rows:
            self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))
            self.rows += len(rows)

    def close(self) -> None:
        self.writer.close()
        self.tmp.replace(self.path)


def run(cfg: Config, lenient: bool | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """Ingest every dump; `today` (the run's date, default the machine's) bounds what an
    entry date can be."""
    lenient = cfg.ingest.lenient if lenient is None else lenient
    today = today or dt.date.today()
    files = list_dumps(cfg.paths.seeds, cfg.ingest.patterns)
    pins = load_pins(cfg.paths.snapshots)
    out = cfg.stage_dir("ingest")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    texts, exports, unreadable = read_dumps(files, lenient, cfg)
    saved = {p.name: dt.date.fromtimestamp(p.stat().st_mtime) for p in files if p.name in texts}
    snaps = text_snapshots(texts, pins, today, saved)
    if not lenient:
        check_refused(files, snaps)

    records = TableSink(out / "records.parquet", RECORDS_SCHEMA)
    extras = TableSink(out / "extras.parquet", EXTRAS_SCHEMA)
    report: dict[str, Any] = {}
    try:
        with open(out / "rejects.jsonl", "w", encoding="utf-8") as rejects:
            for path in files:
                name = path.name
                if name in unreadable:
                    report[name] = file_reject(unreadable[name], rejects)
                elif name in texts:
                    extras.write(text_extras(texts[name]))
                    report[name] = write_text_dump(texts[name], snaps[name], records, rejects)
                else:
                    sinks = (records, extras, rejects)
                    report[name] = export_or_reject(path, exports[name], cfg, (lenient, today),
                                                    pins, sinks)  # fmt: skip
    except BaseException:
        for sink in (records, extras):
            sink.writer.close()
            sink.tmp.unlink(missing_ok=True)
        raise
    records.close()
    extras.close()
    note_backdated_exports(report)
    summary = totals(report)
    write_json({"dumps": report, "totals": summary}, out / "dumps.json")
    log.info(
        "ingest: %d dumps, %d entries = %d records + %d rejects",
        len(files), summary["entries"], summary["records"], summary["rejects"],
    )  # fmt: skip
    return summary


def read_dumps(
    files: list[Path], lenient: bool, cfg: Config
) -> tuple[dict[str, ParsedDump], dict[str, str], dict[str, InputDataError]]:
    """Text dumps parsed on `cfg.engine`, the exports' layouts, and (lenient) unreadable files.

    Layouts are sniffed and bytes read here; workers get (path, bytes) so they need not see
    this machine's files. A strict run raises the first error in file order, as a serial loop
    would: a failed sniff stops the reading, but text dumps before it are still parsed.
    """
    pending: list[tuple[Path, bytes]] = []
    exports: dict[str, str] = {}
    unreadable: dict[str, InputDataError] = {}
    stop: InputDataError | None = None
    for path in files:
        try:
            layout = sniff_layout(path)
            if layout is None:
                pending.append((path, read_bytes(path)))
            else:
                exports[path.name] = layout
        except InputDataError as e:
            if not lenient:
                stop = e
                break
            log.warning("rejected whole file: %s", e)
            unreadable[path.name] = e
    texts: dict[str, ParsedDump] = {}
    if pending:  # starting a Dask cluster costs seconds: only when there is work for it
        with open_engine(cfg.engine) as engine:
            for (path, _), parsed in zip(
                pending, engine.map_ordered(parse_text_task, pending, lenient), strict=True
            ):
                if isinstance(parsed, ParsedDump):
                    texts[path.name] = parsed
                elif not lenient:
                    raise parsed
                else:
                    log.warning("rejected whole file: %s", parsed)
                    unreadable[path.name] = parsed
    if stop is not None:
        raise stop
    return texts, exports, unreadable


def parse_text_task(item: tuple[Path, bytes], lenient: bool) -> ParsedDump | InputDataError:
    """One text dump, parsed here or on a worker. The error is returned, not raised, so the
    parent sees errors in file order, not in the order Dask tasks happen to finish."""
    try:
        return parse_text_bytes(*item, lenient)
    except InputDataError as e:
        return e


def write_text_dump(parsed: ParsedDump, snap: Snapshot, records: TableSink, rejects) -> dict:
    resolve_dates(parsed, snap)
    records.write(parsed.records)
    for rej in parsed.rejects:
        rejects.write(json.dumps(rej, ensure_ascii=False, sort_keys=True) + "\n")
    undated = sum(1 for r in parsed.records if r["date_raw"] and r["date"] is None)
    dates = sorted(r["date"] for r in parsed.records if r["date"])
    report = DumpReport(
        parsed.layout, parsed.n_entries, len(parsed.records), len(parsed.rejects),
        header=parsed.header, stated_count=parsed.stated_count,
        count_matches=None if parsed.stated_count is None  # unreadable lines are no entries
        else parsed.stated_count == parsed.n_entries - parsed.junk_rejects,
        encoding=parsed.encoding, notes=parsed.notes, undated_records=undated,
        date_range=[dates[0], dates[-1]] if dates else [None, None], **snapshot_fields(snap),
    )  # fmt: skip
    if report.count_matches is False:
        log.warning("%s: header states %s papers, found %s entries",
                    snap.id, parsed.stated_count, parsed.n_entries)  # fmt: skip
    return asdict(report)


def text_extras(parsed: ParsedDump) -> list[dict]:
    """Daily-papers org lines carry a display name beside the slug: keep it as an extra."""
    rows = []
    for rec in parsed.records:
        if name := rec.pop("_org_name", None):
            rows.append({"dump": rec["dump"], "index": rec["index"],
                         "extra": json.dumps({"org_name": name}, ensure_ascii=False)})  # fmt: skip
    return rows


def note_backdated_exports(report: dict[str, dict]) -> None:
    """Warn where an export's date, only a lower bound (its latest entry), puts it before
    dumps dated by their own header. Dumps are replayed in date order: such an export counts
    as older than them, so a conference listing saved today can become the topic model's
    reference and redraw the map, and its texts count as older versions. Only the user knows
    when it was saved; a pin says it."""
    exact = [d["date"] for d in report.values() if d.get("date") and not d["date_is_lower_bound"]]
    for name, d in report.items():
        if not (d.get("date") and d["date_is_lower_bound"] and d["layout"] in TABULAR_LAYOUTS):
            continue
        later = sorted(x for x in exact if x > d["date"])
        if later:
            note = (
                f"dated {d['date']} (its latest entry, a lower bound): before {len(later)} "
                f"dump(s) dated by their header (up to {later[-1]}), so it is replayed as the "
                "older dump and its papers can become the topic reference; if it was saved "
                "after them, pin its date in configs/snapshots.yaml"
            )
            d["notes"].append(note)
            log.warning("%s: %s", name, note)


def snapshot_fields(snap: Snapshot) -> dict:
    assumed = bool(snap.inferred.assumption) and not snap.pinned_date
    return {
        "snapshot": snap.id, "source": snap.source, "date": snap.date,
        "date_inferred": snap.inferred.date, "date_pinned": snap.pinned_date,
        "date_is_lower_bound": snap.inferred.lower_bound and not snap.pinned_date,
        "date_assumed": assumed, "date_assumption": snap.inferred.assumption if assumed else None,
        "date_reasoning": snap.inferred.reasoning, "date_conflicts": snap.conflicts,
        "refused_dates": snap.refused,
    }  # fmt: skip


def export_or_reject(
    path: Path, layout: str, cfg: Config, mode: tuple[bool, dt.date], pins: dict, sinks: tuple
) -> dict:
    """One export; in a lenient run a file that fails before its first row (a missing
    column, unreadable bytes) is one whole-file reject. Later failures end in a reject for
    the rest of the file (`tabular`), since the rows before them are written already."""
    try:
        return write_export(path, layout, cfg, mode, pins, sinks)
    except InputDataError as e:
        if not mode[0]:
            raise
        log.warning("rejected whole file: %s", e)
        return file_reject(e, sinks[2])


def write_export(
    path: Path, layout: str, cfg: Config, mode: tuple[bool, dt.date], pins: dict, sinks: tuple
) -> dict:
    records, extras, rejects = sinks
    summary = TabularSummary(layout, limit=date_limit(pins, snapshot_id(path.name), mode[1]))
    for items, extra_rows in read_chunks(path, layout, cfg.ingest.chunk_rows, mode[0], summary):
        records.write([it for it in items if "reason" not in it])
        for it in items:
            if "reason" in it:
                rejects.write(json.dumps(it, ensure_ascii=False, sort_keys=True) + "\n")
        extras.write([
            {"dump": path.name, "index": e["index"],
             "extra": json.dumps(e["extra"], ensure_ascii=False, sort_keys=True, default=str)}
            for e in extra_rows
        ])  # fmt: skip
    why = [f"an export has no dump date: its latest entry date ({summary.max_date}) is a "
           "lower bound"]  # fmt: skip
    inferred = DumpDate(summary.max_date, None, why, lower_bound=True)
    snap = resolve(path.name, layout, {}, inferred, pins)
    snap.refused = summary.refused
    for c in snap.conflicts:
        log.warning("%s: %s", snap.id, c)
    report = DumpReport(
        layout, summary.entries, summary.records, summary.rejects,
        header={"columns": summary.columns, "extra_columns": summary.extra_columns},
        encoding=summary.encoding, notes=summary.notes, undated_records=summary.undated,
        date_range=[summary.min_date, summary.max_date], **snapshot_fields(snap),
    )  # fmt: skip
    return asdict(report)


def date_limit(pins: dict, sid: str, today: dt.date) -> tuple[str, str]:
    """The latest date an export's row can carry: its pinned dump date, else the run's date
    (plus a day: the source's calendar may run ahead of this machine's time zone)."""
    pin = pins.get(sid)
    if pin is not None and pin.date:
        return pin.date, f"after the dump's pinned date {pin.date}"
    return str(today + dt.timedelta(days=1)), f"after the run's date {today}"


def file_reject(err: InputDataError, rejects) -> dict:
    rej = {"dump": Path(err.path).name, "index": None, "line": err.line,
           "reason": str(err), "text": ""}  # fmt: skip
    rejects.write(json.dumps(rej, ensure_ascii=False, sort_keys=True) + "\n")
    sid = snapshot_id(rej["dump"])
    return asdict(DumpReport(None, None, 0, 0, status="unreadable", error=str(err), snapshot=sid))


def totals(report: dict) -> dict:
    return {
        "dumps": len(report),
        "unreadable_dumps": sum(1 for d in report.values() if d.get("status") == "unreadable"),
        "entries": sum(d["entries"] or 0 for d in report.values()),
        "records": sum(d["records"] for d in report.values()),
        "rejects": sum(d["rejects"] for d in report.values()),
    }
