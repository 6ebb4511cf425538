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
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.io import PickleStore
from pipeline.topics.bertopic_import import import_bertopic

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


def fit_store(cache_root: Path | None) -> PickleStore:
    """Where topic fits and assignments are kept: `<cache>/topics/fits/` (None: nowhere)."""
    import_bertopic()  # before any fit is unpickled
    return PickleStore(None if cache_root is None else Path(cache_root) / "topics" / "fits")
