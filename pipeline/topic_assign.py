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


def _predictor(model):
    """The fitted BERTopic without what `transform` on precomputed embeddings never uses.

    The encoder and the representation model can be large and need not pickle; workers get
    UMAP, HDBSCAN and the topic mapping only.
    """
    slim = copy.copy(model)
    slim.embedding_model = None
    slim.representation_model = None
    return slim


def _assign_chunk(embeddings: np.ndarray, model) -> tuple[np.ndarray, np.ndarray]:
    from pipeline.topic_model import _assigned_probability, quiet_bertopic  # imports this module

    with quiet_bertopic():  # the texts are not needed with embeddings given
        topics, probs = model.transform([""] * len(embeddings), embeddings)
    return np.asarray(topics, dtype=int), _assigned_probability(probs)


def _place_chunk(embeddings: np.ndarray, reducer) -> np.ndarray:
    return reducer.transform(embeddings)


def assign(
    model, embeddings: np.ndarray, engine=None, chunk_size: int = 2000
) -> tuple[np.ndarray, np.ndarray]:
    """Topic and HDBSCAN membership probability of each row of `embeddings`."""
    engine = engine or LocalEngine()
    shared = engine.share(_predictor(model))
    parts = list(engine.map_ordered(_assign_chunk, chunked(embeddings, chunk_size), shared))
    if not parts:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=float)
    return np.concatenate([t for t, _ in parts]), np.concatenate([p for _, p in parts])


def place(reducer: Any, embeddings: np.ndarray, engine=None, chunk_size: int = 2000) -> np.ndarray:
    """2-D map coordinates of each row of `embeddings` from a fitted 2-D UMAP."""
    engine = engine or LocalEngine()
    shared = engine.share(reducer)
    parts = list(engine.map_ordered(_place_chunk, chunked(embeddings, chunk_size), shared))
    return np.concatenate(parts) if parts else np.zeros((0, 2))
