"""Would a consensus *partition* of the candidate fits be steadier than the most typical fit?

For each project seed, the `topics.candidates` seeded UMAP/HDBSCAN fits the topics stage makes
(`pipeline.topics.consensus`); then three partitions per seed: the project seed's own fit
("single"), the most typical candidate (what the stage keeps), and a co-assignment consensus:
on the 15-nearest-neighbour graph of the embeddings, keep the edges whose two papers share a
cluster in more than `t` of the candidates, take connected components, and call components
smaller than min_cluster_size noise. Noise is then filled by the neighbours' majority (the
stage reduces outliers too) and the mean pairwise ARI between seeds is printed per partition.
WordLlama embeddings of a seeded sample of arXiv-daily, as in `bench.stability_bench`.

    python -m bench.consensus_partition --papers 5000
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors

from bench.stability_bench import sample
from pipeline.config import load_config
from pipeline.embedding.encoders import load_encoder
from pipeline.topics.build import build_hdbscan
from pipeline.topics.consensus import candidate_partition, candidate_seeds, most_typical

K = 15


def consensus(parts: list[np.ndarray], edges: tuple, share: float, min_size: int) -> np.ndarray:
    rows, cols = edges
    p = np.stack(parts)
    agree = ((p[:, rows] == p[:, cols]) & (p[:, rows] >= 0)).mean(axis=0) > share
    n = p.shape[1]
    graph = coo_matrix((np.ones(agree.sum()), (rows[agree], cols[agree])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.where(np.bincount(labels)[labels] >= min_size, labels, -1)


def fill_noise(labels: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    labels = labels.copy()
    for _ in range(10):
        noise = np.flatnonzero(labels < 0)
        for i in noise:
            near = labels[neighbours[i]]
            if (near >= 0).any():
                labels[i] = np.bincount(near[near >= 0]).argmax()
        if len(noise) == 0 or (labels >= 0).all():
            break
    return labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=5000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    ap.add_argument("--shares", type=float, nargs="+", default=[0.5, 0.7, 0.9])
    args = ap.parse_args()
    cfg = load_config("configs/params.yaml", embed={"encoder": "wordllama"})
    texts = sample(args.papers, 0)
    emb = np.asarray(load_encoder(cfg.embed, cfg.seed).fit(texts).encode(texts), np.float32)
    _, idx = NearestNeighbors(n_neighbors=K + 1, metric="cosine").fit(emb).kneighbors(emb)
    neighbours = idx[:, 1:]
    edges = (np.repeat(np.arange(len(emb)), K), neighbours.ravel())
    hdbscan = build_hdbscan(cfg.topics, len(emb))
    variants: dict[str, dict[int, np.ndarray]] = {}
    for seed in args.seeds:
        parts = [
            candidate_partition(s, emb, None, cfg.topics.umap, hdbscan)
            for s in candidate_seeds(seed, cfg.topics.candidates)
        ]
        variants.setdefault("single fit", {})[seed] = parts[0]
        variants.setdefault("most typical", {})[seed] = parts[most_typical(parts)[0]]
        for share in args.shares:
            part = consensus(parts, edges, share, hdbscan.min_cluster_size)
            variants.setdefault(f"consensus > {share:g}", {})[seed] = part
    for name, by_seed in variants.items():
        filled = {s: fill_noise(p, neighbours) for s, p in by_seed.items()}
        aris = [adjusted_rand_score(filled[a], filled[b])
                for a, b in itertools.combinations(args.seeds, 2)]  # fmt: skip
        print(json.dumps({
            "partition": name, "papers": len(emb),
            "mean_pairwise_ari": round(float(np.mean(aris)), 3),
            "min_ari": round(float(np.min(aris)), 3),
            "topics": [int(len(set(p.tolist()) - {-1})) for p in by_seed.values()],
            "noise_before_filling": [round(float((p < 0).mean()), 3) for p in by_seed.values()],
        }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
