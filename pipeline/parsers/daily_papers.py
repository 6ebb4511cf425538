""" "Daily Papers" search pages (`002_`, `003_`): header, then title / abstract paragraphs.

    new / Get trending papers ... / Subscribe / Daily Papers / byAK and ... / Feb 26
    <title>
    <abstract>
      • 8 authors            <- optional block: author count, or "org-slug Org Name"
    ·
    Feb 22, 2025 2           <- date, optional upvote count

Paragraphs are separated by blank lines. A block is recognised by its "·" line; the other
paragraphs pair up as (title, abstract). Some entries have no block at all, so a run of
paragraphs between two blocks holds several entries. Where an entry lost its title or its
abstract, a pair is formed only where the title reads as a title and the abstract as prose
(`plausible`), so an orphaned title never takes the next title as its abstract: the paragraph
left over is reported at its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from pipeline.parsers.base import ParsedDump, Problems, finish, new_record
from pipeline.parsers.dates import PRINTED_DATE_RE, parse_printed
from pipeline.parsers.plausible import abstract_problem, pair_score, title_problem

LAYOUT = "daily_papers"
HEADER_MARK = "Daily Papers"
BLOCK_SEP = "·"
_AUTHORS = re.compile(r"•\s*(\d+) authors?")
_ORG = re.compile(r"(\S+)(?: (.*))?")
_DATE = re.compile(rf"(?P<date>{PRINTED_DATE_RE})(?: (?P<upvotes>\d+))?")
_HEADER_DATE = re.compile(PRINTED_DATE_RE)
_HEADER_LINES = {"new", "Get trending papers in your email inbox!", "Subscribe", HEADER_MARK,
                 "byAK and the research community"}  # fmt: skip
_HEADER_PARAS = 12

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
    """The header: everything up to the "Daily Papers" title, then the page's known lines and
    its date line ("Feb 26"). Without the title the known lines alone are recognised, so a
    damaged title line does not turn "new" and "Subscribe" into an entry."""
    first = paras[:_HEADER_PARAS]
    # an entry's block ends any header: a title line further down is not the page's title
    first = first[: next((i for i, p in enumerate(first) if is_block(p)), len(first))]
    texts = [p[0][1].strip() if len(p) == 1 else None for p in first]
    k = texts.index(HEADER_MARK) + 1 if HEADER_MARK in texts else 0
    date = None
    while k < len(texts) and texts[k] is not None:
        if date is None and _HEADER_DATE.fullmatch(texts[k]):
            date = texts[k]
        elif texts[k] not in _HEADER_LINES:
            break
        k += 1
    if k == 0:
        return {}, paras
    header: dict = {"title": HEADER_MARK} if HEADER_MARK in texts[:k] else {}
    if date is not None:
        header["date"] = date
    header["lines"] = texts[:k]
    return header, paras[k:]


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
    """Entries from the paragraphs between two blocks; the last entry owns `block`.

    Items come out in line order, so a strict run stops at the first problem in the file.
    """
    singles = [p for p in run if len(p) == 1]
    if block is not None and not singles:
        extra = [_several_lines(p, problems) for p in run]
        return extra + [problems.entry(block[0][0], "metadata block without entry", _EXPECTED,
                                       _text(block))]  # fmt: skip
    starts, unsure = choose_pairs([p[0][1] for p in singles])
    steps = [(p[0][0], "several", p) for p in run if len(p) != 1]
    i = 0
    while i < len(singles):
        kind = "pair" if i in starts else "unsure" if i in unsure else "unpaired"
        steps.append((singles[i][0][0], kind, i))
        i += 2 if kind == "pair" else 1
    items = []
    for _, kind, arg in sorted(steps, key=lambda s: s[0]):
        if kind == "several":
            items.append(_several_lines(arg, problems, block if arg is run[-1] else None))
            continue
        # the block belongs to the entry whose paragraph ends the run, and to no other: after
        # a rejected paragraph it is rejected with it, never handed to an earlier entry
        last = singles[arg + (1 if kind == "pair" else 0)]
        own = block if last is run[-1] else None
        if kind == "pair":
            items.append(make_record(singles[arg], singles[arg + 1], own, problems))
        elif kind == "unsure":
            items.append(problems.entry(singles[arg][0][0], _AMBIGUOUS, _EXPECTED,
                                        _text(singles[arg], own)))  # fmt: skip
        else:
            items.append(_unpaired(singles, arg, own, problems))
    return items


_AMBIGUOUS = ("ambiguous: a paragraph of this run lost its title or abstract, and the shapes "
              "of the lines do not tell which")  # fmt: skip
MAX_PAIRINGS = 256  # a run with more equally good pairings is rejected where they differ


def choose_pairs(texts: list[str]) -> tuple[set[int], set[int]]:
    """(indices that start a (title, abstract) pair, indices whose pairing is in doubt).

    Pairs must pass the plausibility checks; among the pairings with the most pairs the one
    whose lines fit their roles best (`pair_score`) wins. On a valid page that is the
    in-order pairing, the only one that pairs every paragraph. Where equally good pairings
    disagree, the paragraphs they disagree on are reported instead of guessed.
    """
    n = len(texts)
    ok = [
        title_problem(texts[i]) is None and abstract_problem(texts[i + 1]) is None
        for i in range(n - 1)
    ]
    most = [0] * (n + 2)
    for i in range(n - 2, -1, -1):
        most[i] = max(most[i + 1], 1 + most[i + 2] if ok[i] else 0)

    def pairings(i: int) -> Iterator[tuple[int, ...]]:
        if i >= n - 1:
            yield ()
            return
        if ok[i] and 1 + most[i + 2] == most[i]:
            yield from ((i, *rest) for rest in pairings(i + 2))
        if most[i + 1] == most[i]:
            yield from pairings(i + 1)

    options = list(islice(pairings(0), MAX_PAIRINGS))
    scores = [sum(pair_score(texts[i], texts[i + 1]) for i in o) for o in options]
    best = [set(o) for o, sc in zip(options, scores, strict=True) if sc == max(scores)]
    if len(options) == MAX_PAIRINGS:
        best = [set(o) for o in options]
    sure = set.intersection(*best)
    covered = {j for o in best for i in o for j in (i, i + 1)}
    unsure = covered - {j for i in sure for j in (i, i + 1)}
    return sure, unsure


def _several_lines(para: Para, problems: Problems, block: Para | None = None) -> dict:
    return problems.entry(para[0][0], "paragraph of several lines", _EXPECTED, _text(para, block))


def _unpaired(singles: list[Para], i: int, block: Para | None, problems: Problems) -> dict:
    """The reject for a paragraph that belongs to no (title, abstract) pair, saying why."""
    para = singles[i]
    text = _text(para, block)
    if (why := title_problem(para[0][1])) is not None:
        return problems.entry(para[0][0], f"unpaired paragraph: not a title ({why}) and no "
                              "title before it", _EXPECTED, text)  # fmt: skip
    if i + 1 == len(singles):
        return problems.entry(para[0][0], "title without abstract", _EXPECTED, text)
    nxt = singles[i + 1]
    why = abstract_problem(nxt[0][1]) or "it starts the next entry"
    return problems.entry(
        para[0][0], f"unpaired paragraph: a title without abstract (the next paragraph, line "
        f"{nxt[0][0]}, is not its abstract: {why})", _EXPECTED, text,
    )  # fmt: skip


_EXPECTED = "a title line, an abstract line and optionally a '•  N authors' / '·' / date block"


def _text(para: Para, block: Para | None = None) -> str:
    return "\n".join(t for _, t in para + (block or []))


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
    if block is not None:
        record["_date_line"] = block[-1][0]  # not a column: where a refused date is reported
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
    fields.update(date_raw=m["date"], date_has_year=date.year is not None, date_precision="day")
    if m["upvotes"]:
        fields["upvotes"] = int(m["upvotes"])
    return fields
