"""Which layout a dump is in, judged from its content (never from its file name)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pipeline.errors import InputDataError
from pipeline.parsers.daily_papers import BLOCK_SEP, HEADER_MARK
from pipeline.parsers.meta import parse_meta
from pipeline.parsers.tabular import ALIASES

LAYOUTS_EXPECTED = (
    "an author-profile page, a Daily Papers search page, a compact profile dump, "
    "or a CSV/JSON-lines export with title, abstract and date columns"
)
_SNIFF_LINES = 200


def detect_tabular(head: str) -> str | None:
    """'jsonl' or 'csv' when the first non-blank line is a JSON object or a CSV header."""
    first = next((ln for ln in head.split("\n") if ln.strip()), "")
    if first.lstrip().startswith("{"):
        try:
            return "jsonl" if isinstance(json.loads(first), dict) else None
        except json.JSONDecodeError:
            # A JSON-lines file whose first record is broken is still JSON-lines; the
            # reader reports the line.
            return "jsonl" if first.rstrip().endswith("}") else None
    try:
        cells = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    names = {c.strip().lower() for c in cells}
    if len(cells) > 1 and names & set(ALIASES["title"]) and names & set(ALIASES["abstract"]):
        return "csv"
    return None


def detect_text(path: Path, lines: list[str]) -> str:
    """One of the three text layouts, from the first few hundred lines."""
    head = [ln.strip() for ln in lines[:_SNIFF_LINES]]
    if HEADER_MARK in head[:20] or _has_daily_blocks(head):
        return "daily_papers"
    metas = [i for i, ln in enumerate(head) if parse_meta(ln) is not None]
    if metas:
        # Profile pages put a blank line after the title; compact dumps glue the lines. A
        # tie (a damaged small dump) goes by the header, which only profile pages have.
        profile = sum(1 for i in metas if i + 2 < len(head) and not head[i + 2])
        compact = sum(1 for i in metas if i + 2 < len(head) and head[i + 1] and head[i + 2])
        if profile != compact:
            return "author_profile" if profile > compact else "compact_profile"
        return "author_profile" if any(head[: metas[0]]) else "compact_profile"
    first = next(((i + 1, ln) for i, ln in enumerate(head) if ln), (1, ""))
    raise InputDataError(
        path, first[0], f"unrecognised layout (first line {first[1][:60]!r})", LAYOUTS_EXPECTED
    )


def _has_daily_blocks(head: list[str]) -> bool:
    """A '·' line with a date after it and an author count or org line before it."""
    return any(
        ln == BLOCK_SEP and 0 < i < len(head) - 1 and head[i - 1] and head[i + 1]
        for i, ln in enumerate(head)
    )
