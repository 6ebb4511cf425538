"""Parsers for the dump layouts, chosen by content: `read_text_dump` for the three page
layouts, `tabular.read_chunks` for CSV/JSON-lines exports, `sniff_layout` to tell them apart."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InputDataError
from pipeline.parsers import author_profile, compact_profile, daily_papers
from pipeline.parsers.base import REJECT_TEXT_CHARS, TEXT_LAYOUTS, ParsedDump, Problems, finish
from pipeline.parsers.decode import Decoded, decode_bytes, open_binary, read_bytes
from pipeline.parsers.detect import detect_tabular, detect_text
from pipeline.parsers.plausible import ends_complete

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
    parse a dump the parent has read. Unreadable lines (control bytes, bytes in no encoding
    of the file) are blanked, keeping every line number, and reported: one reject per run of
    such lines in a lenient run, an error at the first in a strict one.
    """
    decoded = decode_bytes(path, data)
    if not decoded.text.strip():
        raise InputDataError(path, None, "empty file (only blank lines)", "at least one entry")
    lines = decoded.text.split("\n")
    junk = junk_rejects(path, lines, decoded.junk)
    lines = ["" if i in decoded.junk else t for i, t in enumerate(lines, start=1)]
    layout = detect_layout(path, lines, decoded)
    if junk and not lenient:
        first = junk[0]
        raise InputDataError(path, first["line"], first["reason"], "text lines")
    parsed = PARSERS[layout](path, lines, lenient)
    if not decoded.text.endswith("\n"):
        check_last_abstract(parsed, lines, Problems(path, lenient))
    if junk:
        items = sorted(parsed.records + parsed.rejects, key=lambda it: it["index"])
        finish(parsed, merge_by_line(items, junk), path.name)
        parsed.junk_rejects = len(junk)
    parsed.encoding = decoded.encoding
    parsed.notes = decoded.notes
    if not decoded.text.endswith("\n"):
        parsed.notes.append("no newline at end of file")
    return parsed


def check_last_abstract(parsed: ParsedDump, lines: list[str], problems: Problems) -> None:
    """A file without a final newline whose last line is an abstract that stops mid-sentence
    was cut short: that entry is reported instead of kept with half an abstract."""
    last = next((i for i in range(len(lines), 0, -1) if lines[i - 1].strip()), None)
    rec = parsed.records[-1] if parsed.records else None
    if (
        rec is None
        or last is None
        or (parsed.rejects and parsed.rejects[-1]["index"] > rec["index"])
    ):
        return
    if rec["abstract"] != lines[last - 1] or ends_complete(rec["abstract"]):
        return
    reject = problems.entry(last, "the file ends inside this abstract (cut short?)",
                            "an abstract that ends with its sentence", rec["abstract"])  # fmt: skip
    reject["index"], reject["dump"] = rec["index"], rec["dump"]
    parsed.records.pop()
    parsed.rejects.append(reject)


def detect_layout(path: Path, lines: list[str], decoded: Decoded) -> str:
    """The layout of the readable lines; a file that is mostly unreadable and matches no
    layout is called binary, which says more than 'unrecognised layout'."""
    try:
        return detect_text(path, lines)
    except InputDataError as e:
        n_text = sum(1 for t in lines if t.strip())
        if decoded.junk and len(decoded.junk) >= n_text:
            raise InputDataError(
                path, None, f"binary content (control bytes on {len(decoded.junk)} lines, the "
                f"first at line {min(decoded.junk)}), not a text dump",
                "a text dump, CSV or JSON-lines file (optionally gzipped)",
            ) from e  # fmt: skip
        raise


def junk_rejects(path: Path, lines: list[str], junk: dict[int, str]) -> list[dict]:
    """One reject per run of consecutive unreadable lines, at its first line."""
    runs: list[list[int]] = []
    for line in sorted(junk):
        if runs and line == runs[-1][-1] + 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    rejects = []
    for run in runs:
        where = f"line {run[0]}" if len(run) == 1 else f"lines {run[0]}-{run[-1]}"
        text = "\n".join(lines[i - 1] for i in run)[:REJECT_TEXT_CHARS]
        reason = f"{junk[run[0]]} on {where}: not read"
        rejects.append({"dump": Path(path).name, "index": None, "line": run[0],
                        "reason": reason, "text": text})  # fmt: skip
    return rejects


def merge_by_line(items: list[dict], extra: list[dict]) -> list[dict]:
    """`items` in their order, with each of `extra` placed before the first item after it."""
    out: list[dict] = []
    pending = sorted(extra, key=lambda r: r["line"])
    for item in items:
        while pending and pending[0]["line"] < item["line"]:
            out.append(pending.pop(0))
        out.append(item)
    return out + pending
