"""Parsers for the dump layouts, chosen by content: `read_text_dump` for the three page
layouts, `tabular.read_chunks` for CSV/JSON-lines exports, `sniff_layout` to tell them apart."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InputDataError
from pipeline.parsers import author_profile, compact_profile, daily_papers
from pipeline.parsers.base import TEXT_LAYOUTS, ParsedDump
from pipeline.parsers.decode import decode_bytes, open_binary, read_bytes
from pipeline.parsers.detect import detect_tabular, detect_text

PARSERS = {
    "author_profile": author_profile.parse,
    "daily_papers": daily_papers.parse,
    "compact_profile": compact_profile.parse,
}
TABULAR_LAYOUTS = ("csv", "jsonl")
__all__ = [
    "TABULAR_LAYOUTS",
    "TEXT_LAYOUTS",
    "ParsedDump",
    "parse_text_bytes",
    "read_bytes",
    "read_text_dump",
    "sniff_layout",
]
_HEAD_BYTES = 64 * 1024


def sniff_layout(path: Path) -> str | None:
    """'csv' or 'jsonl' for an export, None for a text dump (decided when it is read)."""
    try:
        with open_binary(path) as f:
            head = f.read(_HEAD_BYTES)
    except (OSError, EOFError) as e:
        raise InputDataError(path, None, f"cannot read file: {e}", "a readable file") from e
    if not head.strip():
        raise InputDataError(path, None, "empty file", "at least one entry")
    decoded = decode_bytes(path, head)
    return detect_tabular(decoded.text)


def read_text_dump(path: Path, lenient: bool = False) -> ParsedDump:
    """Decode, detect the layout and parse one text dump."""
    return parse_text_bytes(path, read_bytes(path), lenient)


def parse_text_bytes(path: Path, data: bytes, lenient: bool = False) -> ParsedDump:
    """Parse a text dump from its (gunzipped) bytes; `path` names the dump and its messages.

    The file itself is not opened here, so a worker that cannot see this machine's files can
    parse a dump the parent has read.
    """
    decoded = decode_bytes(path, data)
    if not decoded.text.strip():
        raise InputDataError(path, None, "empty file (only blank lines)", "at least one entry")
    lines = decoded.text.split("\n")
    layout = detect_text(path, lines)
    parsed = PARSERS[layout](path, lines, lenient)
    parsed.encoding = decoded.encoding
    parsed.notes = decoded.notes
    if not decoded.text.endswith("\n"):
        parsed.notes.append("no newline at end of file")
    return parsed
