"""The weekly workflow, timed: dumps added one at a time to a copy of the project (issue 12).

A synthetic but real-paper series: `--dumps` fortnightly listings of medical-imaging arXiv
papers (from ../shared/external/arxiv-daily), `--per-dump` entries each, `--carried` of them
carried over from the previous listing, saved as JSONL exports of one source named in
configs/snapshots.yaml. The seed dumps stay in. After each dump, `dvc repro` runs and its wall
time is recorded with what the topics stage reports about the papers already there (kept
topic id, ARI, refit or not). One JSON line per dump goes to bench/work/series_bench.jsonl.

    python -m bench.series_bench --dumps 20 --work /tmp/series_bench
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import yaml

CORPUS = Path("../shared/external/arxiv-daily/arxiv_daily.jsonl.gz")
ASSIGNMENTS = Path("outputs/topics/assignments.parquet")
MEDICAL = re.compile(
    r"\b(medical|clinical|radiolog\w*|patholog\w*|MRI|CT|X-rays?|ultrasound|endoscop\w*|"
    r"fundus|lesions?|tumou?rs?|surgical)\b",
    re.I,
)
IGNORE = shutil.ignore_patterns(".git", ".venv", "outputs", ".cache", "bench", "*.egg-info",
                                ".pytest_cache", ".ruff_cache", "__pycache__", "tmp")  # fmt: skip


def medical_papers(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    keep = [r for r in rows if {"cs.CV", "eess.IV"} & set(r["categories"])]
    return [r for r in keep if MEDICAL.search(r["title"] + " " + r["abstract"])]


def listings(papers: list[dict], n: int, per: int, carried: int, seed: int) -> list[list[dict]]:
    """Fortnightly windows from 2025-06-01; each listing = new papers + carried old ones."""
    rng = random.Random(seed)
    start, out, prev = date(2025, 6, 1), [], []
    for k in range(n):
        lo, hi = start + timedelta(days=14 * k), start + timedelta(days=14 * (k + 1))
        window = [p for p in papers if lo.isoformat() <= p["date"] < hi.isoformat()]
        fresh = rng.sample(window, min(per - carried, len(window))) if k else rng.sample(
            window, min(per, len(window)))  # fmt: skip
        keep = rng.sample(prev, min(carried, len(prev))) if prev else []
        out.append(keep + fresh)
        prev = keep + fresh
    return out


def write_dump(project: Path, k: int, rows: list[dict]) -> str:
    name = f"weekly_{k:02d}"
    with (project / "seeds" / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"title": r["title"], "abstract": r["abstract"],
                                 "date": r["date"], "arxiv_id": r["arxiv_id"]}) + "\n")  # fmt: skip
    return name


def pin(project: Path, name: str, day: str) -> None:
    path = project / "configs" / "snapshots.yaml"
    raw = yaml.safe_load(path.read_text()) or {}
    raw.setdefault("snapshots", {})[name] = {"source": "weekly arXiv listing", "date": day}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def repro(project: Path) -> tuple[float, str]:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    t0 = time.perf_counter()
    out = subprocess.run([str(Path(sys.executable).parent / "dvc"), "repro"], cwd=project,
                         env=env, capture_output=True, text=True)  # fmt: skip
    if out.returncode:
        raise SystemExit(out.stdout[-3000:] + out.stderr[-3000:])
    stages = re.findall(r"stage (\w+) done in ([\d.]+) s", out.stdout + out.stderr)
    return time.perf_counter() - t0, {name: float(s) for name, s in stages}


def override(params: Path, settings: list[str]) -> None:
    doc = yaml.safe_load(params.read_text())
    for item in settings:
        key, _, value = item.partition("=")
        *parents, leaf = key.split(".")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    if settings:
        params.write_text(yaml.safe_dump(doc, sort_keys=False))


def since_last_run(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """What the user sees change: the old papers' topics in this run's outputs against the
    previous run's. metrics.json's `last_dump` replays the history inside one run, so it
    cannot see a reference that was refitted because an old paper's text changed."""
    from sklearn.metrics import adjusted_rand_score

    both = before.merge(after, on="paper_id", suffixes=("_before", "_after"))
    same = (both["topic_before"] == both["topic_after"]).mean()
    ari = adjusted_rand_score(both["topic_before"], both["topic_after"])
    return {"kept_since_last_run": round(float(same), 4),
            "ari_since_last_run": round(float(ari), 4)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dumps", type=int, default=20)
    ap.add_argument("--per-dump", type=int, default=60)
    ap.add_argument("--carried", type=int, default=15)
    ap.add_argument("--work", type=Path, default=Path("/tmp/series_bench"))
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=YAML",
        help="params.yaml overrides, e.g. topics.history.guided_refit=true",
    )
    args = ap.parse_args()
    project = args.work / "project"
    shutil.rmtree(args.work, ignore_errors=True)
    shutil.copytree(Path.cwd(), project, ignore=IGNORE)
    (project / "dvc.lock").unlink(missing_ok=True)
    # A cold start: DVC's run cache would restore the seeds' outputs without running them.
    shutil.rmtree(project / ".dvc" / "cache", ignore_errors=True)
    override(project / "configs" / "params.yaml", args.set)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    log = Path(
        "bench/work/series_bench.jsonl" if not args.set else "bench/work/series_bench_set.jsonl"
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    seconds, ran = repro(project)
    print(json.dumps({"dump": "seeds", "seconds": round(seconds, 1), "ran": ran}), flush=True)
    series = listings(medical_papers(CORPUS), args.dumps, args.per_dump, args.carried, args.seed)
    for k, rows in enumerate(series):
        # Listed after every seed dump (the latest is dated 2026-05), as a new habit would be.
        day = (date(2026, 6, 1) + timedelta(days=14 * k)).isoformat()
        name = write_dump(project, k, rows)
        pin(project, name, day)
        before = pd.read_parquet(project / ASSIGNMENTS)
        seconds, ran = repro(project)
        metrics = json.loads((project / "outputs/topics/metrics.json").read_text())
        hist = metrics["history"]
        row = {"dump": name, "k": k + 1, "entries": len(rows), "seconds": round(seconds, 1),
               "ran": ran, **{f"topics_{x}": y for x, y in hist["last_dump"].items()},
               **since_last_run(before, pd.read_parquet(project / ASSIGNMENTS)),
               "fitted_on": hist["fitted_on_papers"], "n_topics": metrics["bertopic"]["n_topics"],
               "npmi": metrics["bertopic"]["npmi"]}  # fmt: skip
        print(json.dumps(row), flush=True)
        with log.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
