"""The cells of an export's row: what a title, an abstract, authors and a date may hold."""

from __future__ import annotations

import re
from typing import Any

from pipeline.errors import InputDataError
from pipeline.parsers.base import Problems
from pipeline.parsers.dates import parse_export_date

_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes the decoder could not read (surrogateescape)


def authors(value: Any) -> list[str]:
    """A list cell as it is; a string split on ";" if it has one, else on ","."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str) and value.strip():
        sep = ";" if ";" in value else ","
        return [v.strip() for v in value.split(sep) if v.strip()]
    return []


def printable(name: str) -> str:
    """A column name with the bytes its encoding could not read shown as escapes (a damaged
    header must not stop the table from being written)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def one_newline(value: Any) -> Any:
    """A cell's line breaks as "\n", whatever the file's line ends (a CRLF export and an LF
    one give the same abstract)."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def date_fields(
    raw: Any, line: int, problems: Problems, limit: tuple[str, str] | None
) -> dict | None:
    """The record's date fields for a date cell, None if unreadable. A date after `limit`
    (latest possible ISO date, and why) cannot be true: an error in a strict run, else the
    row is kept undated (`date_raw` keeps the printed value), the refusal handed on as
    `_refused`."""
    parsed = parse_export_date(raw)
    if parsed is None:
        return None
    iso, precision = parsed
    shown = None if iso is None else str(raw).strip()
    fields: dict[str, Any] = {
        "date_raw": shown, "date": iso, "date_has_year": iso is not None,
        "date_precision": precision,
    }  # fmt: skip
    if iso is not None and limit is not None and iso > limit[0]:
        why = f"date {shown!r} ({iso}) is {limit[1]}"
        if not problems.lenient:
            raise InputDataError(problems.path, line, why, "a date on or before the dump's")
        fields.update(date=None, _refused={"line": line, "date_raw": shown, "reason": why})
    return fields


def unreadable(row: dict[str, Any]) -> str | None:
    """Why a row's text cannot be trusted: undecodable bytes or control characters. Column
    names are not checked: a damaged one costs its column, not every row."""
    cells = [v for v in row.values() if isinstance(v, str)]
    if any(_UNDECODED.search(c) for c in cells):
        return "bytes not in the file's encoding"
    if any(_CONTROL.search(c) for c in cells):
        return "control characters (binary data) in the row"
    return None
