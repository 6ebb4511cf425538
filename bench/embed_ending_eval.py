"""Does a paper's vector still know how its text ends? Windowed vs truncated MiniLM vectors.

    .venv/bin/python -m bench.embed_ending_eval "minilm_w256_s128_m4_q0" [--n 2000]

Category kNN (bench/embed_window_eval.py) cannot see what truncation loses: a paper's
primary category is usually clear from its first sentences. This asks the question that
truncation does fail: for every paper whose text runs past the first 256-token window, the
last `--tail` words of its text are encoded as a query, and the paper's own vector is searched
for among all N papers. A vector that covers the whole text should rank its paper higher.
Reported per variant: recall@1, recall@10 and mean reciprocal rank, with a paired 95%
bootstrap interval of windowed minus truncated.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench.embed_bench import WORK
from bench.embed_data import sample
from bench.embed_quality import paired_diff
from pipeline.embedding.encoders import normalise


def ranks(queries: np.ndarray, docs: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of each query's own paper among all papers (cosine, unit vectors)."""
    sims = queries @ docs.T
    own = sims[np.arange(len(truth)), truth]
    return 1 + (sims > own[:, None]).sum(axis=1)


def main() -> None:
    from pipeline.config import Embed
    from pipeline.embedding.encoders import load_encoder

    p = argparse.ArgumentParser()
    p.add_argument("tag")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--tail", type=int, default=60, help="words from the end of the text")
    args = p.parse_args()
    vecs = np.load(WORK / f"vecs_{args.tag}.npy")
    owner = np.load(WORK / f"owner_{args.tag}.npy")
    texts = sample(args.n, args.seed)["text"].tolist()
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    summed = np.zeros((args.n, vecs.shape[1]))
    np.add.at(summed, owner, vecs)
    docs = {"truncated": normalise(vecs[first]), "windowed": normalise(summed)}
    long = np.flatnonzero(np.bincount(owner, minlength=args.n) > 1)  # past the first window

    encoder = load_encoder(Embed(encoder="minilm", max_windows=1), seed=args.seed)
    tails = [" ".join(texts[i].split()[-args.tail :]) for i in long]
    queries = normalise(encoder.encode(tails, progress=False))

    out: dict = {"run": f"ending-eval {args.tag}", "papers": args.n, "long_papers": len(long)}
    hit1, hit10, rr = {}, {}, {}
    for name, x in docs.items():
        r = ranks(queries, x, long)
        hit1[name], hit10[name], rr[name] = r == 1, r <= 10, 1.0 / r
        out[name] = {
            "recall_at_1": round(float(hit1[name].mean()), 4),
            "recall_at_10": round(float(hit10[name].mean()), 4),
            "mrr": round(float(rr[name].mean()), 4),
        }
    for label, per in (("recall_at_1", hit1), ("recall_at_10", hit10), ("mrr", rr)):
        diff = paired_diff(per["truncated"], per["windowed"])
        out[f"windowed_minus_truncated_{label}_ci95"] = [round(v, 4) for v in diff]
    with open(WORK / "embed_results.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(out) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
