"""Pieces of the profile layouts: the meta line and the author line.

Meta line: optional score, category, date, optional "Code", all glued together
(`49.3CVApr 10`, `CVJul 5, 2022Code`). Author line: names separated by ", ", optionally
ending in " et al." and " · org-slug".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.parsers.dates import PRINTED_DATE_RE, PrintedDate, parse_printed

# The category is lazy so that it stops where the month name begins ("CVApr" -> CV, Apr).
META_RE = re.compile(
    rf"(?P<score>\d+(?:\.\d+)?)?(?P<category>[A-Z]{{2,}}?)(?P<date>{PRINTED_DATE_RE})"
    r"(?P<code>Code)?"
)
ET_AL = " et al."
ORG_SEP = " · "
# One author name: capitalised tokens, initials ("A."), hyphenated parts, lower-case
# particles inside ("van", "de"), at most one inner capital per token ("GuangHao").
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "da",
    "di",
    "du",
    "la",
    "le",
    "bin",
    "al",
    "dos",
    "das",
    "ten",
    "ter",
    "y",
}  # noqa: E501
_TOKEN = re.compile(r"(?:[^\W\d_][.]?)|(?:[^\W\d_][^\W\d_'’]*(?:['’][^\W\d_]+)?)")


@dataclass(frozen=True)
class Meta:
    score: float | None
    category: str
    date_raw: str
    date: PrintedDate
    has_code: bool


def parse_meta(line: str) -> Meta | None:
    m = META_RE.fullmatch(line.strip())
    if not m:
        return None
    date = parse_printed(m["date"])
    if date is None:
        return None
    score = float(m["score"]) if m["score"] else None
    return Meta(score, m["category"], m["date"], date, bool(m["code"]))


def split_org(text: str) -> tuple[str, str | None]:
    """`Names et al. · org-slug` -> (`Names et al.`, `org-slug`)."""
    head, sep, tail = text.rpartition(ORG_SEP)
    if sep and tail.strip() and " " not in tail.strip():
        return head, tail.strip()
    return text, None


def parse_authors(text: str) -> tuple[list[str], bool, str | None]:
    """An author line -> (names as printed, ended in "et al.", org slug or None)."""
    text, org = split_org(text.strip())
    truncated = text.endswith(ET_AL) or text == ET_AL.strip()
    if truncated:
        text = text[: -len(ET_AL)] if text.endswith(ET_AL) else ""
    names = [n.strip() for n in text.split(",")] if text.strip() else []
    return names, truncated, org


def name_shape(name: str) -> str | None:
    """'strict' for a plain name, 'camel' if a token has an inner capital, None if no name."""
    tokens = name.split(" ")
    if not 1 <= len(tokens) <= 6 or not tokens[0] or tokens[0] in _PARTICLES:
        return None
    # A lone capital ("A") is an initial or a title's fragment ("0A, ..."), not a whole name.
    if all(len(tok.rstrip(".")) <= 1 for tok in tokens if tok not in _PARTICLES):
        return None
    shape = "strict"
    for tok in tokens:
        if tok in _PARTICLES:
            continue
        for part in tok.split("-"):
            if not part or not part[0].isupper() or not _TOKEN.fullmatch(part):
                return None
            inner = sum(c.isupper() for c in part[1:])
            if inner > 1 or (inner == 1 and len(part) > 1 and part[1].isupper()):
                return None
            if inner:
                shape = "camel"
    return shape


def authors_shape(text: str) -> str | None:
    """The shape of a whole author line (see `name_shape`), judged by its first name."""
    names, truncated, _ = parse_authors(text)
    if not names:
        return None
    shapes = [name_shape(n) for n in names]
    if any(s is None for s in shapes):
        return None
    return shapes[0]
