"""Theme scorer options side by side, by cross-source accuracy (issue 14).

For each method x C (x encoder, from the embedding cache): train on one labelled set and score
the other, both directions; thresholds are fitted on the training set only. Prints one JSON
line per option and appends it to bench/work/themes_methods.jsonl.

    python -m bench.themes_methods -p configs/params.yaml --methods combined combined_ngrams \
        --c 1 3 10
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pipeline.config import load_config
from pipeline.embed_cache import EmbeddingCache
from pipeline.encoders import load_encoder
from pipeline.stages.embed import embed_texts
from pipeline.themes import evaluation as ev
from pipeline.themes.definitions import load_themes
from pipeline.themes.features import make_bank
from pipeline.themes.labels import read_label_sets, theme_names


def cross_source(method, labels, bank, names, k, seed, c) -> dict:
    sets = list(dict.fromkeys(labels["set"]))
    out = {}
    for train in sets:
        for test in sets:
            if train == test:
                continue
            in_train = (labels["set"] == train).to_numpy()
            seen = set(labels.loc[in_train, "key"])
            in_test = ((labels["set"] == test) & ~labels["key"].isin(seen)).to_numpy()
            per = {}
            for name in names:
                rows, y = ev._split(labels, names, name)
                tr, te = rows[in_train[rows]], rows[in_test[rows]]
                pred = ev.cross_source_predictions(
                    method, name, bank.take(tr), y[in_train[rows]], bank.take(te), k, seed, c
                )
                per[name] = ev.prf(y[in_test[rows]], pred)["f1"]
            out[f"{train}->{test}"] = {"macro_f1": round(float(np.mean(list(per.values()))), 4),
                                       **per}  # fmt: skip
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-p", "--params", default="configs/params.yaml")
    p.add_argument("--methods", nargs="+", default=["combined", "combined_ngrams"])
    p.add_argument("--c", nargs="+", type=float, default=[10.0])
    p.add_argument("--encoder", default=None)
    args = p.parse_args()
    cfg = load_config(args.params)
    if args.encoder:
        cfg.embed.encoder = args.encoder
    themes = load_themes(cfg.paths.themes)
    labels = read_label_sets(
        {n: cfg.paths.labels / f for n, f in cfg.themes.label_sets.items()}, themes
    )
    encoder = load_encoder(cfg.embed, cfg.seed).fit(labels["text"].tolist())
    cache = EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
    emb, _ = embed_texts(labels["text"].tolist(), encoder, cache, cfg=cfg)
    prompts = {th.name: encoder.encode(th.prompts) for th in themes}
    bank = make_bank(emb, labels["text"].tolist(), themes, prompts)
    names = theme_names(labels, themes, cfg.themes.min_positives)
    out = Path("bench/work/themes_methods.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    for method in args.methods:
        for c in args.c:
            t0 = time.perf_counter()
            res = cross_source(method, labels, bank, names, cfg.themes.cv_folds, cfg.seed, c)
            row = {"encoder": encoder.name, "method": method, "c": c, **res,
                   "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
            print(json.dumps(row))
            with out.open("a") as fh:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
