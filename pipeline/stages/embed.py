"""Stage `embed`: outputs/clean/papers.parquet -> outputs/embed/.

Writes `embeddings.npy` (one L2-normalised float32 row per paper, in papers.parquet order),
`index.parquet` (paper_id, row) and `meta.json` (encoder, version, dim, cache hits/misses,
timings). Vectors come from the content-addressed cache (pipeline/embed_cache.py) where the
same encoder version has seen the same text before; only the rest is encoded, so a new dump
costs only its new papers. Identical texts are encoded once. The misses are encoded in chunks
on `engine` (here, or on Dask workers: pipeline/parallel_encode.py); only this process
writes the cache.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from pipeline.config import Config
from pipeline.embed_cache import EmbeddingCache, text_key
from pipeline.encoders import Encoder, load_encoder
from pipeline.engine import open_engine
from pipeline.io import read_table, write_embeddings, write_json
from pipeline.parallel_encode import encode_chunks, encoder_source
from pipeline.progress import progress as progress_bar

log = logging.getLogger(__name__)
FLUSH_ROWS = 50_000  # new vectors per cache shard while a long run is going


def embed_texts(
    texts: list[str],
    encoder: Encoder,
    cache: EmbeddingCache | None,
    progress: bool = False,
    cfg: Config | None = None,
) -> tuple[np.ndarray, dict]:
    """Vectors for `texts` (in order) and counts: cache hits, misses and unique texts.

    Misses are encoded in chunks on `cfg.engine` (this process by default); this process
    alone writes the cache, every `FLUSH_ROWS` new vectors, so an interrupted run keeps most
    of its work and the cache is the same whichever engine encoded.
    """
    cfg = cfg or Config()
    keys = [text_key(t) for t in texts]
    unique_keys = list(dict.fromkeys(keys))
    first_text = dict(zip(keys, texts, strict=True))
    if cache is not None:
        vectors, found = cache.get(unique_keys)
    else:
        vectors = np.zeros((len(unique_keys), encoder.dim), dtype=np.float32)
        found = np.zeros(len(unique_keys), dtype=bool)
    missing = np.flatnonzero(~found)
    if len(missing):
        log.info(
            "embedding %d new text(s) with %s on the %s engine",
            len(missing), encoder.name, cfg.engine.kind,
        )  # fmt: skip
        todo = [first_text[unique_keys[i]] for i in missing]
        stored = 0
        with (
            open_engine(cfg.engine) as engine,
            progress_bar(total=len(todo), desc=encoder.name, unit="text", enabled=progress) as bar,
        ):
            source = encoder_source(encoder, cfg.embed, cfg.seed, engine)
            for offset, new in encode_chunks(todo, encoder, source, engine, cfg.engine.chunk_size):
                end = offset + len(new)
                vectors[missing[offset:end]] = new
                bar.update(len(new))
                if cache is not None and (end - stored >= FLUSH_ROWS or end == len(todo)):
                    rows = missing[stored:end]
                    cache.put([unique_keys[i] for i in rows], vectors[rows])
                    stored = end
    row_of = {k: i for i, k in enumerate(unique_keys)}
    matrix = vectors[[row_of[k] for k in keys]] if keys else vectors
    stats = {
        "texts": len(texts),
        "unique_texts": len(unique_keys),
        "cache_hits": int(found.sum()),
        "cache_misses": int(len(missing)),
    }
    return matrix, stats


def run(cfg: Config, progress: bool = True, use_cache: bool = True) -> dict:
    """Embed every paper; returns what it also writes to meta.json."""
    t0 = time.perf_counter()
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    texts = papers["text"].fillna("").astype(str).tolist()
    encoder = load_encoder(cfg.embed, seed=cfg.seed)
    t_fit = time.perf_counter()
    encoder.fit(texts)  # only the tfidf encoder learns anything; it needs the whole corpus
    t_lookup = time.perf_counter()
    cache = (
        EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
        if use_cache
        else None
    )
    matrix, stats = embed_texts(texts, encoder, cache, progress=progress, cfg=cfg)
    t_write = time.perf_counter()
    out_dir = cfg.stage_dir("embed")
    write_embeddings(papers["paper_id"].tolist(), matrix, out_dir)
    done = time.perf_counter()
    encode_s = t_write - t_lookup
    meta = {
        "encoder": encoder.name,
        "version": encoder.version,
        "dim": encoder.dim,
        "papers": len(papers),
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
