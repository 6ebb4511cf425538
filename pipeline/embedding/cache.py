"""A content-addressed store of embeddings, keyed by (encoder name, encoder version, text hash).

Layout, under `cfg.paths.cache / "embeddings"` (outside `outputs/`, which DVC deletes before it
re-runs a stage)::

    embeddings/<encoder name>/<sha256(version)[:16]>/
        meta.json                      encoder name, full version string, dim
        shard-<id>.npy                 float32 rows, one per text
        shard-<id>.keys.parquet        column `key`: sha256 hex of each row's text, in row order

Each run that encodes something appends one shard, so nothing is rewritten and a run costs only
its new rows; once there are more than `MAX_SHARDS` shards they are merged into one. A shard
counts only once its keys file exists, and that file is written last (write to a temporary name,
then rename), so an interrupted run leaves no half-shard behind.

Invalidation: an encoder's `version` changes whenever its vectors would (package versions,
model, window parameters, the tfidf fit corpus), and a new version is a new folder, so stale
vectors are never served. Old folders are only disk space: `clear()` (or deleting the folder)
removes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError

log = logging.getLogger(__name__)

MAX_SHARDS = 32


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_root(cache_dir: str | Path) -> Path:
    """The embeddings folder inside the pipeline's cache folder (`paths.cache`)."""
    return Path(cache_dir) / "embeddings"


def clear(cache_dir: str | Path, encoder: str | None = None) -> int:
    """Delete cached embeddings (of one encoder, or all); returns the bytes freed."""
    target = cache_root(cache_dir) / encoder if encoder else cache_root(cache_dir)
    if not target.exists():
        return 0
    freed = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    shutil.rmtree(target)
    return freed


class EmbeddingCache:
    """The vectors of one encoder version: `get` what is there, `put` what was computed."""

    def __init__(self, cache_dir: str | Path, encoder: str, version: str, dim: int):
        slug = hashlib.sha256(version.encode()).hexdigest()[:16]
        self.dir = cache_root(cache_dir) / encoder / slug
        self.encoder, self.version, self.dim = encoder, version, dim
        self._index: pd.DataFrame | None = None
        meta = self.dir / "meta.json"
        if meta.exists():
            stored = json.loads(meta.read_text("utf-8"))
            if stored.get("version") != version or stored.get("dim") != dim:
                raise PipelineError(
                    f"{self.dir} holds vectors of {stored.get('version')!r} (dim "
                    f"{stored.get('dim')}), not {version!r}: delete that folder and run again"
                )

    def _shards(self) -> list[str]:
        return sorted(p.name[: -len(".keys.parquet")] for p in self.dir.glob("*.keys.parquet"))

    def index(self) -> pd.DataFrame:
        """One row per cached text: `key`, `shard`, `row` (first copy wins if a key repeats)."""
        if self._index is None:
            parts = []
            for shard in self._shards():
                keys = pd.read_parquet(self.dir / f"{shard}.keys.parquet")["key"]
                parts.append(pd.DataFrame({"key": keys, "shard": shard, "row": range(len(keys))}))
            index = (
                pd.concat(parts, ignore_index=True)
                if parts
                else pd.DataFrame({"key": [], "shard": [], "row": []})
            )
            self._index = index.drop_duplicates("key").set_index("key")
        return self._index

    def __len__(self) -> int:
        return len(self.index())

    def get(self, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(matrix, found): rows for `keys` in order, and which of them were in the cache."""
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        index = self.index()
        pos = index.index.get_indexer(pd.Index(keys)) if len(index) else np.full(len(keys), -1)
        found = pos >= 0
        if found.any():
            hits = index.iloc[pos[found]]
            targets = np.flatnonzero(found)
            for shard, rows in hits.groupby("shard", sort=True)["row"]:
                matrix = np.load(self.dir / f"{shard}.npy", mmap_mode="r")
                sel = targets[hits["shard"].to_numpy() == shard]
                out[sel] = matrix[rows.to_numpy()]
        return out, found

    def put(self, keys: list[str], matrix: np.ndarray) -> None:
        """Store new rows as one new shard (keys already cached are skipped)."""
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.shape != (len(keys), self.dim):
            raise ValueError(f"expected a ({len(keys)}, {self.dim}) matrix, got {matrix.shape}")
        index = self.index()
        keep = ~pd.Index(keys).isin(index.index) & ~pd.Index(keys).duplicated()
        if not keep.any():
            return
        keys = [k for k, ok in zip(keys, keep, strict=True) if ok]
        self._write_shard(keys, matrix[keep])
        self._index = None
        if len(self._shards()) > MAX_SHARDS:
            self.compact()

    def _write_shard(self, keys: list[str], matrix: np.ndarray) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        meta = self.dir / "meta.json"
        if not meta.exists():
            info = {"encoder": self.encoder, "version": self.version, "dim": self.dim}
            meta.write_text(json.dumps(info, indent=2) + "\n", "utf-8")
        # Names sort by creation time, so "first copy wins" keeps the oldest vector.
        shard = f"shard-{pd.Timestamp.now('UTC'):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        tmp = f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        with open(self.dir / f"{tmp}.npy", "wb") as f:
            np.save(f, matrix)
        os.replace(self.dir / f"{tmp}.npy", self.dir / f"{shard}.npy")
        pd.DataFrame({"key": keys}).to_parquet(self.dir / f"{tmp}.parquet", index=False)
        os.replace(self.dir / f"{tmp}.parquet", self.dir / f"{shard}.keys.parquet")
        return shard

    def compact(self) -> None:
        """Merge every shard into one (assumes no other process writes meanwhile)."""
        old = self._shards()
        if len(old) < 2:
            return
        index = self.index()
        merged, _ = self.get(index.index.tolist())
        self._write_shard(index.index.tolist(), merged)
        for shard in old:
            (self.dir / f"{shard}.keys.parquet").unlink()
            (self.dir / f"{shard}.npy").unlink()
        self._index = None
        log.info("compacted %d embedding shards in %s", len(old), self.dir)
