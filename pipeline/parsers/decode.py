"""Bytes to text for dumps: compression, byte-order marks, encodings, line ends.

Dumps come from browsers' "save as text", spreadsheet exports and scripts, so a file may be
gzipped, start with a BOM, use CRLF or CR line ends, or be in a legacy Windows encoding. Every
such choice is recorded in `Decoded.notes`, which ends up in dumps.json.
"""

from __future__ import annotations

import codecs
import gzip
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputDataError

GZIP_MAGIC = b"\x1f\x8b"
# Control characters other than tab, newline, form feed and carriage return do not occur in
# text; a few percent of them (or any NUL outside UTF-16) means a binary file.
_CONTROL = set(range(0, 9)) | {11} | set(range(14, 32))
_SNIFF_BYTES = 64 * 1024


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


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


def check_not_binary(path: Path, data: bytes) -> None:
    sample = data[:_SNIFF_BYTES]
    if not sample:
        return
    if b"\x00" in sample or sum(b in _CONTROL for b in sample) > 0.02 * len(sample):
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
    decodes every byte, so it is the last resort and is reported as such.
    """
    notes: list[str] = []
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text, encoding = data.decode("utf-16"), "utf-16"
        notes.append("UTF-16 byte-order mark: decoded as UTF-16")
    else:
        check_not_binary(path, data)
        if data.startswith(codecs.BOM_UTF8):
            notes.append("UTF-8 byte-order mark removed")
            data = data[len(codecs.BOM_UTF8) :]
        text, encoding = _decode_8bit(data, notes)
    text = normalise_newlines(text, notes)
    return Decoded(text, encoding, notes)


def _decode_8bit(data: bytes, notes: list[str]) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        where = f"byte {e.start}"
    try:
        text = data.decode("cp1252")
        notes.append(f"not valid UTF-8 ({where}): decoded as cp1252")
        return text, "cp1252"
    except UnicodeDecodeError:
        notes.append(f"not valid UTF-8 ({where}) nor cp1252: decoded as latin-1")
        return data.decode("latin-1"), "latin-1"


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
    """Encoding for streaming a large export: UTF-8 unless its first 64 KiB say otherwise."""
    with open_binary(path) as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    check_not_binary(path, head)
    try:
        # final=False: a multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"
