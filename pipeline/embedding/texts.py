"""Embed a list of texts through the cache, encoding only the misses (on the engine)."""

from __future__ import annotations

import logging

import numpy as np

from pipeline.config import Config
from pipeline.embedding.cache import EmbeddingCache, text_key
from pipeline.embedding.encoders import Encoder
from pipeline.embedding.parallel import encode_chunks, encoder_source
from pipeline.engine import open_engine
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


class CachedEncoder:
    """An encoder whose `encode` answers from the embedding cache first and stores the rest.

    The topics stage embeds the candidate words of its topic labels; they repeat from run to
    run, so a run whose words were all seen before never loads the model (MiniLM's start-up
    is most of that work on a dump that adds 45 papers).
    """

    def __init__(self, encoder: Encoder, cache: EmbeddingCache):
        self.encoder, self.cache = encoder, cache
        self.name, self.version, self.dim = encoder.name, encoder.version, encoder.dim

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return self.encoder.encode(texts)
        return embed_texts(texts, self.encoder, self.cache, progress=progress)[0]
