"""Finer scores for the window variants, from the window vectors `embed_bench minilm` saved.

    .venv/bin/python -m bench.embed_window_eval "minilm_w256_s128_m4_q0" [--n 2000]

Adds, beside primary-category kNN accuracy: the mean Jaccard overlap between a paper's full
arXiv category set and those of its 10 nearest neighbours (a finer label than the primary
category), each with a paired 95% bootstrap interval against plain truncation.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench.embed_bench import WORK
from bench.embed_data import ARXIV, sample
from bench.embed_quality import knn_hits, paired_diff
from pipeline.embedding.encoders import normalise


def category_sets(n: int, seed: int) -> list[set[str]]:
    import pandas as pd

    ids = sample(n, seed)["arxiv_id"]
    cats = pd.read_json(ARXIV, lines=True, compression="gzip")[["arxiv_id", "categories"]]
    return [set(c) for c in cats.set_index("arxiv_id").loc[ids, "categories"]]


def knn_jaccard(x: np.ndarray, sets: list[set[str]], k: int = 10) -> np.ndarray:
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    nn = np.argpartition(-sims, k, axis=1)[:, :k]
    return np.array(
        [
            np.mean([len(sets[i] & sets[j]) / len(sets[i] | sets[j]) for j in row])
            for i, row in enumerate(nn)
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tag")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    vecs = np.load(WORK / f"vecs_{args.tag}.npy")
    owner = np.load(WORK / f"owner_{args.tag}.npy")
    df = sample(args.n, args.seed)
    labels, sets = df["primary_category"].to_numpy(), category_sets(args.n, args.seed)
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    last = np.r_[first[1:] - 1, len(owner) - 1]
    summed = np.zeros((args.n, vecs.shape[1]))
    np.add.at(summed, owner, vecs)
    variants = {
        "truncated": vecs[first],
        "first_last": normalise(vecs[first] + vecs[last]),
        "windowed": normalise(summed),
    }
    out = {"run": f"window-eval {args.tag}"}
    base_j = base_h = None
    for name, x in variants.items():
        jac, hits = knn_jaccard(x, sets), knn_hits(x, labels)
        out[name] = {"knn10_category_jaccard": round(float(jac.mean()), 4)}
        if base_j is None:
            base_j, base_h = jac, hits
        else:
            out[name]["jaccard_minus_truncated_ci95"] = [
                round(v, 4) for v in paired_diff(base_j, jac)
            ]
            out[name]["knn10_minus_truncated_ci95"] = [
                round(v, 4) for v in paired_diff(base_h, hits)
            ]
    with open(WORK / "embed_results.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(out) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
