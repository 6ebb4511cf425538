"""Compact profile dumps (`004_`): 3-line entries with title and authors glued together.

    CVApr 4, 2023Code
    EPVT: ... in Skin Lesion RecognitionSiyuan Yan, Chi Liu, Zhen Yu et al.
    Skin lesion recognition using deep learning ...

The title ends where the author list begins, with no separator. The boundary is a capital
letter glued to the character before it ("RecognitionSiyuan", "SAMWenxue"), after which the
rest of the line must read as a list of names. When several boundaries qualify, the first
name decides, in this order: a name seen unambiguously elsewhere in the same dump, a plain
name over one with an inner capital ("Yize" over "MakingYize"), then the earliest boundary.
A first author whose given name has an inner capital ("GuangHao") cannot be told from a title
ending in a capitalised word without such outside evidence.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.parsers.author_profile import group_by_meta, nonblank, parse_header
from pipeline.parsers.base import ParsedDump, Problems, finish, new_record
from pipeline.parsers.meta import (
    authors_shape,
    name_shape,
    parse_authors,
    parse_meta,
    split_org,
)
from pipeline.parsers.plausible import abstract_problem, title_problem

LAYOUT = "compact_profile"
ENTRY_PARTS = ("meta line", "title glued to authors", "abstract")
# A title never ends in these, so a capital after one of them starts a title word, not a name.
_NOT_BEFORE_NAME = set("-‐–—/([{_&+'’\"")


def boundaries(line: str) -> list[int]:
    return [
        i for i in range(1, len(line))
        if line[i].isupper() and not line[i - 1].isspace() and line[i - 1] not in _NOT_BEFORE_NAME
    ]  # fmt: skip


def split_title_authors(line: str, known_names: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Split `TitleFirst Author, Second Author et al.` into (title, author text).

    Raises ValueError when no boundary leaves a title and a list of names.
    """
    body, _ = split_org(line)
    best: tuple | None = None
    for i in boundaries(body):
        title, authors = line[:i], line[i:]
        if not title.strip():
            continue
        shape = authors_shape(authors)
        if shape is None:
            continue
        first = parse_authors(authors)[0][0]
        rank = (first not in known_names, shape != "strict", i)
        if best is None or rank < best[0]:
            best = (rank, title, authors)
    if best is None:
        raise ValueError("no point where the rest of the line reads as author names")
    return best[1].strip(), best[2]


def known_names(rows: list[str]) -> frozenset[str]:
    """Names that follow ", " in some glued line: their start is not in doubt."""
    names: set[str] = set()
    for line in rows:
        body, _ = split_org(line)
        parts = body.split(", ")
        for part in parts[1:]:
            name = part.removesuffix(" et al.").strip()
            if name_shape(name) is not None:
                names.add(name)
    return frozenset(names)


def parse(path: Path, lines: list[str], lenient: bool) -> ParsedDump:
    problems = Problems(path, lenient)
    header_rows, groups = group_by_meta(nonblank(lines))
    if not groups:
        problems.lenient = False
        problems.entry(1, "no entry found", "meta lines such as 'CVApr 4, 2023Code'", "")
    header = parse_header(header_rows) if header_rows else {}
    parsed = ParsedDump(LAYOUT, header=header, stated_count=header.get("stated_count"))
    names = known_names([g[1][1] for g in groups if len(g) > 1])
    items = [parse_entry(g, problems, names) for g in groups]
    return finish(parsed, items, path.name)


def parse_entry(group: list[tuple[int, str]], problems: Problems, names: frozenset) -> dict:
    if (reject := problems.wrong_length(group, ENTRY_PARTS)) is not None:
        return reject
    line = group[0][0]
    text = "\n".join(t for _, t in group)
    (_, meta_text), (gline, glued), (bline, abstract) = group
    meta = parse_meta(meta_text)
    try:
        title, author_text = split_title_authors(glued, names)
    except ValueError as e:
        return problems.entry(gline, str(e), "a title followed directly by 'Name, Name'", text)
    for line_no, why in ((gline, title_problem(title)), (bline, abstract_problem(abstract))):
        if why is not None:
            return problems.entry(line_no, why, "a title glued to its authors, then an "
                                  "abstract in prose", text)  # fmt: skip
    authors, truncated, org = parse_authors(author_text)
    return new_record(
        LAYOUT, line, title, abstract, authors=authors, authors_truncated=truncated, org=org,
        category=meta.category, date_raw=meta.date_raw, date_has_year=meta.date.year is not None,
        date_precision="day",
        has_code=meta.has_code, score=meta.score,
    )  # fmt: skip
