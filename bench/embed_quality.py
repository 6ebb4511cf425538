"""How well embeddings group papers by arXiv primary category.

- kNN@k accuracy: leave-one-out majority vote of the k nearest neighbours (cosine); ties go to
  the label with the larger summed similarity. Per-paper hits are returned too, so two encoders
  can be compared on the same papers with a paired bootstrap interval.
- NMI of k-means (k clusters, mean over a few seeds) against primary_category.
"""

from __future__ import annotations

import numpy as np


def knn_hits(x: np.ndarray, labels: np.ndarray, k: int = 10) -> np.ndarray:
    """Per paper: 1 if the majority label among its k nearest neighbours is its own."""
    x = np.asarray(x, dtype=np.float32)
    codes, labels = np.unique(np.asarray(labels), return_inverse=True)
    hits = np.zeros(len(x), dtype=np.int8)
    for start in range(0, len(x), 1024):
        sims = x[start : start + 1024] @ x.T
        for r in range(sims.shape[0]):
            sims[r, start + r] = -np.inf  # leave the paper itself out
        nn = np.argpartition(-sims, k, axis=1)[:, :k]
        for r, row in enumerate(nn):
            votes = np.zeros(len(codes))
            np.add.at(votes, labels[row], 1.0 + 1e-3 * sims[r, row])
            hits[start + r] = int(votes.argmax() == labels[start + r])
    return hits


def kmeans_nmi(x: np.ndarray, labels: np.ndarray, k: int = 20, seeds=(0, 1, 2)) -> float:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    scores = []
    for seed in seeds:
        pred = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(x)
        scores.append(normalized_mutual_info_score(labels, pred))
    return float(np.mean(scores))


def paired_diff(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple:
    """Mean of b - a (per-paper hits) with a 95% bootstrap interval over papers."""
    d = np.asarray(b, float) - np.asarray(a, float)
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    return float(d.mean()), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def summary(x: np.ndarray, labels: np.ndarray, k_nn: int = 10, k_means: int = 20) -> dict:
    hits = knn_hits(x, labels, k_nn)
    return {"knn10": round(float(hits.mean()), 4), "nmi": round(kmeans_nmi(x, labels, k_means), 4)}
