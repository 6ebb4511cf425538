"""Small, valid upstream tables for stage tests (columns as in pipeline.io.SCHEMAS), and a
planted-topic corpus whose texts and embeddings share the same four themes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.io import SCHEMAS


def papers_table(
    texts: list[str],
    start: int = 0,
    titles: list[str] | None = None,
    dates: list[str | None] | None = None,
    category: str | None = "CL",
) -> pd.DataFrame:
    """A clean-stage papers table: one paper per text, ids numbered from `start`."""
    n = len(texts)
    ids = range(start, start + n)
    df = pd.DataFrame(
        {
            "paper_id": [f"p{i:012x}" for i in ids],
            "title": titles if titles is not None else [f"Title {i}" for i in ids],
            "abstract": texts,
            "text": texts,
            "authors": [["A. Author"]] * n,
            "date": dates if dates is not None else ["2025-01-01"] * n,
            "date_has_year": [True] * n,
            "date_precision": ["day" if d else None for d in (dates or ["2025-01-01"] * n)],
            "category": [category] * n,
            "dumps": [["d1.txt"]] * n,
            "sources": [[f"d1.txt#{i}"] for i in range(n)],
            "n_dumps": [1] * n,
            "first_seen": ["d1"] * n,
            "last_seen": ["d1"] * n,
            "upvotes": [None] * n,
            "has_code": [None] * n,
            "near_duplicate_of": [None] * n,
        }
    )
    assert list(df.columns) == SCHEMAS["papers"]
    return df


THEMES = {
    "graphs": "graph node edge message passing neighbourhood vertex spectral",
    "vision": "image pixel camera segmentation convolution lens detection",
    "speech": "speech audio acoustic phoneme speaker waveform spectrogram",
    "robots": "robot gripper manipulation locomotion actuator grasp trajectory",
}
FILLER = ["method", "results", "propose", "approach", "novel", "evaluate", "benchmark"]


def planted_corpus(per_theme: int = 40, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts drawn from four word lists, with embeddings clustered by the same themes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(THEMES), 32))
    texts, truth, rows = [], [], []
    for k, words in enumerate(THEMES.values()):
        vocab = words.split()
        for _ in range(per_theme):
            picked = list(rng.choice(vocab, 12)) + list(rng.choice(FILLER, 5))
            texts.append(" ".join(picked))
            truth.append(k)
            rows.append(centres[k] + rng.normal(scale=0.35, size=32))
    emb = np.asarray(rows, dtype=np.float32)
    return texts, emb / np.linalg.norm(emb, axis=1, keepdims=True), np.asarray(truth)
