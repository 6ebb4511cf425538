"""Seed-to-seed stability of the topic model, with several seeds (issue 12).

Fits the topics exactly as the stage does (`fit_topics` with the project params) on a seeded
sample of arXiv papers, once per seed, and reports the mean pairwise ARI between the seeds'
partitions (outliers after re-assignment included), per UMAP/HDBSCAN variant. WordLlama
embeddings (MiniLM on 10,000 papers takes about 20 minutes here).

    python -m bench.stability_bench --papers 5000 --seeds 42 1 2 3
    python -m bench.stability_bench --variants "single fit" "most typical of 5"
    python -m bench.stability_bench --seeds-corpus --variants "single fit" "most typical of 5"
    python -m bench.stability_bench --papers 10000 --variants project --metrics-sample-check
    python -m bench.stability_bench --papers 10000 --corpus arxiv+confpapers --variants project \
        --metrics-sample-check

`--metrics-sample-check` (corpora above `topics.metrics_sample`): also fits each seed on the
metrics sample the stage uses, and compares three figures: `metrics.json`'s stability before
issue 12's fourth pass (the first seed's fit on all papers, restricted to the sample, against
the other seeds' fits of the sample alone), the seeds' fits of all papers compared on the
sample, and the seeds' fits of the sample compared with each other.

"project" is whatever configs/params.yaml says (since issue 12: the most typical of
`topics.candidates` fits, pipeline/topics/consensus.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time

import numpy as np
from sklearn.metrics import adjusted_rand_score

from bench.scale_bench import CORPORA, source_records
from pipeline.config import load_config
from pipeline.embedding.encoders import load_encoder
from pipeline.textclean import model_text
from pipeline.topics.fit import fit_topics
from pipeline.topics.quality import metrics_sample

VARIANTS = {
    "project": {},
    "umap n_neighbors 30": {"umap": {"n_neighbors": 30}},
    "umap n_neighbors 50": {"umap": {"n_neighbors": 50}},
    "hdbscan leaf": {"hdbscan": {"cluster_selection_method": "leaf"}},
    "single fit": {"candidates": 1},
    "most typical of 5": {"candidates": 5},
    "most typical of 9": {"candidates": 9},
}


def sample(n: int, seed: int, corpus: str = "arxiv") -> list[str]:
    """`n` papers drawn at random from the corpus (`scale_bench.CORPORA`: arxiv, or
    arxiv+confpapers, the 188,599 records of the scale bench)."""
    rows = [rec for name in CORPORA[corpus] for rec in source_records(name)]
    rows = random.Random(seed).sample(rows, n)
    return [model_text(r["title"], r["abstract"]) for r in rows]


def seeds_corpus() -> tuple[list[str], np.ndarray]:
    """The texts and vectors the topics stage fits on the seeds (the whole corpus is the
    reference there, so these are the papers `metrics.json`'s stability is computed on)."""
    import pandas as pd

    papers = pd.read_parquet("outputs/clean/papers.parquet")
    texts = papers["text"].fillna("").astype(str).tolist()
    return texts, np.load("outputs/embed/embeddings.npy")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=5000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument(
        "--seeds-corpus",
        action="store_true",
        help="the seeds' papers and MiniLM embeddings from outputs/ (run `dvc repro` first)",
    )
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="arxiv")
    ap.add_argument("--metrics-sample-check", action="store_true")
    args = ap.parse_args()
    if args.seeds_corpus:
        texts, emb = seeds_corpus()
    else:
        texts = sample(args.papers, 0, args.corpus)
        base = load_config("configs/params.yaml", embed={"encoder": "wordllama"})
        emb = np.asarray(load_encoder(base.embed, base.seed).fit(texts).encode(texts), np.float32)
    for name in args.variants:
        cfg = load_config("configs/params.yaml", topics=VARIANTS[name])
        t0 = time.perf_counter()
        parts = {s: fit_topics(texts, emb, cfg.topics, s).topics for s in args.seeds}
        aris = [adjusted_rand_score(parts[a], parts[b])
                for a, b in itertools.combinations(args.seeds, 2)]  # fmt: skip
        row = {
            "variant": name, "papers": len(texts), "seeds": args.seeds,
            "mean_pairwise_ari": round(float(np.mean(aris)), 3),
            # what metrics.json reports: the first seed against each of the others
            "stability": round(float(np.mean(aris[: len(args.seeds) - 1])), 3),
            "min_ari": round(float(np.min(aris)), 3),
            "n_topics": {s: int(len(set(p.tolist()) - {-1})) for s, p in parts.items()},
            "seconds": round(time.perf_counter() - t0, 1),
        }  # fmt: skip
        print(json.dumps(row), flush=True)
        if args.metrics_sample_check:
            print(json.dumps(metrics_sample_check(texts, emb, cfg, args.seeds, parts)), flush=True)


def metrics_sample_check(texts, emb, cfg, seeds, parts) -> dict:
    """Stability above `topics.metrics_sample`: what the metric compared, and the
    like-for-like alternatives (see the module doc)."""
    rows = metrics_sample(len(texts), cfg)
    t0 = time.perf_counter()
    sub = {s: fit_topics([texts[i] for i in rows], emb[rows], cfg.topics, s).topics for s in seeds}
    first, others = seeds[0], seeds[1:]

    def mean(pairs):
        return round(float(np.mean([adjusted_rand_score(a, b) for a, b in pairs])), 3)

    return {
        "papers": len(texts), "metrics_sample": len(rows), "seeds": seeds,
        "all_papers_fit_vs_sample_fits": mean((parts[first][rows], sub[s]) for s in others),
        "all_papers_fits_on_the_sample": mean((parts[first][rows], parts[s][rows]) for s in others),
        "all_papers_fits": mean((parts[first], parts[s]) for s in others),
        "sample_fits": mean((sub[first], sub[s]) for s in others),
        "n_topics_sample_fits": {s: int(len(set(p.tolist()) - {-1})) for s, p in sub.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip


if __name__ == "__main__":
    main()
