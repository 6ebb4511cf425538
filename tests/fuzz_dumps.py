"""Mutation fuzzing of real dumps (issue 11): damage a seed or fixture the way files get
damaged, parse it strict and lenient, and check what may never happen.

A mutated file is kept as lines that remember their original number, so every record of the
mutated parse can be matched to the entry it came from, and an entry none of whose lines
(nor the blank line before it, nor the first line of the next entry) was touched must parse
to exactly the same fields.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputDataError
from pipeline.parsers import read_text_dump, sniff_layout
from pipeline.parsers.tabular import TabularSummary, read_chunks
from pipeline.snapshots.metadata import resolve_dates, text_snapshots
from pipeline.stages.ingest import date_limit

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(ROOT.glob("seeds/*.txt")) + sorted((ROOT / "tests/data/dumps").iterdir())
CONTROL = bytes([*range(0, 9), 11, *range(14, 32)])  # not tab, newline, form feed or CR
FINISHES = ("none", "crlf", "bom", "utf-16", "cp1252", "latin-1", "gzip")
TODAY = dt.date(2026, 12, 1)
# `line` and `index` move with the lines around an entry; `date` takes its year from the
# whole dump (a deleted entry that printed the year can change it), `date_raw` does not.
IGNORED = {"line", "index", "dump", "_date_line", "date"}


@dataclass
class Mutant:
    """Lines as (original 1-based number, bytes); `touched` holds original line numbers."""

    lines: list[tuple[int, bytes]]
    touched: set[int] = field(default_factory=set)
    finish: str = "none"
    cut: bool = False

    def apply(self, op: tuple) -> None:
        n = len(self.lines)
        if n == 0:
            return
        kind, i = op[0], op[1] % n
        orig, text = self.lines[i]
        if kind == "delete":
            del self.lines[i]
        elif kind == "duplicate":
            self.lines.insert(i + 1, (orig, text))
        elif kind == "swap":
            j = (i + op[2]) % n
            self.touched.add(self.lines[j][0])
            self.lines[i], self.lines[j] = self.lines[j], self.lines[i]
        elif kind in ("control", "high"):  # control bytes, or bytes >= 0x80 (not UTF-8)
            at = op[2] % (len(text) + 1)
            extra = op[3] if kind == "control" else bytes(0x80 | b for b in op[3])
            self.lines[i] = (orig, text[:at] + extra + text[at:])
        elif kind == "recode":  # one line in a legacy encoding
            self.lines[i] = (orig, text.decode("utf-8", "replace").encode("cp1252", "replace"))
        self.touched.add(orig)

    def cut_at(self, fraction: float) -> None:
        """Cut the file at a byte; the line cut through and all after it count as touched."""
        total = sum(len(t) + 1 for _, t in self.lines)
        at, pos = int(fraction * total), 0
        for k, (orig, text) in enumerate(self.lines):
            if pos + len(text) >= at:
                self.touched.update(o for o, _ in self.lines[k:])
                self.lines = self.lines[:k] + [(orig, text[: at - pos])]
                self.cut = True
                return
            pos += len(text) + 1

    def data(self) -> bytes:
        raw = b"\n".join(t for _, t in self.lines)
        if self.finish == "crlf":  # every line end, including those already CRLF
            return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if self.finish == "bom":
            return codecs.BOM_UTF8 + raw
        if self.finish == "gzip":
            return gzip.compress(raw, mtime=0)
        if self.finish in ("utf-16", "cp1252", "latin-1"):
            try:
                return raw.decode("utf-8").encode(self.finish)
            except (UnicodeDecodeError, UnicodeEncodeError):
                return raw  # not expressible in that encoding: left as it is
        return raw


@dataclass
class Parsed:
    records: list[dict]
    rejects: list[dict]
    entries: int
    # accepted by a lenient run without a reject, but an error in a strict one: a refused
    # date (kept undated), or an export without a date column
    lenient_only: bool = False


def parse(path: Path, lenient: bool) -> Parsed:
    """One dump as ingest reads it: a text dump (dates resolved) or an export, streamed."""
    layout = sniff_layout(path)
    if layout is None:
        d = read_text_dump(path, lenient)
        snap = text_snapshots({path.name: d}, {}, TODAY, {path.name: TODAY})[path.name]
        if snap.refused and not lenient:
            raise InputDataError(path, snap.refused[0]["line"], snap.refused[0]["reason"])
        resolve_dates(d, snap)
        return Parsed(d.records, d.rejects, d.n_entries, bool(snap.refused))
    summary = TabularSummary(layout, limit=date_limit({}, path.stem, TODAY))
    items = [it for chunk, _ in read_chunks(path, layout, 7, lenient, summary) for it in chunk]
    records = [it for it in items if "reason" not in it]
    strict_error = bool(summary.refused) or any("no date column" in n for n in summary.notes)
    return Parsed(records, [it for it in items if "reason" in it], summary.entries, strict_error)


def spans(parsed: Parsed, n_lines: int, csv: bool) -> dict[int, set[int]]:
    """Original entry line -> the lines whose change may change it (see module docstring);
    a CSV's header line names every row's columns."""
    starts = sorted(it["line"] for it in parsed.records + parsed.rejects if it["line"])
    ends = [*starts[1:], n_lines]
    header = {1} if csv else set()
    return {s: set(range(s - 1, e + 1)) | header for s, e in zip(starts, ends, strict=True)}


def check(source: Path, tmp: Path, ops: list[tuple], cut: float | None, finish: str) -> dict:
    """Mutate `source`, parse it both ways and assert the properties; returns what happened."""
    base = BASELINES.get(source) or BASELINES.setdefault(source, parse(source, lenient=False))
    lines = source.read_bytes().split(b"\n")
    mutant = Mutant([(i, t) for i, t in enumerate(lines, start=1)], finish=finish)
    for op in ops:
        mutant.apply(op)
    if cut is not None:
        mutant.cut_at(cut)
    path = tmp / source.name
    path.write_bytes(mutant.data())
    try:
        lenient = parse(path, lenient=True)
    except InputDataError:  # the whole file is one reject: strict must fail as well
        _strict_fails(path)
        return {"file_rejected": 1}
    assert lenient.entries == len(lenient.records) + len(lenient.rejects)
    assert sorted(it["index"] for it in lenient.records + lenient.rejects) == list(
        range(lenient.entries))  # fmt: skip
    if lenient.rejects or lenient.lenient_only:
        _strict_fails(path)
    else:
        assert _fields(parse(path, lenient=False).records) == _fields(lenient.records)
    return _compare(base, lenient, mutant, (len(lines), source.suffix == ".csv"))


def _strict_fails(path: Path) -> None:
    try:
        parse(path, lenient=False)
    except InputDataError as e:
        assert path.name in str(e)
        return
    raise AssertionError("strict run accepted a file the lenient run rejected parts of")


def _compare(base: Parsed, got: Parsed, mutant: Mutant, shape: tuple[int, bool]) -> dict:
    titles = {r["title"].strip() for r in base.records}
    abstracts = {r["abstract"].strip() for r in base.records}
    latest = str(TODAY + dt.timedelta(days=1))
    for r in got.records:
        assert r["date"] is None or r["date"] <= latest, f"date after the run: {r['date']}"
        assert r["abstract"].strip() not in titles, f"abstract is a title: {r['abstract']!r}"
        assert r["title"].strip() not in abstracts, f"title is an abstract: {r['title']!r}"
    origin = {k: orig for k, (orig, _) in enumerate(mutant.lines, start=1)}
    by_line = {r["line"]: r for r in base.records}
    untouched = {s for s, lines in spans(base, *shape).items() if not mutant.touched & lines}
    kept = 0
    for r in got.records:
        orig = origin.get(r["line"])
        if orig in untouched and orig in by_line:
            assert _fields([r]) == _fields([by_line[orig]]), f"entry at line {orig} changed"
            kept += 1
    # an untouched entry may be rejected (its neighbour's damage can make it ambiguous), but
    # never vanish without a trace
    seen = {origin.get(it["line"]) for it in got.records + got.rejects}
    texts = "\n".join(r["text"] for r in got.rejects)  # a reject at a block's line holds it
    for orig in (untouched & set(by_line)) - seen:
        assert by_line[orig]["title"][:100] in texts, f"entry at line {orig} vanished"
    lost = len(untouched & set(by_line)) - kept
    return {"records": len(got.records), "rejects": len(got.rejects), "untouched_lost": lost}


def _fields(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in IGNORED} for r in records]


BASELINES: dict[Path, Parsed] = {}
