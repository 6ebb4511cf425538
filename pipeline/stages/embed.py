"""Stage `embed`: outputs/clean/papers.parquet -> outputs/embed/.

Writes `embeddings.npy` (one L2-normalised float32 row per paper, in papers.parquet order),
`index.parquet` (paper_id, row), `versions.npy` (one row per row of clean's versions.parquet:
the texts of revised papers, which the topic model needs) and `meta.json` (encoder, version,
dim, cache hits/misses, timings). Vectors come from the content-addressed cache
(pipeline/embedding/cache.py) where the same encoder version has seen the same text before;
only the rest is encoded, so a new dump costs only its new papers. Identical texts are encoded
once. The misses are encoded in chunks on `engine` (here, or on Dask workers:
pipeline/embedding/parallel.py); only this process writes the cache.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from pipeline.config import Config
from pipeline.embedding.cache import EmbeddingCache
from pipeline.embedding.encoders import load_encoder
from pipeline.embedding.texts import embed_texts
from pipeline.io import read_table, read_versions, write_embeddings, write_json

log = logging.getLogger(__name__)


def run(cfg: Config, progress: bool = True, use_cache: bool = True) -> dict:
    """Embed every paper; returns what it also writes to meta.json."""
    t0 = time.perf_counter()
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    texts = papers["text"].fillna("").astype(str).tolist()
    versions = read_versions(cfg.stage_dir("clean"))
    n = len(texts)
    encoder = load_encoder(cfg.embed, seed=cfg.seed)
    t_fit = time.perf_counter()
    encoder.fit(texts)  # only the tfidf encoder learns anything; it needs the whole corpus
    t_lookup = time.perf_counter()
    cache = (
        EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
        if use_cache
        else None
    )
    all_texts = texts + versions["text"].tolist()
    matrix, stats = embed_texts(all_texts, encoder, cache, progress=progress, cfg=cfg)
    t_write = time.perf_counter()
    out_dir = cfg.stage_dir("embed")
    write_embeddings(papers["paper_id"].tolist(), matrix[:n], out_dir)
    np.save(out_dir / "versions.npy", np.asarray(matrix[n:], dtype=np.float32))
    done = time.perf_counter()
    encode_s = t_write - t_lookup
    meta = {
        "encoder": encoder.name,
        "version": encoder.version,
        "dim": encoder.dim,
        "papers": len(papers),
        "text_versions": len(versions),
        "engine": cfg.engine.kind,
        **stats,
        "cache_dir": str(cache.dir) if cache is not None else None,
        "cached_texts": len(cache) if cache is not None else 0,
        "seconds": {
            "total": round(done - t0, 3),
            "read_and_load": round(t_fit - t0, 3),
            "fit": round(t_lookup - t_fit, 3),
            "lookup_and_encode": round(encode_s, 3),
            "write": round(done - t_write, 3),
        },
        "encoded_per_second": (
            round(stats["cache_misses"] / encode_s, 2) if stats["cache_misses"] else None
        ),
    }
    write_json(meta, Path(out_dir) / "meta.json")
    log.info(
        "embedded %d papers with %s (dim %d): %d from cache, %d encoded, %.1f s",
        len(papers),
        encoder.name,
        encoder.dim,
        stats["cache_hits"],
        stats["cache_misses"],
        done - t0,
    )
    return meta
