"""Stage `themes`: papers + embeddings + labelled sets -> themes per paper, honest accuracy.

The scorer learns from the labelled sets' own texts (configs/labels/, one file per source), so
any corpus gets calibrated themes. Writes `outputs/themes/`:
- paper_themes.parquet: one row per paper: themes, score_<theme>, uncertain, evidence, and
  `label_set` where a human labelled the paper (then its themes are the human's, and its
  scores are out-of-fold, from models that never saw it);
- metrics.json: cross-source accuracy first (train on one set, score another), then nested CV
  on the union, with bootstrap 95% intervals; evaluation.json: every compared option;
- theme_topics.csv: how each theme's papers spread over topics.
The evaluation depends only on the labels, themes.yaml, the encoder and these params: it is
cached by their content (`.cache/papertrends/themes/`), so a new dump does not pay for it again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import textclean
from pipeline.config import Config
from pipeline.errors import StageInputError
from pipeline.io import (
    PickleStore,
    content_key,
    read_embeddings,
    read_json,
    read_table,
    write_json,
    write_table,
)
from pipeline.themes import definitions, features
from pipeline.themes import evaluation as ev
from pipeline.themes import labels as labels_module
from pipeline.themes.assign import human_labels, paper_table
from pipeline.themes.classifier import calibrate, fit_zero_shot, zero_shot_matrix
from pipeline.themes.definitions import Theme, load_themes
from pipeline.themes.features import Bank, make_bank
from pipeline.themes.labels import overlaps, read_label_sets, theme_names

log = logging.getLogger(__name__)
EVAL_VERSION = "2"  # bump when the evaluation code changes what it reports


def run(cfg: Config) -> dict:
    from pipeline.embedding.cache import EmbeddingCache
    from pipeline.embedding.encoders import check_matches, load_encoder
    from pipeline.embedding.texts import embed_texts

    t = cfg.themes
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    _, emb = read_embeddings(cfg.stage_dir("embed"), papers["paper_id"].tolist())
    assignments = read_table(
        cfg.stage_dir("topics") / "assignments.parquet", "assignments", producer="topics"
    )
    themes = load_themes(cfg.paths.themes)
    store = PickleStore(cfg.paths.cache / "themes")
    labels = cached_label_sets(cfg, themes, store)
    texts = papers["text"].tolist()
    encoder = load_encoder(cfg.embed, cfg.seed).fit(texts)
    check_matches(encoder, emb)
    cache = EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
    prompts = {th.name: embed_texts(th.prompts, encoder, cache, cfg=cfg)[0] for th in themes}
    key = labels_key(cfg, labels, encoder.version)

    def label_bank_now() -> Bank:
        label_emb, _ = embed_texts(labels["text"].tolist(), encoder, cache, cfg=cfg)
        return make_bank(label_emb, labels["text"].tolist(), themes, prompts)

    # Everything in it follows from `key`: a new dump reads it instead of matching every
    # theme's keywords in 2,000 label texts again.
    label_bank = store.get_or_make("label_bank", key, label_bank_now)
    # Likewise the papers' keyword hits: only texts no run has matched yet are matched.
    hits_key = content_key(cfg.paths.themes, Path(features.__file__), Path(definitions.__file__))
    known = store.get("keyword_hits", hits_key) or {}
    seen = len(known)
    corpus = make_bank(emb, texts, themes, prompts, known)
    if len(known) > seen:
        store.put("keyword_hits", hits_key, known)

    names = theme_names(labels, themes, t.min_positives)
    if not names:
        raise StageInputError(
            f"{cfg.paths.labels}: no theme has {t.min_positives} labelled positives and "
            "negatives; label papers (see configs/labels/README.md) to calibrate thresholds"
        )
    metrics = cached_evaluation(cfg, labels, label_bank, names, key)
    fitted = cached_union(cfg, labels, label_bank, names, key, store)
    scores, thresholds, modes = score_corpus(cfg, themes, corpus, label_bank, fitted)
    oof = {n: dict(zip(labels["key"].to_numpy()[rows], cal.oof, strict=True))
           for n, (cal, rows, _) in fitted.items()}  # fmt: skip
    human = human_labels(papers, labels, oof)
    near = nearest_labelled(labels, label_bank, names)
    table = paper_table(papers, themes, corpus, scores, thresholds, human, t.uncertain_margin, near)

    out = cfg.stage_dir("themes")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    write_table(table, out / "paper_themes.parquet", "paper_themes")
    metrics.update(
        modes=modes,
        thresholds={k: round(v, 4) for k, v in thresholds.items()},
        labels=label_summary(labels, names, table),
        n_papers=len(table),
        n_uncertain=int(table["uncertain"].sum()),
        theme_counts={
            th.name: int(table["themes"].map(lambda x, n=th.name: n in x).sum()) for th in themes
        },
    )
    write_json(metrics, out / "evaluation.json")
    write_json(headline(metrics), out / "metrics.json")
    theme_topics(table, assignments, cfg).to_csv(out / "theme_topics.csv", index=False)
    cross = {k: v["macro_f1"] for k, v in metrics["chosen"].items()}
    log.info("themes (%s): macro-F1 %s", t.method, cross)
    return metrics


def cached_label_sets(cfg: Config, themes: list[Theme], store: PickleStore) -> pd.DataFrame:
    """`read_label_sets`, kept by the bytes of the files and of the code that reads them:
    cleaning 2,000 label texts again costs a new dump almost a second."""
    paths = {n: cfg.paths.labels / f for n, f in cfg.themes.label_sets.items()}
    if not all(p.exists() for p in paths.values()):
        return read_label_sets(paths, themes)  # says which file is missing
    code = [Path(labels_module.__file__), Path(textclean.__file__)]
    key = content_key(*paths, *paths.values(), cfg.paths.themes, *code)
    return store.get_or_make("label_sets", key, lambda: read_label_sets(paths, themes))


def labels_key(cfg: Config, labels, encoder_version: str) -> str:
    """Everything the evaluation and the fitted scorers read, hashed: the labels, themes.yaml,
    the `themes` params, the seed and the encoder."""
    key_parts = {
        "v": EVAL_VERSION,
        "encoder": encoder_version,
        "themes": cfg.paths.themes.read_text("utf-8"),
        "params": cfg.themes.model_dump(mode="json"),
        "seed": cfg.seed,
        "labels": hashlib.sha256(labels.to_csv(index=False).encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()[:24]


def cached_union(cfg: Config, labels, bank: Bank, names, key: str, store: PickleStore) -> dict:
    """`fit_union` for every theme, kept in `store` (`.cache/papertrends/themes/`) under
    `key`: the scorers learn from the labels only, so a new dump does not refit them."""
    fitted = store.get("scorers", key)
    if fitted is not None:
        log.info("theme scorers unchanged since the last run: %s", key)
        return fitted
    fitted = {n: fit_union(cfg, labels, bank, n) for n in names}
    store.put("scorers", key, fitted)
    return fitted


def cached_evaluation(cfg: Config, labels, bank: Bank, names, key: str) -> dict:
    """Every option's cross-source and nested-CV accuracy; cached by everything it reads."""
    t = cfg.themes
    path = cfg.paths.cache / "themes" / f"evaluation-{key}.json"
    if path.exists():
        log.info("theme evaluation unchanged since the last run: %s", path)
        return read_json(path)
    options = {
        m: ev.evaluate_method(m, labels, bank, names, t.cv_folds, cfg.seed, t.c, t.threshold)
        for m in dict.fromkeys([t.method, *t.compare])
    }
    pooled = {}
    for n in names:
        rows, y = ev.labelled_rows(labels, n)
        pooled[n] = (bank.take(rows), y)
    result = {
        "method": t.method,
        "chosen": options[t.method],
        "options": options,
        "zero_shot_leave_one_theme_out": ev.leave_one_theme_out(
            pooled, t.default_threshold, t.c, cfg.seed
        ),
        "how_measured": HOW_MEASURED.format(
            rule=t.threshold, k=t.cv_folds, seed=cfg.seed, b=ev.BOOTSTRAP
        ),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(result, path)
    return result


HOW_MEASURED = (
    "cross-source `A->B`: the scorer and its threshold (`{rule}` cut-off on {k}-fold out-of-fold "
    "scores) are fitted on set A only and applied once to set B, leaving out papers labelled "
    "in A too; `union_nested_cv`: nested stratified {k}-fold CV over the union of the sets "
    "(seed {seed}). Intervals: percentile bootstrap over the scored papers ({b} resamples)."
)


def fit_union(cfg: Config, labels, bank: Bank, name: str):
    """The final scorer for a theme: every labelled paper of every set (first set wins).
    Returns the calibrated scorer, the label rows it learned from and their labels."""
    t = cfg.themes
    rows, y = ev.labelled_rows(labels, name, union=True)
    cal = calibrate(t.method, name, bank.take(rows), y, t.cv_folds, cfg.seed, t.c, t.threshold)
    return cal, rows, y


def score_corpus(cfg, themes: list[Theme], corpus: Bank, label_bank: Bank, fitted):
    """Scores and thresholds for every paper; themes without labels are scored zero-shot."""
    t = cfg.themes
    scores, thresholds, modes = {}, {}, {}
    zero_shot = None
    for th in themes:
        if th.name in fitted:
            cal, _, _ = fitted[th.name]
            scores[th.name] = cal.model.score(corpus)
            thresholds[th.name], modes[th.name] = cal.threshold, "supervised"
            continue
        if zero_shot is None:
            pooled = [(label_bank.take(rows), n, y) for n, (_, rows, y) in fitted.items()]
            zero_shot = fit_zero_shot(pooled, t.c, cfg.seed)
        scores[th.name] = zero_shot.predict_proba(zero_shot_matrix(corpus, th.name))[:, 1]
        thresholds[th.name] = th.threshold if th.threshold is not None else t.default_threshold
        modes[th.name] = "zero-shot"
        log.info("theme %s has too few labels: zero-shot at %.2f", th.name, thresholds[th.name])
    return scores, thresholds, modes


def nearest_labelled(labels, label_bank: Bank, names) -> dict:
    """Per learned theme, its positive labelled papers: keys, titles and vectors."""
    out = {}
    for n in names:
        pos = np.flatnonzero(labels[n].fillna(0).to_numpy() == 1)
        out[n] = (labels["key"].to_numpy()[pos], labels["title"].to_numpy()[pos],
                  label_bank.embeddings[pos])  # fmt: skip
    return out


def label_summary(labels, names, table) -> dict:
    return {
        "sets": {
            s: {
                "papers": int((labels["set"] == s).sum()),
                "positives": {
                    n: int(labels.loc[labels["set"] == s, n].fillna(0).sum()) for n in names
                },
            }
            for s in dict.fromkeys(labels["set"])
        },  # fmt: skip
        "in_several_sets": int(len(overlaps(labels))),
        "papers_with_a_human_label": int(table["label_set"].notna().sum()),
    }


def headline(metrics: dict) -> dict:
    """What `dvc metrics show` prints: cross-source accuracy first (the honest figure), then
    nested CV on the union; per theme precision/recall/F1 with 95% intervals."""
    keep = ("precision", "recall", "f1", "f1_ci", "support", "n")
    chosen = metrics["chosen"]
    return {
        "method": metrics["method"],
        **{
            split: {
                "macro_f1": res["macro_f1"],
                "per_theme": {
                    name: {k: row[k] for k in keep if k in row}
                    for name, row in res["per_theme"].items()
                },
            }
            for split, res in chosen.items()
        },
        "options_macro_f1": {
            m: {split: res["macro_f1"] for split, res in opt.items()}
            for m, opt in metrics["options"].items()
        },
        "n_papers": metrics["n_papers"],
        "n_uncertain": metrics["n_uncertain"],
    }


def theme_topics(table: pd.DataFrame, assignments: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """For each theme, how its papers spread over topics (shares sum to 1 per theme)."""
    merged = table[["paper_id", "themes"]].merge(assignments, on="paper_id", how="left")
    if merged["topic"].isna().any():
        raise StageInputError(
            "outputs/topics/assignments.parquet lacks some papers: run `papertrends topics` again"
        )
    long = merged.explode("themes").dropna(subset=["themes"])
    counts = long.groupby(["themes", "topic"]).size().rename("count").reset_index()
    counts = counts.rename(columns={"themes": "theme"}).astype({"topic": int})
    counts["share"] = (counts["count"] / counts.groupby("theme")["count"].transform("sum")).round(4)
    info_path = cfg.stage_dir("topics") / "topic_info.parquet"
    if info_path.exists():
        info = read_table(info_path, "topic_info")[["topic", "label"]]
        counts = counts.merge(info, on="topic", how="left")
    return counts.sort_values(["theme", "count", "topic"], ascending=[True, False, True])
