"""Bytes to text for dumps: compression, byte-order marks, encodings, line ends.

Dumps come from browsers' "save as text", spreadsheet exports and scripts, so a file may be
gzipped, start with a BOM, use CRLF or CR line ends, or be in a legacy Windows encoding. Every
such choice is recorded in `Decoded.notes`, which ends up in dumps.json.
"""

from __future__ import annotations

import codecs
import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputDataError

GZIP_MAGIC = b"\x1f\x8b"
# Control characters other than tab, newline, form feed and carriage return do not occur in
# text: a line holding one is junk (binary data pasted in), reported by its line number.
_CONTROL = set(range(0, 9)) | {11} | set(range(14, 32))
_CONTROL_RE = re.compile("[" + "".join(map(chr, sorted(_CONTROL))) + "]")
_CONTROL_BYTES = re.compile(b"[" + bytes(sorted(_CONTROL)) + b"]")
_SNIFF_BYTES = 64 * 1024


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)
    junk: dict[int, str] = field(default_factory=dict)  # 1-based line -> why it is unreadable


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_binary(path: Path):
    """A binary file object over the content, gunzipped where the magic bytes say gzip."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def read_bytes(path: Path) -> bytes:
    try:
        with open_binary(path) as f:
            return f.read()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise InputDataError(path, None, f"cannot read file: {e}", "a readable (gzip) file") from e


def control_lines(text: str) -> list[int]:
    """1-based numbers of the lines that hold control characters."""
    return [i for i, line in enumerate(text.split("\n"), start=1) if _CONTROL_RE.search(line)]


def check_not_binary(path: Path, text: str, junk: dict[int, str]) -> None:
    """A file whose every non-blank line is unreadable is binary, not a damaged text dump."""
    lines = text.split("\n")
    if any(line.strip() for i, line in enumerate(lines, start=1) if i not in junk):
        return
    raise InputDataError(
        path,
        None,
        "binary content (control bytes), not a text dump",
        "a text dump, CSV or JSON-lines file (optionally gzipped)",
    )


def decode_bytes(path: Path, data: bytes) -> Decoded:
    """Decode with UTF-8 first; UTF-16 only with its BOM; then cp1252, then latin-1.

    cp1252 is tried before latin-1 because it is what Windows tools write: it maps 0x80-0x9F
    to printable characters (curly quotes, dashes) where latin-1 has control codes. latin-1
    decodes every byte, so it is the last resort and is reported as such. Lines with control
    bytes, or with bytes that are not UTF-8 in a file that is UTF-8 elsewhere, are listed in
    `junk` (line -> why) for the caller to report; the rest of the file is read as usual.
    """
    notes: list[str] = []
    junk: dict[int, str] = {}
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text, encoding = _decode_utf16(data, notes), "utf-16"
    else:
        if data.startswith(codecs.BOM_UTF8):
            notes.append("UTF-8 byte-order mark removed")
            data = data[len(codecs.BOM_UTF8) :]
        text, encoding = _decode_8bit(data, notes, junk)
    text = normalise_newlines(text, notes)
    for line in control_lines(text):
        junk.setdefault(line, "control bytes (binary data)")
    check_not_binary(path, text, junk)
    if junk:
        notes.append(f"{len(junk)} unreadable line(s) skipped, the first at line {min(junk)}")
    return Decoded(text, encoding, notes, dict(sorted(junk.items())))


def _decode_utf16(data: bytes, notes: list[str]) -> str:
    notes.append("UTF-16 byte-order mark: decoded as UTF-16")
    if len(data) % 2:
        notes.append("odd number of bytes for UTF-16 (cut short?): the last byte dropped")
        data = data[:-1]
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as e:
        notes.append(f"invalid UTF-16 at byte {e.start}: replaced with U+FFFD")
        return data.decode("utf-16", errors="replace")


def _decode_8bit(data: bytes, notes: list[str], junk: dict[int, str]) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        where = f"byte {e.start}"
    text = _utf8_by_line(data, notes, junk)
    if text is not None:
        return text, "utf-8"
    try:
        text = data.decode("cp1252")
        notes.append(f"not valid UTF-8 ({where}): decoded as cp1252")
        return text, "cp1252"
    except UnicodeDecodeError:
        notes.append(f"not valid UTF-8 ({where}) nor cp1252: decoded as latin-1")
        return data.decode("latin-1"), "latin-1"


def _utf8_by_line(data: bytes, notes: list[str], junk: dict[int, str]) -> str | None:
    """UTF-8 with a few damaged lines, or None for a file in another encoding.

    A file is taken as UTF-8 when its lines that fail are junk (control bytes) or when other
    lines hold UTF-8 multi-byte characters, which text in a legacy encoding never does. A
    last line cut inside a character loses only that character.
    """
    out: list[str] = []
    bad: list[int] = []
    multibyte = False
    raw_lines = data.split(b"\n")
    for i, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode("utf-8")
            multibyte = multibyte or not raw.isascii()
        except UnicodeDecodeError as e:
            if i == len(raw_lines) and e.reason == "unexpected end of data":
                line = raw[: e.start].decode("utf-8", errors="replace")
                notes.append(f"the file ends inside a UTF-8 character (cut short?): "
                             f"{len(raw) - e.start} byte(s) dropped")  # fmt: skip
            else:
                line = raw.decode("utf-8", errors="replace")
                bad.append(i)
        out.append(line)
    binary = [i for i in bad if _CONTROL_BYTES.search(raw_lines[i - 1])]
    if len(binary) < len(bad) and not multibyte:
        return None
    for i in bad:
        junk[i] = "control bytes (binary data)" if i in binary else "bytes not in UTF-8"
    return "\n".join(out)


def normalise_newlines(text: str, notes: list[str]) -> str:
    if "\r" not in text:
        return text
    n_crlf = text.count("\r\n")
    text = text.replace("\r\n", "\n")
    n_cr = text.count("\r")
    text = text.replace("\r", "\n")
    notes.append(f"line ends normalised ({n_crlf} CRLF, {n_cr} CR)")
    return text


def sniff_encoding(path: Path) -> str:
    """Encoding for streaming a large export: UTF-8 unless its first 64 KiB say otherwise
    (by the same rules as `decode_bytes`, damaged lines aside)."""
    with open_binary(path) as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    _, encoding = _decode_8bit(head, [], {})
    return encoding
