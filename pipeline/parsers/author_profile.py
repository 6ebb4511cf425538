"""Author-profile pages (`000_`, `001_`): a header, then blank-separated 4-line entries.

Sunan He / CV / h-index25 / 14papers / 243citations / Novelty50% / AI Score40 / 14 Papers
CVJul 5, 2022Code          <- meta line: [score] category date [Code]
Open-Vocabulary ...        <- title
Sunan He, Taian Guo et al. · org   <- authors
Real-world recognition ... <- abstract
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.parsers.base import ParsedDump, Problems, finish, new_record
from pipeline.parsers.meta import parse_authors, parse_meta
from pipeline.parsers.plausible import abstract_problem, author_line_problem, title_problem

LAYOUT = "author_profile"
_HEADER_FIELDS = [
    ("h_index", re.compile(r"h-index\s*(\d+)")),
    ("papers", re.compile(r"(\d+)\s*papers")),
    ("citations", re.compile(r"(\d+)\s*citations")),
    ("novelty", re.compile(r"Novelty\s*(\d+%?)")),
    ("ai_score", re.compile(r"AI Score\s*(\d+(?:\.\d+)?)")),
    ("stated_count", re.compile(r"(\d+) Papers")),
]
ENTRY_PARTS = ("meta line", "title", "author line", "abstract")
_EXPECTED = "a title line, an author line and an abstract in prose, in that order"


def nonblank(lines: list[str], start: int = 0) -> list[tuple[int, str]]:
    """(1-based line number, text) of the non-blank lines from `start` on."""
    return [(i + 1, t) for i, t in enumerate(lines) if i >= start and t.strip()]


def group_by_meta(rows: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[list]]:
    """Split non-blank rows into the header (before the first meta line) and entries."""
    header: list[tuple[int, str]] = []
    groups: list[list[tuple[int, str]]] = []
    for row in rows:
        if parse_meta(row[1]) is not None:
            groups.append([row])
        elif groups:
            groups[-1].append(row)
        else:
            header.append(row)
    return header, groups


def parse_header(rows: list[tuple[int, str]]) -> dict:
    header: dict = {}
    other: list[str] = []
    for i, (_, text) in enumerate(rows):
        text = text.strip()
        for key, rx in _HEADER_FIELDS:
            if key not in header and (m := rx.fullmatch(text)):
                value = m[1]
                header[key] = int(value) if value.isdigit() else value
                break
        else:
            if i == 0:
                header["name"] = text
            elif i == 1 and re.fullmatch(r"[A-Z]{2,}", text):
                header["field"] = text
            else:
                other.append(text)
    if other:
        header["other_lines"] = other
    return header


def parse(path: Path, lines: list[str], lenient: bool) -> ParsedDump:
    problems = Problems(path, lenient)
    header_rows, groups = group_by_meta(nonblank(lines))
    if not groups:
        problems.lenient = False
        problems.entry(
            header_rows[0][0] if header_rows else 1, "no entry found",
            "meta lines such as 'CVJul 5, 2022Code' followed by title, authors and abstract", "",
        )  # fmt: skip
    header = parse_header(header_rows)
    parsed = ParsedDump(LAYOUT, header=header, stated_count=header.get("stated_count"))
    items = [parse_entry(group, problems) for group in groups]
    return finish(parsed, items, path.name)


def parse_entry(group: list[tuple[int, str]], problems: Problems) -> dict:
    if (reject := problems.wrong_length(group, ENTRY_PARTS)) is not None:
        return reject
    line = group[0][0]
    text = "\n".join(t for _, t in group)
    (_, meta_text), (tline, title), (aline, author_text), (bline, abstract) = group
    meta = parse_meta(meta_text)
    authors, truncated, org = parse_authors(author_text)
    if not authors and not truncated:
        return problems.entry(aline, "empty author line", "names separated by ', '", text)
    checks = ((tline, title_problem(title)), (aline, author_line_problem(author_text)),
              (bline, abstract_problem(abstract)))  # fmt: skip
    for line_no, why in checks:
        if why is not None:
            return problems.entry(line_no, why, _EXPECTED, text)
    return new_record(
        LAYOUT, line, title, abstract, authors=authors, authors_truncated=truncated, org=org,
        category=meta.category, date_raw=meta.date_raw, date_has_year=meta.date.year is not None,
        date_precision="day",
        has_code=meta.has_code, score=meta.score,
    )  # fmt: skip
