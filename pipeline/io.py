"""Reading and writing the tables stages hand each other, with a schema check on both sides.

The column lists here are the contract documented in docs/schemas.md: a stage that writes a
table missing a column fails at once, and a stage that reads an outdated table is told which
stage to re-run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import StageInputError

log = logging.getLogger(__name__)

SCHEMAS: dict[str, list[str]] = {
    "records": [
        "dump",
        "index",
        "line",
        "layout",
        "title",
        "authors",
        "authors_truncated",
        "n_authors",
        "org",
        "category",
        "date_raw",
        "date",
        "date_has_year",
        "date_precision",
        "has_code",
        "upvotes",
        "score",
        "abstract",
    ],
    "papers": [
        "paper_id",
        "title",
        "abstract",
        "text",
        "authors",
        "date",
        "date_has_year",
        "date_precision",
        "category",
        "dumps",
        "sources",
        "n_dumps",
        "first_seen",
        "last_seen",
        "upvotes",
        "has_code",
        "near_duplicate_of",
    ],
    "versions": ["paper_id", "snapshot", "text", "current"],
    "embedding_index": ["paper_id", "row"],
    "assignments": ["paper_id", "topic", "probability"],
    "baseline_assignments": ["paper_id", "nmf", "lda"],
    "topic_info": ["topic", "size", "label", "top_words", "representative_papers"],
    "coords": ["paper_id", "x", "y"],
    "paper_themes": ["paper_id", "title", "themes", "uncertain", "label_set", "evidence"],
    "lineage": ["dump", "from_topic", "to_topic", "similarity", "relation"],
    "topic_map": ["snapshot", "local_topic", "global_topic", "stable_id", "relation"],
}


def write_table(df: pd.DataFrame, path: str | Path, schema: str) -> Path:
    _check(df.columns, schema, f"writing {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return path


def read_table(path: str | Path, schema: str, producer: str | None = None) -> pd.DataFrame:
    path = _existing(path, producer)
    df = pd.read_parquet(path)
    _check(df.columns, schema, f"reading {path}")
    return df


def read_rows(path: str | Path, schema: str, producer: str | None = None) -> list[dict]:
    """A table's schema columns as plain dicts (None for nulls, Python ints and lists).

    Straight from Arrow in batches: going through a DataFrame holds two more copies of every
    text, which matters for a large corpus.
    """
    import pyarrow.parquet as pq

    path = _existing(path, producer)
    file = pq.ParquetFile(path)
    _check(file.schema_arrow.names, schema, f"reading {path}")
    rows: list[dict] = []
    for batch in file.iter_batches(batch_size=20_000, columns=SCHEMAS[schema]):
        rows.extend(batch.to_pylist())
    return rows


def _existing(path: str | Path, producer: str | None) -> Path:
    path = Path(path)
    if not path.exists():
        hint = f": run `papertrends {producer}` (or `dvc repro`) first" if producer else ""
        raise StageInputError(f"{path} not found{hint}")
    return path


def _check(columns, schema: str, what: str) -> None:
    missing = [c for c in SCHEMAS[schema] if c not in columns]
    if missing:
        raise StageInputError(f"{what}: table '{schema}' lacks columns {missing}")


def write_json(obj: Any, path: str | Path) -> Path:
    """Stable JSON: sorted keys and a trailing newline, so equal content gives equal bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
    return path


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text("utf-8"))


def write_embeddings(paper_ids: list[str], matrix, out_dir: str | Path) -> None:
    """Embeddings as .npy (rows in `paper_ids` order) with a parquet index beside them."""
    import numpy as np

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "embeddings.npy", np.asarray(matrix, dtype=np.float32))
    index = pd.DataFrame({"paper_id": list(paper_ids), "row": range(len(paper_ids))})
    write_table(index, out_dir / "index.parquet", "embedding_index")


def read_embeddings(embed_dir: str | Path, paper_ids: list[str] | None = None):
    """Return (paper_ids, matrix); with `paper_ids`, rows come back in that order."""
    import numpy as np

    embed_dir = Path(embed_dir)
    index = read_table(embed_dir / "index.parquet", "embedding_index", producer="embed")
    matrix = np.load(embed_dir / "embeddings.npy")
    if paper_ids is None:
        return index["paper_id"].tolist(), matrix
    rows = index.set_index("paper_id")["row"]
    missing = [p for p in paper_ids if p not in rows.index]
    if missing:
        raise StageInputError(
            f"{embed_dir}: no embedding for {len(missing)} paper(s), e.g. {missing[:3]}: "
            "run `papertrends embed` again"
        )
    return list(paper_ids), matrix[rows.loc[paper_ids].to_numpy()]


def read_versions(clean_dir: str | Path) -> pd.DataFrame:
    """clean's text versions of revised papers; none for a papers table made by hand (no
    `versions.parquet` beside it)."""
    path = Path(clean_dir) / "versions.parquet"
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SCHEMAS["versions"]})
    return read_table(path, "versions", producer="clean")


def content_key(*parts: Path | str) -> str:
    """Files' bytes (and plain strings), hashed: a cache kept under it is stale once one of
    them changes (pass a module's `__file__` to key by the code that computes the value)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else Path(part).read_bytes()
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:32]


class PickleStore:
    """Values kept between runs as `<folder>/<kind>-<key>.pkl` (caches outside `outputs/`,
    which DVC deletes before a stage runs). A None folder keeps nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = None if folder is None else Path(folder)

    def get(self, kind: str, key: str) -> Any | None:
        if self.folder is None:
            return None
        path = self.folder / f"{kind}-{key}.pkl"
        if not path.exists():
            return None
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception as e:  # a truncated or foreign file is a miss, never a result
            log.warning("ignoring unreadable cache file %s: %s", path, e)
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{kind}-{key}.pkl"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # a killed run leaves no half-written entry

    def get_or_make(self, kind: str, key: str, make: Callable[[], Any]) -> Any:
        value = self.get(kind, key)
        if value is None:
            value = make()
            self.put(kind, key, value)
        return value
