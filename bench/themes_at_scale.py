"""Themes on all 96,789 arXiv papers: the share carrying each theme, and samples to check.

Trains the themes scorer exactly as the `themes` stage does (every labelled set, the configured
method, thresholds from out-of-fold scores), scores every arXiv paper, and writes per theme a
seeded random sample of `--sample` predicted positives that carry no human label, for an
annotator to check against configs/themes.yaml (precision at scale, issue 14).

    python -m bench.themes_at_scale --encoder wordllama --work /tmp/themes_scale
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np

from pipeline.config import load_config
from pipeline.embedding.cache import EmbeddingCache
from pipeline.embedding.encoders import load_encoder
from pipeline.embedding.texts import embed_texts
from pipeline.stages.themes import fit_union
from pipeline.textclean import model_text, paper_id
from pipeline.themes.definitions import load_themes
from pipeline.themes.features import make_bank
from pipeline.themes.labels import read_label_sets, theme_names

CORPUS = Path("../shared/external/arxiv-daily/arxiv_daily.jsonl.gz")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-p", "--params", default="configs/params.yaml")
    ap.add_argument("--encoder", default="wordllama")
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--work", type=Path, default=Path("/tmp/themes_scale"))
    args = ap.parse_args()
    cfg = load_config(args.params)
    cfg.embed.encoder = args.encoder
    t0 = time.perf_counter()
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    texts = [model_text(r["title"], r["abstract"]) for r in rows]
    themes = load_themes(cfg.paths.themes)
    labels = read_label_sets(
        {n: cfg.paths.labels / f for n, f in cfg.themes.label_sets.items()}, themes
    )
    encoder = load_encoder(cfg.embed, cfg.seed).fit(texts)
    cache = EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
    emb, _ = embed_texts(texts, encoder, cache, cfg=cfg)
    label_emb, _ = embed_texts(labels["text"].tolist(), encoder, cache, cfg=cfg)
    prompts = {th.name: encoder.encode(th.prompts) for th in themes}
    label_bank = make_bank(label_emb, labels["text"].tolist(), themes, prompts)
    corpus = make_bank(emb, texts, themes, prompts)
    labelled = set(labels["key"])
    unlabelled = np.array([paper_id(r["title"]) not in labelled for r in rows])
    rng = np.random.default_rng(cfg.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    summary = {"encoder": encoder.name, "method": cfg.themes.method, "papers": len(rows)}
    for name in theme_names(labels, themes, cfg.themes.min_positives):
        cal, _, _ = fit_union(cfg, labels, label_bank, name)
        hit = cal.model.score(corpus) >= cal.threshold
        pool = np.flatnonzero(hit & unlabelled)
        pick = np.sort(rng.choice(pool, size=min(args.sample, len(pool)), replace=False))
        summary[name] = {"positives": int(hit.sum()), "share": round(float(hit.mean()), 5),
                         "threshold": round(cal.threshold, 4), "sampled": len(pick)}  # fmt: skip
        with (args.work / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for i in pick:
                r = rows[i]
                fh.write(json.dumps({k: r[k] for k in ("arxiv_id", "title", "abstract")}) + "\n")
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    (args.work / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
