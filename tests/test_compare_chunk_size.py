"""compare's per-snapshot topic fits batch the papers outside the fitted sample by
`engine.chunk_size`, like the topics stage (the batches fix UMAP's transform)."""

from __future__ import annotations

import numpy as np

from pipeline.config import Config
from pipeline.topics import drift
from pipeline.topics import fit as topic_model
from pipeline.topics import words as topic_words


def test_snapshot_fits_get_the_engine_chunk_size(monkeypatch):
    seen = {}

    def fake_fit_topics(texts, embeddings, cfg, seed, encoder=None, engine=None, chunk_size=0):
        seen["chunk_size"] = chunk_size
        topics = np.zeros(len(texts), dtype=int)
        return topic_model.TopicFit(None, topics, topics * 0.0, topics, None, 5, len(texts))

    monkeypatch.setattr(topic_model, "fit_topics", fake_fit_topics)
    monkeypatch.setattr(topic_words, "topic_labels", lambda model, n: {0: "x"})
    cfg = Config.model_validate({"engine": {"chunk_size": 123}})
    topics, _ = drift.fit_local_topics(cfg, ["a", "b"], np.zeros((2, 3)))
    assert seen == {"chunk_size": 123} and topics.tolist() == [0, 0]
