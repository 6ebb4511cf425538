"""How much of a paper's date its source gives (`date_precision` in records and papers).

A page prints the day; an export may hold a month ("2025-03") or only a year (a conference's
listing). The date is stored as the first day of what is known, so a reader and a period
series must know how far to trust it: a conference's papers, stored as January 1st, are no
January papers, and a monthly series that counted them there would show a spike.
"""

from __future__ import annotations

import pandas as pd

PRECISIONS = ("year", "month", "day")  # coarsest first
# The coarsest precision a period of each `trends.freq` can hold.
NEEDS = {"M": "month", "Q": "month", "Y": "year"}


def shown_date(date: str | None, precision: str | None) -> str | None:
    """A date as far as it is known: "2025", "2025-03" or "2025-03-14"."""
    if date is None or date != date:
        return None
    return {"year": date[:4], "month": date[:7]}.get(precision, date)


def placeable(precision: pd.Series, freq: str) -> pd.Series:
    """Whether a date of each precision can be placed in a period of `freq` (null: undated)."""
    rank = {p: k for k, p in enumerate(PRECISIONS)}
    need = rank[NEEDS[freq]]
    return precision.map(lambda p: isinstance(p, str) and rank[p] >= need).astype(bool)


def to_period(dates: pd.Series, freq: str, precision: pd.Series | None = None) -> pd.Series:
    """ISO date strings -> period labels ("2024-03", "2024Q1", "2024"); None where undated,
    and where `precision` says the date is coarser than the period."""
    parsed = pd.to_datetime(dates, errors="coerce", format="ISO8601")
    if precision is not None:
        parsed = parsed.where(placeable(precision, freq))
    periods = parsed.dt.to_period(freq)
    return pd.Series(
        [None if pd.isna(p) else str(p) for p in periods], index=dates.index, dtype=object
    )
