"""Theme scorer options side by side, by cross-source accuracy (issue 14).

For each method x C x threshold rule (x encoder, from the embedding cache): train on one
labelled set and score the other, both directions; thresholds are fitted on the training set
only (`--threshold f1_best bagged`, see pipeline/themes/classifier.py). Prints one JSON
line per option and appends it to bench/work/themes_methods.jsonl.

    python -m bench.themes_methods -p configs/params.yaml --methods combined combined_ngrams \
        --c 1 3 10 --threshold f1_best bagged
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

from pipeline.config import load_config
from pipeline.embedding.cache import EmbeddingCache
from pipeline.embedding.encoders import load_encoder
from pipeline.embedding.texts import embed_texts
from pipeline.themes import evaluation as ev
from pipeline.themes.classifier import THRESHOLDS
from pipeline.themes.definitions import load_themes
from pipeline.themes.features import make_bank
from pipeline.themes.labels import read_label_sets, theme_names


def labelled_bank(cfg):
    """The labelled sets, their evidence bank (embeddings from the cache) and learnable themes."""
    themes = load_themes(cfg.paths.themes)
    labels = read_label_sets(
        {n: cfg.paths.labels / f for n, f in cfg.themes.label_sets.items()}, themes
    )
    encoder = load_encoder(cfg.embed, cfg.seed).fit(labels["text"].tolist())
    cache = EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
    emb, _ = embed_texts(labels["text"].tolist(), encoder, cache, cfg=cfg)
    prompts = {th.name: encoder.encode(th.prompts) for th in themes}
    bank = make_bank(emb, labels["text"].tolist(), themes, prompts)
    return labels, bank, theme_names(labels, themes, cfg.themes.min_positives)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-p", "--params", default="configs/params.yaml")
    p.add_argument("--methods", nargs="+", default=["combined", "combined_ngrams"])
    p.add_argument("--c", nargs="+", type=float, default=[10.0])
    p.add_argument("--threshold", nargs="+", default=None, choices=THRESHOLDS)
    p.add_argument("--encoder", default=None)
    args = p.parse_args()
    cfg = load_config(args.params)
    if args.encoder:
        cfg.embed.encoder = args.encoder
    labels, bank, names = labelled_bank(cfg)
    encoder_name = cfg.embed.encoder
    out = Path("bench/work/themes_methods.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    rules = args.threshold or [cfg.themes.threshold]
    for method, c, rule in itertools.product(args.methods, args.c, rules):
        t0 = time.perf_counter()
        res = {
            split: {
                "macro_f1": r["macro_f1"],
                **{t: v["f1"] for t, v in r["per_theme"].items()},
            }
            for split, r in ev.cross_source(
                method, labels, bank, names, cfg.themes.cv_folds, cfg.seed, c, rule
            ).items()
        }
        row = {"encoder": encoder_name, "method": method, "c": c, "threshold": rule, **res,
               "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
        print(json.dumps(row))
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
