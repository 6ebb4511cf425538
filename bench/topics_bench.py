"""Embed + topics stages on N arXiv papers, scored against arXiv's primary category.

    NUMBA_CACHE_DIR=.cache/numba HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
        .venv/bin/python -m bench.topics_bench 2000 --encoder minilm

Draws the same seeded sample as the embed benchmark (bench/embed_data.py), writes it as a
papers table into a scratch project, and runs `python -m pipeline embed` and `... topics` there
as separate processes, recording wall time and peak memory of each. Then fits plain BERTopic
defaults (`BERTopic().fit_transform(texts, embeddings)`, nothing else set) on the same papers
and embeddings, and reports NMI/ARI against `primary_category` for both (outliers count as one
cluster, as a reader of the assignments would see them), plus the stage's own metrics.json.
One JSON line per run is appended to bench/work/topics_results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "work" / "topics_results.jsonl"


def run_stage(stage: str, params: Path) -> dict:
    """One stage in its own process (as `dvc repro` runs it): wall seconds and peak RSS.

    Peak RSS comes from GNU time: a child's own rusage would include the pages of this
    process (which holds the whole arXiv file) from before the exec.
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        cmd = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name]
        cmd += [sys.executable, "-m", "pipeline", stage, "-p", str(params)]
        t0 = time.perf_counter()
        status = subprocess.run(cmd, cwd=REPO, env=env).returncode
        wall = time.perf_counter() - t0
        if status != 0:
            raise SystemExit(f"stage {stage} failed with status {status}")
        peak_kb = int(rss.read().split()[-1])
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024)}


def scores(truth, labels) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels)
    kept = labels != -1
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "nmi_without_outliers": round(
            float(normalized_mutual_info_score(truth[kept], labels[kept])), 4
        )
        if kept.any()
        else None,
        "n_topics": int(len(set(labels.tolist()) - {-1})),
        "outlier_share": round(float((~kept).mean()), 4),
    }


def plain_bertopic(texts: list[str], embeddings: np.ndarray) -> tuple[list[int], float]:
    from bertopic import BERTopic

    t0 = time.perf_counter()
    topics, _ = BERTopic().fit_transform(texts, embeddings)
    return topics, round(time.perf_counter() - t0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="papers to sample (all 96,789 if larger)")
    parser.add_argument("--encoder", default="minilm", choices=["minilm", "wordllama", "tfidf"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    parser.add_argument("--no-plain", action="store_true", help="skip plain BERTopic defaults")
    args = parser.parse_args()

    from bench.embed_data import as_papers, sample
    from pipeline.io import read_embeddings, read_table, write_table

    work = args.work or Path(tempfile.mkdtemp(prefix="topics_bench_"))
    params = yaml.safe_load((REPO / "configs" / "params.yaml").read_text())
    params["seed"] = args.seed
    params["paths"]["outputs"] = str(work / "outputs")
    params["paths"]["cache"] = str(work / "cache")  # a cold embedding cache: time the encoder
    params["embed"]["encoder"] = args.encoder
    params_path = work / "params.yaml"
    work.mkdir(parents=True, exist_ok=True)
    params_path.write_text(yaml.safe_dump(params))

    papers = as_papers(sample(args.n, seed=args.seed))
    write_table(papers, work / "outputs" / "clean" / "papers.parquet", "papers")
    n = len(papers)
    print(f"{n} papers -> {work}", flush=True)

    stages = {s: run_stage(s, params_path) for s in ("embed", "topics")}
    for m in stages.values():
        m["papers_per_s"] = round(n / m["wall_s"], 1)

    truth = papers["category"].to_numpy()
    out = work / "outputs" / "topics"
    ours = read_table(out / "assignments.parquet", "assignments").set_index("paper_id")
    result = {
        "n": n,
        "encoder": args.encoder,
        "seed": args.seed,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "stages": stages,
        "ours": scores(truth, ours.loc[papers["paper_id"], "topic"].to_numpy()),
        "metrics": json.loads((out / "metrics.json").read_text()),
    }
    if not args.no_plain:
        ids, emb = read_embeddings(work / "outputs" / "embed", papers["paper_id"].tolist())
        topics, wall = plain_bertopic(papers["text"].tolist(), emb)
        result["plain_bertopic"] = {**scores(truth, topics), "fit_s": wall}
    result["peak_rss_mb_bench"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(result, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
