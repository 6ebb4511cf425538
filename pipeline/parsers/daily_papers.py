""" "Daily Papers" search pages (`002_`, `003_`): header, then title / abstract paragraphs.

    new / Get trending papers ... / Subscribe / Daily Papers / byAK and ... / Feb 26
    <title>
    <abstract>
      • 8 authors            <- optional block: author count, or "org-slug Org Name"
    ·
    Feb 22, 2025 2           <- date, optional upvote count

Paragraphs are separated by blank lines. A block is recognised by its "·" line; the other
paragraphs pair up as (title, abstract). Some entries have no block at all, so a run of
paragraphs between two blocks holds several entries, and an odd run means an entry lost its
title or abstract: the paragraph that breaks the pairing is reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.parsers.base import ParsedDump, Problems, finish, new_record
from pipeline.parsers.dates import PRINTED_DATE_RE, parse_printed

LAYOUT = "daily_papers"
HEADER_MARK = "Daily Papers"
BLOCK_SEP = "·"
_AUTHORS = re.compile(r"•\s*(\d+) authors?")
_ORG = re.compile(r"(\S+)(?: (.*))?")
_DATE = re.compile(rf"(?P<date>{PRINTED_DATE_RE})(?: (?P<upvotes>\d+))?")
_HEADER_DATE = re.compile(PRINTED_DATE_RE)
# A title is one short line; an abstract is prose. These only pick the culprit when a run
# of paragraphs cannot pair up; they never split a valid page.
MAX_TITLE_CHARS = 300
_SENTENCE_BREAK = re.compile(r"[.!?] [A-Z]")

Para = list[tuple[int, str]]


def paragraphs(lines: list[str]) -> list[Para]:
    paras: list[Para] = []
    current: Para = []
    for i, text in enumerate(lines, start=1):
        if text.strip():
            current.append((i, text))
        elif current:
            paras.append(current)
            current = []
    if current:
        paras.append(current)
    return paras


def is_block(para: Para) -> bool:
    return any(t.strip() == BLOCK_SEP for _, t in para)


def split_header(paras: list[Para]) -> tuple[dict, list[Para]]:
    """The header ends at its date line ("Feb 26"), which follows the "Daily Papers" title."""
    texts = [p[0][1].strip() for p in paras[:12]]
    if HEADER_MARK not in texts:
        return {}, paras
    start = texts.index(HEADER_MARK)
    for k in range(start + 1, len(texts)):
        if len(paras[k]) == 1 and _HEADER_DATE.fullmatch(texts[k]):
            header = {"title": HEADER_MARK, "date": texts[k], "lines": texts[: k + 1]}
            return header, paras[k + 1 :]
    return {"title": HEADER_MARK, "lines": texts[: start + 1]}, paras[start + 1 :]


def parse(path: Path, lines: list[str], lenient: bool) -> ParsedDump:
    problems = Problems(path, lenient)
    header, body = split_header(paragraphs(lines))
    parsed = ParsedDump(LAYOUT, header=header)
    if "date" in header:
        parsed.header_date = parse_printed(header["date"])
    items: list[dict] = []
    run: list[Para] = []
    for para in body:
        if not is_block(para):
            run.append(para)
            continue
        items.extend(pair_run(run, para, problems))
        run = []
    items.extend(pair_run(run, None, problems))
    if not items:
        problems.lenient = False
        problems.entry(1, "no entry found", "title and abstract paragraphs", "")
    return finish(parsed, items, path.name)


def pair_run(run: list[Para], block: Para | None, problems: Problems) -> list[dict]:
    """Entries from paragraphs between blocks; the last entry owns `block`."""
    items: list[dict] = []
    bad = [p for p in run if len(p) != 1]
    for p in bad:
        items.append(problems.entry(p[0][0], "paragraph of several lines", _EXPECTED, _text(p)))
    run = [p for p in run if len(p) == 1]
    if block is not None and not run:
        return items + [problems.entry(block[0][0], "metadata block without entry", _EXPECTED,
                                       _text(block))]  # fmt: skip
    i = 0
    while i < len(run):
        title, abstract = run[i], run[i + 1] if i + 1 < len(run) else None
        if abstract is None or not _pair_ok(title, abstract, len(run) - i):
            what = "title without abstract" if abstract is None else "unpaired paragraph"
            items.append(problems.entry(title[0][0], what, _EXPECTED, _text(title)))
            i += 1
            continue
        owns_block = block is not None and i + 2 == len(run)
        items.append(make_record(title, abstract, block if owns_block else None, problems))
        i += 2
    return items


_EXPECTED = "a title line, an abstract line and optionally a '•  N authors' / '·' / date block"


def _text(para: Para) -> str:
    return "\n".join(t for _, t in para)


def _pair_ok(title: Para, abstract: Para, remaining: int) -> bool:
    """Whether (title, abstract) is a plausible pair; only doubted when the run is odd."""
    if remaining % 2 == 0:
        return True
    return _is_title(title[0][1]) and not _is_title(abstract[0][1])


def _is_title(text: str) -> bool:
    return len(text) <= MAX_TITLE_CHARS and not _SENTENCE_BREAK.search(text)


def make_record(title: Para, abstract: Para, block: Para | None, problems: Problems) -> dict:
    line = title[0][0]
    fields: dict = {}
    if block is not None:
        parsed = parse_block(block)
        if isinstance(parsed, str):
            text = "\n".join([title[0][1], abstract[0][1], _text(block)])
            return problems.entry(block[0][0], parsed, _EXPECTED, text)
        fields = parsed
    org_name = fields.pop("_org_name", None)
    record = new_record(LAYOUT, line, title[0][1], abstract[0][1], **fields)
    if org_name:
        record["_org_name"] = org_name  # not a record column: ingest keeps it in extras
    return record


def parse_block(block: Para) -> dict | str:
    """Fields of a metadata block, or a string saying what is wrong with it."""
    texts = [t.strip() for _, t in block]
    sep = texts.index(BLOCK_SEP)
    before, after = texts[:sep], texts[sep + 1 :]
    fields: dict = {}
    for text in before:
        if m := _AUTHORS.fullmatch(text):
            fields["n_authors"] = int(m[1])
        elif m := _ORG.fullmatch(text):
            fields["org"] = m[1]
            if m[2]:
                fields["_org_name"] = m[2]
    if len(after) != 1 or not (m := _DATE.fullmatch(after[0])):
        return "metadata block without a date line after '·'"
    date = parse_printed(m["date"])
    if date is None:
        return f"impossible date {m['date']!r}"
    fields.update(date_raw=m["date"], date_has_year=date.year is not None)
    if m["upvotes"]:
        fields["upvotes"] = int(m["upvotes"])
    return fields
