"""Choose which arXiv papers go to the annotators for the cross-source theme labels (issue 14).

A script may choose *which* papers are read; it never decides a label. The pools below only make
sure that every theme gets enough positives and that the hard negatives are there: the
annotators label every paper from its title and abstract by the definitions in
configs/themes.yaml, whatever pool it came from. The pool is kept with each label as provenance.

    python -m bench.label_sample --out /tmp/labelling/sample.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path

CORPUS = Path("../shared/external/arxiv-daily/arxiv_daily.jsonl.gz")

MEDICAL = re.compile(
    r"\b(medical|clinical|radiolog\w*|patholog\w*|histopatholog\w*|MRI|CT|computed tomography|"
    r"X-rays?|chest|ultrasound|endoscop\w*|retinal|fundus|dermatolog\w*|mammogra\w*|"
    r"biomedical|lesions?|tumou?rs?|surgical|patients?|cancer|diagnos\w*|healthcare)\b",
    re.I,
)
IMAGING = {"cs.CV", "eess.IV"}

# Candidate pools: deliberately wider than the themes' keyword lists (the papers a keyword list
# misses are the ones the model must learn), and each pool mixes medical and general papers.
POOLS = {
    "anomaly": r"anomal|out-of-distribution|\bOOD\b|outlier|novelty|open[- ]set|defect|"
    r"unknown (class|categor)|abnormal",
    "medvlm": r"language|text|report|caption|question answering|\bVQA\b|\bLLMs?\b|"
    r"\bMLLMs?\b|\bVLMs?\b|\bCLIP\b|prompt|multimodal|multi-modal",
    "domain": r"domain[- ](adapt|generali[sz]|shift|gap|invarian)|distribution shift|"
    r"test[- ]time|source[- ]free|harmoni[sz]|unseen (site|scanner|hospital|domain|cent)|"
    r"cross[- ](site|center|centre|device|scanner|domain)|multi[- ](site|center|centre)",
    "foundation": r"foundation|segment anything|\bSAM\d?\b|MedSAM|\bDINO|\bCLIP\b|"
    r"pre-?train|generalist|large[- ]scale|\bLLMs?\b|\bMLLMs?\b",
}

# How many papers each pool contributes (medical share in brackets).
PLAN = [
    ("anomaly", 300, 0.5),
    ("medvlm", 320, 1.0),
    ("domain", 340, 0.6),
    ("foundation", 240, 0.7),
    ("medical_random", 200, 1.0),
    ("general_random", 200, 0.0),
]


def read_corpus(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def is_medical_imaging(row: dict) -> bool:
    text = f"{row['title']} {row['abstract']}"
    return bool(MEDICAL.search(text)) and bool(IMAGING & set(row["categories"]))


def is_general(row: dict) -> bool:
    return row["primary_category"] in {"cs.CV", "cs.LG", "cs.CL", "cs.AI"}


def choose(rows: list[dict], seed: int) -> list[dict]:
    rng = random.Random(seed)
    taken: set[str] = set()
    chosen: list[dict] = []

    def draw(candidates: list[dict], k: int, pool: str) -> None:
        candidates = [r for r in candidates if r["arxiv_id"] not in taken]
        for row in rng.sample(candidates, min(k, len(candidates))):
            taken.add(row["arxiv_id"])
            chosen.append({**row, "pool": pool})

    medical = [r for r in rows if is_medical_imaging(r)]
    general = [r for r in rows if is_general(r) and not MEDICAL.search(r["title"] + r["abstract"])]
    for pool, k, med_share in PLAN:
        if pool == "medical_random":
            draw(medical, k, pool)
            continue
        if pool == "general_random":
            draw(general, k, pool)
            continue
        pattern = re.compile(POOLS[pool], re.I)
        hit = lambda r, p=pattern: bool(p.search(f"{r['title']} {r['abstract']}"))  # noqa: E731
        n_med = round(k * med_share)
        draw([r for r in medical if hit(r)], n_med, pool)
        draw([r for r in general if hit(r)], k - n_med, pool)
    rng.shuffle(chosen)
    return chosen


# A top-up after the first 1,600 were labelled: anomaly detection had 114 positives (annotator
# A) against the 150 asked for, so 150 more papers come from a stricter anomaly pool.
TOP_UP = ("anomaly_strict", 150, 0.4,
          r"anomaly (detection|segmentation|localization|localisation)|out-of-distribution "
          r"detection|\bOOD detection|novelty detection|defect (detection|inspection)|"
          r"open[- ]set (recognition|detection)")  # fmt: skip


def top_up(rows: list[dict], taken: set[str], seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    pool, k, med_share, pattern = TOP_UP
    pat = re.compile(pattern, re.I)
    fresh = [
        r
        for r in rows
        if r["arxiv_id"] not in taken and pat.search(r["title"] + " " + r["abstract"])
    ]
    med = [r for r in fresh if is_medical_imaging(r)]
    gen = [r for r in fresh if not is_medical_imaging(r) and is_general(r)]
    n_med = min(len(med), round(k * med_share))
    out = rng.sample(med, n_med) + rng.sample(gen, k - n_med)
    rng.shuffle(out)
    return [{**r, "pool": pool} for r in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--top-up", action="store_true", help="only the anomaly top-up batch")
    args = parser.parse_args()
    rows = read_corpus(args.corpus)
    chosen = choose(rows, args.seed)
    if args.top_up:
        chosen = top_up(rows, {r["arxiv_id"] for r in chosen}, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    keep = ("arxiv_id", "title", "abstract", "primary_category", "date", "pool")
    with args.out.open("w", encoding="utf-8") as fh:
        for row in chosen:
            fh.write(json.dumps({k: row[k] for k in keep}, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} papers -> {args.out}")


if __name__ == "__main__":
    main()
