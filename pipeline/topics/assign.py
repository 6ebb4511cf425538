"""Papers outside the fitted sample: assigned to topics and placed on the map in chunks.

Above `topics.sample_size` papers, UMAP/HDBSCAN are fitted on a seeded sample and every other
paper goes through the fitted models (`BERTopic.transform`, `UMAP.transform`). That work is
embarrassingly parallel, so it runs chunk by chunk on the engine (`pipeline.engine`): here, or
on Dask workers that receive the fitted models once. The chunks are the same for both engines,
so both give the same assignments. (UMAP's transform draws its randomness per call, so the
chunking, not the engine, fixes the result: chunks of at most 10,000 papers also get UMAP's
100 optimisation epochs instead of 30.)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from pipeline.engine import LocalEngine, chunked
from pipeline.topics.kernels import cache_umap_kernels
from pipeline.topics.quiet import quiet_bertopic


def _predictor(model):
    """The fitted BERTopic without what `transform` on precomputed embeddings never uses.

    The encoder and the representation model can be large and need not pickle; workers get
    UMAP, HDBSCAN and the topic mapping only.
    """
    slim = copy.copy(model)
    slim.embedding_model = None
    slim.representation_model = None
    return slim


def best_probability(probs) -> np.ndarray:
    """One probability per paper from BERTopic's output (a vector, or a matrix of topics)."""
    probs = np.asarray(probs, dtype=float)
    return probs.max(axis=1) if probs.ndim == 2 else probs


def _assign_chunk(embeddings: np.ndarray, model) -> tuple[np.ndarray, np.ndarray]:
    cache_umap_kernels()  # also on a Dask worker, which unpickles the model without build_umap
    with quiet_bertopic():  # the texts are not needed with embeddings given
        topics, probs = model.transform([""] * len(embeddings), embeddings)
    return np.asarray(topics, dtype=int), best_probability(probs)


def _place_chunk(embeddings: np.ndarray, reducer) -> np.ndarray:
    cache_umap_kernels()
    return reducer.transform(embeddings)


def _by_chunks(fn, fitted, embeddings: np.ndarray, engine, chunk_size: int) -> list:
    """`fn(chunk, fitted)` for each chunk of rows, in order; `fitted` is sent once per worker."""
    engine = engine or LocalEngine()
    shared = engine.share(fitted)
    return list(engine.map_ordered(fn, chunked(embeddings, chunk_size), shared))


def assign(model, embeddings: np.ndarray, engine, chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Topic and HDBSCAN membership probability of each row of `embeddings`."""
    parts = _by_chunks(_assign_chunk, _predictor(model), embeddings, engine, chunk_size)
    if not parts:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=float)
    return np.concatenate([t for t, _ in parts]), np.concatenate([p for _, p in parts])


def place(reducer: Any, embeddings: np.ndarray, engine, chunk_size: int) -> np.ndarray:
    """2-D map coordinates of each row of `embeddings` from a fitted 2-D UMAP."""
    parts = _by_chunks(_place_chunk, reducer, embeddings, engine, chunk_size)
    return np.concatenate(parts) if parts else np.zeros((0, 2))
