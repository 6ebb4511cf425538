"""Encoding many texts in chunks through the engine (`pipeline.engine`): here or on Dask.

A task gets a chunk of texts and what it needs to build the encoder, never a loaded model:

- pretrained encoders (minilm, wordllama) travel as a `Recipe` (the `embed` params as JSON and
  the seed); each worker process builds the encoder from it once and keeps it
  (`functools.lru_cache`), so a worker loads its model once, not once per chunk;
- the tfidf encoder learns from the whole corpus, so it is fitted once in the parent and the
  fitted encoder itself is shipped, once per worker (`engine.share`, a Dask broadcast).

With the local engine the parent's own encoder object does the work (no second copy of the
model). Every task returns its encoder's `version` with the vectors, and a worker whose
version differs from the parent's (other package versions on a cluster machine) is an error,
because the cache files vectors under the parent's version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.config import Embed
from pipeline.embedding.encoders import Encoder, load_encoder
from pipeline.engine import chunked
from pipeline.errors import PipelineError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    """Everything a worker needs to build a pretrained encoder (small and picklable)."""

    embed_json: str
    seed: int


@lru_cache(maxsize=2)
def _worker_encoder(embed_json: str, seed: int) -> Encoder:
    return load_encoder(Embed.model_validate_json(embed_json), seed=seed)


def encode_chunk(texts: list[str], source: Recipe | Encoder) -> tuple[str, np.ndarray]:
    """(encoder version, unit vectors) for one chunk; runs in the parent or on a worker."""
    encoder = (
        _worker_encoder(source.embed_json, source.seed) if isinstance(source, Recipe) else source
    )
    return encoder.version, encoder.encode(texts, progress=False)


def encoder_source(encoder: Encoder, embed_cfg: Embed, seed: int, engine) -> Recipe | Encoder:
    """What the tasks get: the encoder itself (local engine, fitted tfidf) or its recipe."""
    if engine.name == "local":
        return encoder
    if encoder.name == "tfidf":
        return engine.share(encoder)
    return Recipe(embed_cfg.model_dump_json(), seed)


def encode_chunks(
    texts: list[str], encoder: Encoder, source: Recipe | Encoder, engine, chunk_size: int
) -> Iterator[tuple[int, np.ndarray]]:
    """(offset, vectors) per chunk of `texts`, in order, as the engine finishes them."""
    offset = 0
    for version, vectors in engine.map_ordered(encode_chunk, chunked(texts, chunk_size), source):
        if version != encoder.version:
            raise PipelineError(
                f"a worker encodes with {version!r}, this process with {encoder.version!r}: "
                "install the same package versions on every worker"
            )
        yield offset, vectors
        offset += len(vectors)
