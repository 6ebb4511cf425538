"""Small, valid upstream tables for stage tests (columns as in pipeline.io.SCHEMAS)."""

from __future__ import annotations

import pandas as pd

from pipeline.io import SCHEMAS


def papers_table(
    texts: list[str],
    start: int = 0,
    titles: list[str] | None = None,
    dates: list[str | None] | None = None,
    category: str | None = "CL",
) -> pd.DataFrame:
    """A clean-stage papers table: one paper per text, ids numbered from `start`."""
    n = len(texts)
    ids = range(start, start + n)
    df = pd.DataFrame(
        {
            "paper_id": [f"p{i:012x}" for i in ids],
            "title": titles if titles is not None else [f"Title {i}" for i in ids],
            "abstract": texts,
            "text": texts,
            "authors": [["A. Author"]] * n,
            "date": dates if dates is not None else ["2025-01-01"] * n,
            "date_has_year": [True] * n,
            "category": [category] * n,
            "dumps": [["d1.txt"]] * n,
            "sources": [[f"d1.txt#{i}"] for i in range(n)],
            "n_dumps": [1] * n,
            "first_seen": ["d1"] * n,
            "last_seen": ["d1"] * n,
            "upvotes": [None] * n,
            "has_code": [None] * n,
            "near_duplicate_of": [None] * n,
        }
    )
    assert list(df.columns) == SCHEMAS["papers"]
    return df
