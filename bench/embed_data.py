"""Sample papers from ../shared/external/arxiv-daily for the embed measurements.

Read in place (never copied into the repo). `sample()` draws a seeded random sample across the
whole 16 months, so the category mix is that of the file, not of one week;
`as_papers()` shapes it like outputs/clean/papers.parquet (docs/schemas.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

ARXIV = Path(__file__).resolve().parents[2] / "shared/external/arxiv-daily/arxiv_daily.jsonl.gz"


def load(path: Path = ARXIV) -> pd.DataFrame:
    cols = ["arxiv_id", "title", "abstract", "primary_category", "date"]
    return pd.read_json(path, lines=True, compression="gzip")[cols]


def sample(n: int, seed: int = 42, path: Path = ARXIV) -> pd.DataFrame:
    df = load(path)
    if n < len(df):
        df = df.sample(n=n, random_state=seed)
    df = df.reset_index(drop=True)
    df["text"] = df["title"].str.strip() + ". " + df["abstract"].str.strip()
    return df


def as_papers(df: pd.DataFrame) -> pd.DataFrame:
    """The columns of the clean stage's papers table, filled from arXiv metadata."""
    ids = ["p" + hashlib.sha256(t.lower().encode()).hexdigest()[:12] for t in df["title"]]
    out = pd.DataFrame(
        {
            "paper_id": ids,
            "title": df["title"],
            "abstract": df["abstract"],
            "text": df["text"],
            "authors": [[] for _ in range(len(df))],
            "date": df["date"].astype(str),
            "date_has_year": True,
            "category": df["primary_category"],
            "dumps": [["arxiv_daily.jsonl.gz"] for _ in range(len(df))],
            "sources": [[f"arxiv_daily.jsonl.gz#{i}"] for i in range(len(df))],
            "n_dumps": 1,
            "first_seen": "arxiv_daily",
            "last_seen": "arxiv_daily",
            "upvotes": None,
            "has_code": None,
            "near_duplicate_of": None,
        }
    )
    return out.drop_duplicates("paper_id").sort_values("paper_id").reset_index(drop=True)
