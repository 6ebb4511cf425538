"""Every stage on the seed dumps, each in its own process as `dvc repro` runs it.

    .venv/bin/python -m bench.seeds_bench [--encoder minilm]

Outputs and the embedding cache go to a scratch folder, so the repo's outputs are untouched.
The embedding cache starts empty (the first run on a machine); the
embed stage is then run a second time, served from the cache, and both timings are kept.
Wall time and peak RSS per stage come from GNU time. One JSON line per run is appended to
bench/work/seeds_results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "work" / "seeds_results.jsonl"
STAGES = ["ingest", "clean", "embed", "topics", "themes", "trends", "compare", "dashboard"]


def timed(stage: str, params: Path) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        cmd = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name]
        cmd += [sys.executable, "-m", "pipeline", stage, "-p", str(params)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{stage} failed:\n{proc.stderr[-3000:]}")
        peak_kb = int(rss.read().split()[-1])
    return {"stage": stage, "wall_s": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="minilm", choices=["minilm", "wordllama", "tfidf"])
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="seeds_bench_"))
    params = yaml.safe_load((REPO / "configs" / "params.yaml").read_text())
    params["paths"]["outputs"] = str(work / "outputs")
    params["paths"]["cache"] = str(work / "cache")
    params["embed"]["encoder"] = args.encoder
    path = work / "params.yaml"
    path.write_text(yaml.safe_dump(params))

    rows = []
    for stage in STAGES:
        rows.append(timed(stage, path))
        print(json.dumps(rows[-1]), flush=True)
        if stage == "embed":
            rows.append({**timed(stage, path), "stage": "embed (cached)"})
            print(json.dumps(rows[-1]), flush=True)
    metrics = json.loads((work / "outputs" / "topics" / "metrics.json").read_text())
    record = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "encoder": args.encoder,
        "stages": rows,
        "total_s": round(sum(r["wall_s"] for r in rows if r["stage"] != "embed (cached)"), 1),
        "topics": {k: metrics[k] for k in ("bertopic", "nmf", "lda") if k in metrics},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
