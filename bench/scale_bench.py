"""The whole pipeline on the first N papers of arxiv-daily (+ confpapers), stage by stage.

    NUMBA_CACHE_DIR=.cache/numba HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
        .venv/bin/python -m bench.scale_bench 10000 --corpus arxiv --encoder wordllama

Builds a scratch project under `--work` (default: a temp folder): `seeds/` holds a JSONL
export of the first N records of the corpus (arxiv-daily in file order, then confpapers in
file order; confpapers gives only a `year`, written as `date: YYYY-01-01`, every other field
unchanged) plus links to the repo's seed dumps (220 papers; the themes stage needs the
labelled ones, `--no-seed-dumps` leaves them out), and `params.yaml` is configs/params.yaml
with seeds, outputs and the embedding cache moved into that folder. Each stage then runs as
`python -m pipeline <stage> -p params` under `/usr/bin/time -v` (as `dvc repro` would run
it), and its wall time and peak RSS are recorded. The topic assignment is scored against
arXiv's primary category (papers.category, which ingest fills from `primary_category`) on
the papers that have one: NMI and ARI, outliers counted as one cluster. One JSON line per
run goes to bench/work/scale_results.jsonl.

`--compare-sample S` also measures what sample-fit-and-assign costs: after embed, the topics
stage runs twice on the same embeddings, once fitted on all papers and once with
`topics.sample_size: S`, and both are scored against the category and against each other.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = REPO.parent / "shared" / "external"
SOURCES = {
    "arxiv": EXTERNAL / "arxiv-daily" / "arxiv_daily.jsonl.gz",
    "confpapers": EXTERNAL / "confpapers" / "confpapers.jsonl.gz",
}
CORPORA = {"arxiv": ["arxiv"], "arxiv+confpapers": ["arxiv", "confpapers"]}
STAGES = ["ingest", "clean", "embed", "topics", "themes", "trends", "compare", "dashboard"]
RESULTS = REPO / "bench" / "work" / "scale_results.jsonl"


def source_records(name: str) -> Iterator[dict]:
    with gzip.open(SOURCES[name], "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if name == "confpapers" and "year" in rec:
                rec["date"] = f"{int(rec.pop('year')):04d}-01-01"
            yield rec


def export(corpus: str, n: int, seeds: Path, seed_dumps: bool) -> dict[str, int]:
    """The first `n` records of the corpus, one JSONL file per source; counts per file.

    With `seed_dumps`, the repo's seed dumps are linked in beside them: the themes stage
    calibrates on configs/labels, whose labelled papers are seed papers.
    """
    seeds.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    if seed_dumps:
        for dump in sorted((REPO / "seeds").iterdir()):
            if dump.is_file() and not (seeds / dump.name).exists():
                (seeds / dump.name).symlink_to(dump)
                counts[f"seeds/{dump.name}"] = -1  # a text dump: its count is in dumps.json
    left = n
    for name in CORPORA[corpus]:
        if left <= 0:
            break
        with open(seeds / f"{name}.jsonl", "w", encoding="utf-8") as out:
            k = 0
            for rec in source_records(name):
                if k >= left:
                    break
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                k += 1
        counts[name], left = k, left - k
    return counts


def write_params(work: Path, args: argparse.Namespace, **topics: object) -> Path:
    params = yaml.safe_load((REPO / "configs" / "params.yaml").read_text())
    for key in ("snapshots", "themes", "labels"):  # read-only inputs stay in the repo
        params["paths"][key] = str(REPO / params["paths"][key])
    params["paths"]["seeds"] = str(work / "seeds")
    params["paths"]["outputs"] = str(work / "outputs")
    params["paths"]["cache"] = str(work / "cache")  # cold cache: the encoder is timed
    params["embed"]["encoder"] = args.encoder
    params["engine"]["kind"] = args.engine
    params["engine"]["n_workers"] = args.workers
    if args.chunk_size:
        params["engine"]["chunk_size"] = args.chunk_size
    params["topics"].update(topics)
    name = "params.yaml" if not topics else f"params-{'-'.join(map(str, topics.values()))}.yaml"
    path = work / name
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


_WALL = re.compile(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)")
_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


def run_stage(stage: str, params: Path, logs: Path) -> dict:
    """One stage in its own process under GNU time: wall seconds, peak RSS, CPU seconds."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))
    logs.mkdir(parents=True, exist_ok=True)
    timing = logs / f"{stage}.time"
    cmd = ["/usr/bin/time", "-v", "-o", str(timing)]
    cmd += [sys.executable, "-m", "pipeline", stage, "-p", str(params)]
    with open(logs / f"{stage}.log", "w") as log:
        status = subprocess.run(cmd, cwd=REPO, env=env, stdout=log, stderr=log).returncode
    text = timing.read_text()
    h, m, s = _WALL.search(text).groups()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text)[1])
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text)[1])
    out = {
        "wall_s": round(int(h or 0) * 3600 + int(m) * 60 + float(s), 1),
        "peak_rss_mb": round(int(_RSS.search(text)[1]) / 1024),
        "cpu_s": round(user + system, 1),
        "status": status,
    }
    print(f"  {stage:<10} {out}", flush=True)
    return out


def category_scores(outputs: Path) -> dict:
    """NMI/ARI of the topic assignment against the primary category, where there is one."""
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    papers = pd.read_parquet(outputs / "clean" / "papers.parquet", columns=["paper_id", "category"])
    topics = pd.read_parquet(outputs / "topics" / "assignments.parquet")
    both = papers.merge(topics, on="paper_id").dropna(subset=["category"])
    truth, labels = both["category"].to_numpy(), both["topic"].to_numpy()
    return {
        "scored_papers": len(both),
        "n_topics": int(len(set(topics["topic"].tolist()) - {-1})),
        "outlier_share": round(float((topics["topic"] == -1).mean()), 4),
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4) if len(both) else None,
        "ari": round(float(adjusted_rand_score(truth, labels)), 4) if len(both) else None,
    }


def agreement(a: Path, b: Path) -> dict:
    """How far two assignments of the same papers agree (outliers as one cluster)."""
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    x = pd.read_parquet(a).merge(pd.read_parquet(b), on="paper_id", suffixes=("_a", "_b"))
    ta, tb = x["topic_a"].to_numpy(), x["topic_b"].to_numpy()
    return {
        "nmi": round(float(normalized_mutual_info_score(ta, tb)), 4),
        "ari": round(float(adjusted_rand_score(ta, tb)), 4),
    }


def compare_sample(work: Path, args: argparse.Namespace, n_papers: int) -> dict:
    """Topics fitted on all papers vs on a sample of `args.compare_sample`, same embeddings."""
    out: dict = {"sample_size": args.compare_sample, "papers": n_papers}
    kept = work / "compare"
    for name, size in (("full", max(n_papers, 2)), ("sample", args.compare_sample)):
        params = write_params(work, args, sample_size=size)
        out[name] = {"topics": run_stage("topics", params, work / "logs" / f"compare-{name}")}
        out[name].update(category_scores(work / "outputs"))
        metrics = json.loads((work / "outputs" / "topics" / "metrics.json").read_text())
        out[name]["metrics"] = metrics
        (kept / name).mkdir(parents=True, exist_ok=True)
        shutil.copy(work / "outputs" / "topics" / "assignments.parquet", kept / name)
    a, b = (kept / name / "assignments.parquet" for name in ("full", "sample"))
    out["agreement"] = agreement(a, b)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="first N records (all if larger)")
    parser.add_argument("--corpus", default="arxiv", choices=sorted(CORPORA))
    parser.add_argument("--encoder", default="wordllama", choices=["minilm", "wordllama", "tfidf"])
    parser.add_argument("--engine", default="local", choices=["local", "dask"])
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (dask)")
    parser.add_argument("--chunk-size", type=int, default=None, help="engine.chunk_size")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated, in order")
    parser.add_argument("--compare-sample", type=int, default=None, metavar="S")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--no-seed-dumps", action="store_true", help="leave out the 220 seed papers (themes fails)"
    )
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="scale_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    counts = export(args.corpus, args.n, work / "seeds", not args.no_seed_dumps)
    print(f"exported {counts} to {work / 'seeds'} in {time.perf_counter() - t0:.1f} s", flush=True)
    params = write_params(work, args)

    result: dict = {
        "corpus": args.corpus, "n_requested": args.n, "exported": counts,
        "encoder": args.encoder, "engine": args.engine,
        "workers": args.workers if args.engine == "dask" else None,
        "chunk_size": args.chunk_size,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_avg_before": [round(x, 2) for x in os.getloadavg()],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "stages": {},
    }  # fmt: skip
    for stage in args.stages.split(","):
        result["stages"][stage] = run_stage(stage, params, work / "logs")
        if result["stages"][stage]["status"] != 0:
            print(f"stage {stage} failed: see {work / 'logs' / stage}.log", flush=True)
            break
    done = [s for s, r in result["stages"].items() if r["status"] == 0]
    result["total_wall_s"] = round(sum(result["stages"][s]["wall_s"] for s in done), 1)
    result["peak_rss_mb"] = max((result["stages"][s]["peak_rss_mb"] for s in done), default=None)
    outputs = work / "outputs"
    if (outputs / "clean" / "papers.parquet").exists():
        import pandas as pd

        result["papers"] = len(pd.read_parquet(outputs / "clean" / "papers.parquet", columns=[]))
    if "topics" in done:
        result["quality"] = category_scores(outputs)
        metrics = json.loads((outputs / "topics" / "metrics.json").read_text())
        result["topic_metrics"] = {k: metrics[k] for k in ("bertopic", "settings") if k in metrics}
    if args.compare_sample and "embed" in done:
        result["compare_sample"] = compare_sample(work, args, result["papers"])
    result["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(result, sort_keys=True, default=str) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True, default=str))
    if args.work is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
