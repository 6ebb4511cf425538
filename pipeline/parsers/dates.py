"""Printed dates ("Jul 5, 2022", "Feb 19") and the dump date they imply.

The site prints a year only for dates outside the calendar year in which the page was dumped,
so a date without a year lies in the dump's year, and every printed year differs from it.
Papers are not dated in the future, so every printed year is below the dump's year: the
largest printed year + 1 is a lower bound. The same paper printed with its year in another
dump pins the year exactly; that corroboration is preferred when there is any.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTH_RE = "|".join(MONTHS)
PRINTED_DATE_RE = rf"(?:{MONTH_RE}) \d{{1,2}}(?:, \d{{4}})?"
_PRINTED = re.compile(rf"(?P<mon>{MONTH_RE}) (?P<day>\d{{1,2}})(?:, (?P<year>\d{{4}}))?")
_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ].*)?")
_YEAR = re.compile(r"\d{4}")
_FULL = ["uary", "ruary", "ch", "il", "", "e", "y", "ust", "t|tember", "ober", "ember", "ember"]
_MONTH_NAME = "|".join(
    f"{m}(?:{rest})?" if rest else m for m, rest in zip(MONTHS, _FULL, strict=True)
)
_MONTH_YEAR = re.compile(
    rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})|(?P<mon>{_MONTH_NAME})\.? (?P<y2>\d{{4}})"
)


@dataclass(frozen=True)
class PrintedDate:
    month: int
    day: int
    year: int | None

    def iso(self, year: int | None = None) -> str | None:
        """ISO date, with `year` standing in for a missing printed year; None if invalid."""
        y = self.year if self.year is not None else year
        if y is None:
            return None
        try:
            return dt.date(y, self.month, self.day).isoformat()
        except ValueError:
            return None


def parse_printed(raw: str) -> PrintedDate | None:
    """`Jul 5, 2022` or `Feb 19`; None when `raw` is not exactly such a date or impossible."""
    m = _PRINTED.fullmatch(raw)
    if not m:
        return None
    year = int(m["year"]) if m["year"] else None
    date = PrintedDate(MONTHS.index(m["mon"]) + 1, int(m["day"]), year)
    # Feb 29 without a year is checked later, against the dump year.
    if date.iso(year if year is not None else 2000) is None:
        return None
    return date


def parse_export_date(value: object) -> tuple[str | None, str | None] | None:
    """A date cell of a CSV/JSONL export: (ISO date or None, precision); None if unreadable.

    Accepts ISO dates (time part ignored) and printed dates with a year (precision `day`), a
    month ("2024-03", "Mar 2024", "March 2024": the 1st, `month`) and a bare year (a
    conference's listing: January 1st, `year`). The date of a coarser precision stands for the
    whole month or year: it is not placed in a finer period (`date_precision.to_period`).
    """
    if value is None or (isinstance(value, float) and value != value):
        return None, None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None, None
    if m := _ISO.fullmatch(text):
        return _iso(int(m["y"]), int(m["m"]), int(m["d"]), "day")
    if _YEAR.fullmatch(text):
        return f"{text}-01-01", "year"
    if m := _MONTH_YEAR.fullmatch(text):
        month = int(m["m"]) if m["m"] else MONTHS.index(m["mon"][:3]) + 1
        return _iso(int(m["y"] or m["y2"]), month, 1, "month")
    printed = parse_printed(text)
    if printed is not None and printed.year is not None:
        return printed.iso(), "day"
    return None


def _iso(year: int, month: int, day: int, precision: str) -> tuple[str, str] | None:
    try:
        return dt.date(year, month, day).isoformat(), precision
    except ValueError:
        return None


@dataclass
class DumpDate:
    """A dump's date, how it was found, and whether it is only a lower bound or an assumption
    (no printed year: taken from the file's timestamp, see `assume_date`)."""

    date: str | None
    year: int | None
    reasoning: list[str] = field(default_factory=list)
    lower_bound: bool = False
    assumption: str | None = None


def corroborated_years(
    own: list[tuple[str, PrintedDate]], others: list[tuple[str, PrintedDate]]
) -> Counter:
    """Years that other dumps print for papers this dump shows without a year (same day)."""
    printed = {(key, d.month, d.day): d.year for key, d in others if d.year is not None}
    votes: Counter = Counter()
    for key, d in own:
        if d.year is None and (y := printed.get((key, d.month, d.day))) is not None:
            votes[y] += 1
    return votes


def infer_dump_date(
    header_date: PrintedDate | None, dates: list[PrintedDate], votes: Counter
) -> DumpDate:
    """The dump date from its header day, the entries' printed dates and cross-dump votes."""
    why: list[str] = []
    printed_years = [d.year for d in dates if d.year is not None]
    yearless = [d for d in dates if d.year is None]
    bound = max(printed_years) + 1 if printed_years else None
    if printed_years:
        why.append(
            f"{len(printed_years)} entry dates print a year (latest {max(printed_years)}); the "
            f"site prints years only outside the dump's year, so the dump year is >= {bound}"
        )
    if yearless:
        why.append(f"{len(yearless)} entry dates print no year: they lie in the dump's year")
    year: int | None = None
    if votes:
        year, n = votes.most_common(1)[0]
        why.append(
            f"{n} paper(s) shown here without a year are printed with year {year} in another "
            f"dump (same month and day): dump year {year}"
        )
        if len(votes) > 1:
            why.append(f"conflicting cross-dump years {dict(votes)}: the most common one wins")
        if bound is not None and year < bound:
            why.append(f"conflict: year {year} is below the lower bound {bound}")
    elif bound is not None:
        year = bound
        why.append(f"no cross-dump evidence: dump year taken as the lower bound {year}")
    if year is None:
        why.append("no printed year and no cross-dump evidence: the year is unknown")
        return DumpDate(None, None, why)
    if header_date is not None:
        date = header_date.iso(year)
        why.append(f"header date {MONTHS[header_date.month - 1]} {header_date.day}: {date}")
        late = [d for d in yearless if (d.month, d.day) > (header_date.month, header_date.day)]
        if late:
            why.append(f"conflict: {len(late)} year-less entry date(s) fall after the header date")
        return DumpDate(date, year, why)
    if yearless:
        latest = max(yearless, key=lambda d: (d.month, d.day))
        date = latest.iso(year)
        why.append(
            f"no header date: the latest year-less entry date ({date}) is a lower bound for "
            "the dump date"
        )
    else:
        date = dt.date(year, 1, 1).isoformat()
        why.append(f"no header date and no year-less entry: {date} is a lower bound")
    return DumpDate(date, year, why, lower_bound=True)


# ArXiv, and so every listing of its papers, starts in 1991: an earlier file timestamp (a zip
# entry's 1980, a build tool's 1970) says nothing about when the page was saved.
EARLIEST_TIMESTAMP = dt.date(1991, 1, 1)
_YEARS_BACK = 8  # enough to find a leap year for a "Feb 29"


def assume_date(
    header_date: PrintedDate | None, dates: list[PrintedDate], limit: dt.date, basis: str
) -> DumpDate | None:
    """A page that prints no year at all (issue 12): the most recent date with the header's
    month and day that is not after `limit` (the file's timestamp or the run's date, whichever
    is earlier; `basis` says which) and on which every year-less entry date exists. Without a
    header, the latest year-less entry date plays its part, as a lower bound."""
    yearless = [d for d in dates if d.year is None]
    anchor = header_date or max(yearless, key=lambda d: (d.month, d.day), default=None)
    if anchor is None:
        return None
    for year in range(limit.year, limit.year - _YEARS_BACK, -1):
        date = anchor.iso(year)
        if date is None or date > limit.isoformat() or any(d.iso(year) is None for d in yearless):
            continue
        what = "header date" if header_date is not None else "latest year-less entry date"
        why = (
            f"assumption: no printed year settles the year, so the {what} "
            f"{MONTHS[anchor.month - 1]} {anchor.day} is taken in the most recent year that "
            f"puts it on or before {basis}: {date}. A file copied or touched long after it "
            "was saved misleads this: pin the date in configs/snapshots.yaml"
        )
        return DumpDate(date, year, [why], lower_bound=header_date is None, assumption=why)
    return None
