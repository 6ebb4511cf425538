"""CSV and JSON-lines exports (optionally gzipped), read in chunks so that size is no limit.

Columns are matched by name, case-insensitively: `title`; `abstract` or `summary`; a date
(`date`, `published`, `publication_date`, `update_date`, or `year`); optionally `authors`,
`category` or `primary_category`, `upvotes`. Every other column is kept, per row, as a JSON
object in the `extra` column of `extras.parquet` (see docs/schemas.md), so an id or a label
survives without changing the records table.
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
from pipeline.parsers.dates import parse_export_date
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


def resolve_columns(path: Path, line: int, names: list[str]) -> dict[str, str]:
    """Map record fields to the export's column names; error if a required one is missing."""
    lower = {n.strip().lower(): n for n in names}
    found = {}
    for fld, aliases in ALIASES.items():
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is not None:
            found[fld] = hit
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise InputDataError(
            path, line, f"export lacks column(s) {missing}; it has {sorted(names)[:20]}",
            "columns " + ", ".join("/".join(ALIASES[f]) for f in REQUIRED),
        )  # fmt: skip
    return found


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str) and value.strip():
        sep = ";" if ";" in value else ","
        return [v.strip() for v in value.split(sep) if v.strip()]
    return []


def row_to_record(
    row: dict[str, Any], cols: dict[str, str], layout: str, line: int, problems: Problems
) -> tuple[dict, dict | None]:
    """(record or reject, extras or None) for one row."""
    text = json.dumps(row, ensure_ascii=False, default=str)
    title, abstract = row.get(cols["title"]), row.get(cols["abstract"])
    for name, value in (("title", title), ("abstract", abstract)):
        if not isinstance(value, str) or not value.strip():
            return problems.entry(
                line, f"empty or missing {name}", f"a non-empty {name}", text
            ), None
    raw_date = row.get(cols["date"])
    parsed = parse_export_date(raw_date)
    if parsed is None:
        return problems.entry(
            line, f"unreadable date {raw_date!r}", "YYYY-MM-DD, 'Mon D, YYYY' or a year", text
        ), None  # fmt: skip
    iso, has_year = parsed
    fields: dict[str, Any] = {
        "date_raw": None if iso is None else str(raw_date).strip(), "date": iso,
        "date_has_year": has_year, "authors": _authors(row.get(cols.get("authors", ""))),
    }  # fmt: skip
    if "category" in cols and row.get(cols["category"]) not in (None, ""):
        fields["category"] = str(row[cols["category"]])
    if "upvotes" in cols and str(row.get(cols["upvotes"], "")).strip().isdigit():
        fields["upvotes"] = int(str(row[cols["upvotes"]]).strip())
    record = new_record(layout, line, title, abstract, **fields)
    used = set(cols.values())
    extra = {k: v for k, v in row.items() if k not in used and v not in (None, "")}
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
            yield start, None, problems.entry(
                start, f"{len(cells)} cells for {len(header)} columns", "one cell per column",
                ",".join(cells),
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
    newline = "" if layout == "csv" else None
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=summary.encoding, newline=newline)
        rows = (
            _rows_csv(path, text, problems)
            if layout == "csv"
            else _rows_jsonl(path, text, problems)
        )
        items: list[dict] = []
        extras: list[dict] = []
        cols: dict[str, str] | None = None
        try:
            for line_no, row, flag in rows:
                if flag == "header":
                    cols = resolve_columns(path, line_no, row)
                    continue
                if isinstance(flag, dict):  # a reject from the row reader
                    item, extra = flag, None
                else:
                    if cols is None:
                        cols = resolve_columns(path, line_no, list(row))
                    item, extra = row_to_record(row, cols, layout, line_no, problems)
                item["index"] = summary.entries
                item["dump"] = path.name
                summary.entries += 1
                if "reason" in item:
                    summary.rejects += 1
                else:
                    summary.records += 1
                    _track_dates(summary, item["date"])
                    if extra:
                        if not summary.extra_columns:
                            summary.extra_columns = sorted(extra)
                        extras.append({"index": item["index"], "extra": extra})
                items.append(item)
                if len(items) >= chunk_rows:
                    yield items, extras
                    items, extras = [], []
        except UnicodeDecodeError as e:
            raise InputDataError(path, None, f"bytes not in {summary.encoding}: {e.reason}",
                                 "one encoding throughout the file") from e  # fmt: skip
        if cols is not None:
            summary.columns = cols
        if items:
            yield items, extras


def _track_dates(summary: TabularSummary, date: str | None) -> None:
    if date is None:
        return
    if summary.min_date is None or date < summary.min_date:
        summary.min_date = date
    if summary.max_date is None or date > summary.max_date:
        summary.max_date = date
