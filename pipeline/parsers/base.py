"""What every layout parser shares: the record shape, the result shape and error handling."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import InputDataError
from pipeline.io import SCHEMAS
from pipeline.parsers.dates import PrintedDate

RECORD_FIELDS: list[str] = SCHEMAS["records"]
TEXT_LAYOUTS = ("author_profile", "daily_papers", "compact_profile")
REJECT_TEXT_CHARS = 500


def new_record(layout: str, line: int, title: str, abstract: str, **fields: Any) -> dict:
    """A record with every column present; `dump`, `index` and `date` are filled by ingest."""
    rec: dict[str, Any] = {
        "dump": None, "index": None, "line": line, "layout": layout, "title": title.strip(),
        "authors": [], "authors_truncated": False, "n_authors": None, "org": None,
        "category": None, "date_raw": None, "date": None, "date_has_year": False,
        "date_precision": None, "has_code": None, "upvotes": None, "score": None,
        "abstract": abstract,
    }  # fmt: skip
    unknown = set(fields) - set(rec)
    if unknown:
        raise KeyError(f"not record fields: {sorted(unknown)}")
    rec.update(fields)
    return rec


@dataclass
class ParsedDump:
    """One text dump, parsed: entries as records (dates not yet resolved) and rejects."""

    layout: str
    header: dict[str, Any] = field(default_factory=dict)
    stated_count: int | None = None
    header_date: PrintedDate | None = None
    records: list[dict] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)
    junk_rejects: int = 0  # rejects that are unreadable lines, not entries the header counts

    @property
    def n_entries(self) -> int:
        return len(self.records) + len(self.rejects)


class Problems:
    """Raises on a bad entry, or in lenient mode turns it into a reject and goes on."""

    def __init__(self, path: Path, lenient: bool):
        self.path = Path(path)
        self.lenient = lenient

    def entry(self, line: int, problem: str, expected: str, text: str) -> dict:
        if not self.lenient:
            raise InputDataError(self.path, line, problem, expected)
        # Undecodable bytes survive decoding as lone surrogates: make them printable.
        text = text[:REJECT_TEXT_CHARS].encode("utf-8", "backslashreplace").decode("utf-8")
        return {
            "dump": self.path.name, "index": None, "line": line,
            "reason": f"{problem} (expected {expected})", "text": text,
        }  # fmt: skip

    def wrong_length(self, group: list[tuple[int, str]], parts: tuple[str, ...]) -> dict | None:
        """A reject (or an error) when an entry's non-blank lines are not exactly `parts`."""
        if len(group) == len(parts):
            return None
        what = "truncated entry" if len(group) < len(parts) else "entry has extra lines"
        return self.entry(
            group[0][0], f"{what}: {len(group)} non-blank line(s)",
            f"{len(parts)} lines: " + ", ".join(parts), "\n".join(t for _, t in group),
        )  # fmt: skip


def is_reject(item: dict) -> bool:
    return "reason" in item


def finish(parsed: ParsedDump, items: list[dict], dump: str) -> ParsedDump:
    """Number the entries in dump order and split them into records and rejects.

    Rejected entries keep their position (`index`) too, so records + rejects account for every
    entry and an index never changes meaning between a strict and a lenient run.
    """
    for i, item in enumerate(items):
        item["index"] = i
        item["dump"] = dump
    parsed.records = [it for it in items if not is_reject(it)]
    parsed.rejects = [it for it in items if is_reject(it)]
    return parsed
