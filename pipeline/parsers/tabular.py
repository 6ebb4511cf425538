"""CSV and JSON-lines exports (optionally gzipped), read in chunks so that size is no limit.

Columns are matched by name, case-insensitively: `title`; `abstract` or `summary`; a date
(`date`, `published`, `publication_date`, `update_date`, or `year`); optionally `authors`,
`category` or `primary_category`, `upvotes`. Every other column is kept, per row, as a JSON
object in the `extra` column of `extras.parquet` (see docs/schemas.md), so an id or a label
survives without changing the records table.

Damage costs only what it touches: a row with bytes not in the file's encoding or with control
characters is one reject; a stream that breaks off (a cut gzip) ends with one reject for the
rest. An export without a date column is an error in a strict run and a file of undated rows
in a lenient one (dates drive the trends; a strict run should not lose them unnoticed).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import InputDataError
from pipeline.parsers.base import Problems, new_record
from pipeline.parsers.cells import authors, date_fields, one_newline, printable, unreadable
from pipeline.parsers.decode import open_binary, sniff_encoding

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "abstract": ("abstract", "summary"),
    "date": ("date", "published", "publication_date", "update_date", "year"),
    "authors": ("authors",),
    "category": ("category", "primary_category"),
    "upvotes": ("upvotes",),
}
REQUIRED = ("title", "abstract", "date")
csv.field_size_limit(1 << 26)


@dataclass
class TabularSummary:
    """What dumps.json reports about an export; filled while the chunks are read."""

    layout: str
    encoding: str = "utf-8"
    columns: dict[str, str] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    entries: int = 0
    records: int = 0
    rejects: int = 0
    min_date: str | None = None
    max_date: str | None = None
    undated: int = 0
    notes: list[str] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)  # dates after `limit`
    # the latest date a row can have, and why: the pinned dump date, else the run's date
    limit: tuple[str, str] | None = None


def resolve_columns(path: Path, line: int, names: list[str], lenient: bool) -> dict[str, str]:
    """Map record fields to the export's column names; error if a required one is missing.

    Without a date column a lenient run reads the rows as undated (the caller notes it)."""
    lower = {n.strip().lower(): n for n in names}
    found = {}
    for fld, aliases in ALIASES.items():
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is not None:
            found[fld] = hit
    missing = [f for f in REQUIRED if f not in found and not (f == "date" and lenient)]
    if missing:
        hint = (" (run with --lenient to read its rows as undated papers)"
                if missing == ["date"] else "")  # fmt: skip
        raise InputDataError(
            path, line, f"export lacks column(s) {missing}; it has {sorted(names)[:20]}{hint}",
            "columns " + ", ".join("/".join(ALIASES[f]) for f in REQUIRED),
        )  # fmt: skip
    return found


def row_to_record(
    row: dict[str, Any], cols: dict[str, str], layout: str, line: int, problems: Problems,
    limit: tuple[str, str] | None = None,
) -> tuple[dict, dict | None]:  # fmt: skip
    """(record or reject, extras or None) for one row."""
    text = json.dumps(row, ensure_ascii=False, default=str)
    if (why := unreadable(row)) is not None:
        return problems.entry(line, why, "text in the file's encoding", text), None
    title, abstract = (one_newline(row.get(cols[k])) for k in ("title", "abstract"))
    for name, value in (("title", title), ("abstract", abstract)):
        if not isinstance(value, str) or not value.strip():
            return problems.entry(
                line, f"empty or missing {name}", f"a non-empty {name}", text
            ), None
    raw_date = row.get(cols["date"]) if "date" in cols else None
    fields = date_fields(raw_date, line, problems, limit)
    if fields is None:
        return problems.entry(
            line, f"unreadable date {raw_date!r}", "YYYY-MM-DD, 'Mon D, YYYY' or a year", text
        ), None  # fmt: skip
    refused = fields.pop("_refused", None)
    fields["authors"] = authors(row.get(cols.get("authors", "")))
    if "category" in cols and row.get(cols["category"]) not in (None, ""):
        fields["category"] = str(row[cols["category"]])
    if "upvotes" in cols and str(row.get(cols["upvotes"], "")).strip().isdigit():
        fields["upvotes"] = int(str(row[cols["upvotes"]]).strip())
    record = new_record(layout, line, title, abstract, **fields)
    if refused:
        record["_refused"] = refused  # counted by the reader, never written
    used = set(cols.values())
    extra = {printable(k): v for k, v in row.items() if k not in used and v not in (None, "")}
    return record, extra or None


def _rows_jsonl(path: Path, text: io.TextIOBase, problems: Problems) -> Iterator[tuple]:
    for line_no, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield line_no, None, problems.entry(
                line_no, f"not valid JSON ({e.msg}, column {e.colno})", "one JSON object per line",
                line,
            )  # fmt: skip
            continue
        if not isinstance(obj, dict):
            yield line_no, None, problems.entry(line_no, "JSON value is not an object",
                                                "one JSON object per line", line)  # fmt: skip
            continue
        yield line_no, obj, None


def _rows_csv(path: Path, text: io.TextIOBase, problems: Problems) -> Iterator[tuple]:
    reader = csv.reader(text)
    header: list[str] | None = None
    end = 0
    for cells in reader:
        start, end = end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            yield start, header, "header"
            continue
        if len(cells) != len(header):
            # an unclosed quote swallows the lines after it: say how far the row reached
            span = f" (the row spans lines {start}-{end})" if end > start else ""
            yield start, None, problems.entry(
                start, f"{len(cells)} cells for {len(header)} columns{span}",
                "one cell per column", ",".join(cells),
            )  # fmt: skip
            continue
        yield start, dict(zip(header, cells, strict=True)), None


def read_chunks(
    path: Path, layout: str, chunk_rows: int, lenient: bool, summary: TabularSummary
) -> Iterator[tuple[list[dict], list[dict]]]:
    """Yield (items, extras) per chunk: items are records and rejects in file order, extras
    are `{"index": i, "extra": {...}}` for rows with columns beyond the record's."""
    problems = Problems(path, lenient)
    summary.encoding = sniff_encoding(path)
    items: list[dict] = []
    extras: list[dict] = []
    for item, extra in _numbered(path, layout, problems, summary):
        if extra:
            if not summary.extra_columns:
                summary.extra_columns = sorted(extra)
            extras.append({"index": item["index"], "extra": extra})
        items.append(item)
        if len(items) >= chunk_rows:
            yield items, extras
            items, extras = [], []
    if items:
        yield items, extras


def _numbered(
    path: Path, layout: str, problems: Problems, summary: TabularSummary
) -> Iterator[tuple[dict, dict | None]]:
    """Items numbered and counted in file order. A stream that breaks off after some rows
    ends, in a lenient run, with one reject for the rest: the rows before it are written
    already, so the file cannot become a single whole-file reject any more."""
    line = 0
    try:
        for item, extra in _items(path, layout, problems, summary):
            line = item["line"]
            item["index"], item["dump"] = summary.entries, path.name
            summary.entries += 1
            if "reason" in item:
                summary.rejects += 1
            else:
                summary.records += 1
                _track_dates(summary, item["date"])
                if refused := item.pop("_refused", None):
                    summary.refused.append({"index": item["index"], **refused})
            yield item, extra
    except (InputDataError, OSError, EOFError, csv.Error, UnicodeDecodeError) as e:
        err = e if isinstance(e, InputDataError) else InputDataError(
            path, line + 1, f"unreadable from here on: {e}", "a complete file")  # fmt: skip
        if not problems.lenient or summary.entries == 0:
            raise err from e
        tail = problems.entry(err.line or line + 1, err.problem, err.expected, "")
        tail["index"], tail["dump"] = summary.entries, path.name
        summary.entries += 1
        summary.rejects += 1
        yield tail, None


def _items(
    path: Path, layout: str, problems: Problems, summary: TabularSummary
) -> Iterator[tuple[dict, dict | None]]:
    """(record or reject, extras) per row, with the columns resolved on the way."""
    errors = "replace" if summary.encoding == "utf-16" else "surrogateescape"
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=summary.encoding, errors=errors,
                                newline="" if layout == "csv" else None)  # fmt: skip
        reader = _rows_csv if layout == "csv" else _rows_jsonl
        cols: dict[str, str] | None = None
        for line_no, row, flag in reader(path, text, problems):
            if flag == "header":
                cols = resolve_columns(path, line_no, row, problems.lenient)
                _note_columns(summary, cols)
                continue
            if isinstance(flag, dict):  # a reject from the row reader
                yield flag, None
                continue
            if layout == "jsonl":  # each object names its own fields
                try:
                    cols = resolve_columns(path, line_no, list(row), problems.lenient)
                except InputDataError as e:
                    if not problems.lenient:
                        raise
                    yield problems.entry(line_no, e.problem, e.expected, str(row)), None
                    continue
                _note_columns(summary, cols)
            yield row_to_record(row, cols, layout, line_no, problems, summary.limit)


def _note_columns(summary: TabularSummary, cols: dict[str, str]) -> None:
    if not summary.columns:
        summary.columns = cols
    if "date" not in cols and not summary.notes:
        summary.notes.append("no date column: rows read as undated papers (lenient run)")


def _track_dates(summary: TabularSummary, date: str | None) -> None:
    if date is None:
        summary.undated += 1
        return
    if summary.min_date is None or date < summary.min_date:
        summary.min_date = date
    if summary.max_date is None or date > summary.max_date:
        summary.max_date = date
