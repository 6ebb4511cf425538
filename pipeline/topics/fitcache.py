"""Fitted topic models and assignments kept between runs, keyed by exactly what they depend on.

A new dump should cost only its own papers. A reference fit (UMAP, HDBSCAN and c-TF-IDF on the
reference papers) depends only on those papers' texts and embeddings, the `topics` params, the
seed, the encoder that names the topics and the library versions; the assignment of one batch
of papers depends only on that fit, the batch's embeddings and the chunk size (UMAP's
`transform` seeds every call with its `transform_seed`, so earlier calls do not matter). Each is
stored under the hash of exactly those inputs, so a run that finds one skips the work and
writes the same bytes as a run without the cache (tests/test_topic_history.py checks it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
VERSION = "2"  # bump when what a fit or an assignment stores (or how it is computed) changes
LIBRARIES = ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy")


def digest(*parts: Any) -> str:
    """A content hash of texts, arrays and plain values, in order."""
    h = hashlib.sha256(VERSION.encode())
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(f"{part.dtype}{part.shape}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, list) and part and all(isinstance(x, str) for x in part):
            for text in part:
                h.update(len(text).to_bytes(8, "little"))
                h.update(text.encode("utf-8"))
        else:
            h.update(repr(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


def library_versions() -> tuple[str, ...]:
    """Pickles are only trusted by the library versions that wrote them."""
    return tuple(metadata.version(name) for name in LIBRARIES)


class FitCache:
    """Pickled values under `<root>/topics/fits/<kind>-<key>.pkl`; a None root keeps nothing."""

    def __init__(self, root: Path | None) -> None:
        self.dir = None if root is None else Path(root) / "topics" / "fits"

    def get(self, kind: str, key: str) -> Any | None:
        if self.dir is None:
            return None
        path = self.dir / f"{kind}-{key}.pkl"
        if not path.exists():
            return None
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception as e:  # a truncated or foreign file is a miss, never a result
            log.warning("ignoring unreadable cache file %s: %s", path, e)
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.dir is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{kind}-{key}.pkl"
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # a killed run leaves no half-written entry
