"""Stage `themes`: papers + embeddings + labels -> theme scores, held-out metrics, theme x topic.

Writes `outputs/themes/`: paper_themes.parquet (one row per paper: themes, score_<theme>,
uncertain, evidence), metrics.json (nested-CV precision/recall/F1 per theme for the chosen
method, macro-F1 of each compared option), evaluation.json (the full evaluation: every option,
the zero-shot fallback, held-out errors) and theme_topics.csv.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline import theme_eval as te
from pipeline.config import Config
from pipeline.errors import ConfigError, StageInputError
from pipeline.io import read_embeddings, read_table, write_json, write_table
from pipeline.theme_model import (
    Theme,
    ThemeFeatures,
    best_threshold,
    design_matrix,
    fit_classifier,
    load_themes,
    normalise_title,
    theme_features,
)

log = logging.getLogger(__name__)


@dataclass
class Scored:
    scores: np.ndarray
    threshold: float
    mode: str  # "supervised" or "zero-shot"


def read_labels(path, themes: list[Theme], papers: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Labels matched to papers by normalised title; also the titles that match no paper."""
    if not path.exists():
        raise StageInputError(f"{path} not found: the theme labels are needed to calibrate")
    labels = pd.read_csv(path)
    if "title" not in labels.columns:
        raise StageInputError(f"{path}: needs a `title` column")
    labels["key"] = labels["title"].map(normalise_title)
    row_of = {k: i for i, k in enumerate(papers["title"].map(normalise_title))}
    labels["row"] = labels["key"].map(row_of)
    unmatched = labels.loc[labels["row"].isna(), "title"].tolist()
    labels = labels.dropna(subset=["row"]).drop_duplicates("key").astype({"row": int})
    for t in themes:
        if t.name in labels.columns and not labels[t.name].dropna().isin([0, 1]).all():
            raise ConfigError(f"{path}: column {t.name} must hold 0/1")
    return labels, unmatched


def run(cfg: Config) -> dict:
    from pipeline.encoders import load_encoder

    t = cfg.themes
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    _, emb = read_embeddings(cfg.stage_dir("embed"), papers["paper_id"].tolist())
    assignments = read_table(
        cfg.stage_dir("topics") / "assignments.parquet", "assignments", producer="topics"
    )
    themes = load_themes(cfg.paths.themes)
    labels, unmatched = read_labels(cfg.paths.labels, themes, papers)
    if unmatched:
        log.warning("%d labelled title(s) match no paper, e.g. %s", len(unmatched), unmatched[:3])
    texts = papers["text"].tolist()
    encoder = load_encoder(cfg.embed, cfg.seed).fit(texts)
    if encoder.dim != emb.shape[1]:
        raise StageInputError(
            f"embeddings have {emb.shape[1]} dimensions but encoder {encoder.name} gives "
            f"{encoder.dim}: run `papertrends embed` again"
        )
    feats = {th.name: theme_features(emb, texts, th, encoder.encode(th.prompts)) for th in themes}

    labelled = {}
    for th in themes:
        if th.name in labels.columns:
            lab = labels.dropna(subset=[th.name])
            y = lab[th.name].astype(int).to_numpy()
            if min(y.sum(), len(y) - y.sum()) >= t.min_positives:
                labelled[th.name] = (feats[th.name], lab["row"].to_numpy(), y)
    if not labelled:
        raise StageInputError(
            f"{cfg.paths.labels}: no theme has {t.min_positives} labelled positives and "
            "negatives; label papers (see configs/labels/README.md) to calibrate thresholds"
        )
    metrics = evaluate(cfg, emb, labelled, papers["title"].tolist())
    scored = fit_all(cfg, themes, emb, feats, labelled)
    metrics.update(
        modes={k: v.mode for k, v in scored.items()},
        thresholds={k: round(v.threshold, 4) for k, v in scored.items()},
        labels={"file": str(cfg.paths.labels), "matched": len(labels), "unmatched": unmatched},
    )

    out = cfg.stage_dir("themes")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    table = paper_table(papers, themes, feats, scored, labels, emb, t.uncertain_margin)
    write_table(table, out / "paper_themes.parquet", "paper_themes")
    metrics["n_papers"] = len(table)
    metrics["n_uncertain"] = int(table["uncertain"].sum())
    metrics["theme_counts"] = {
        th.name: int(table["themes"].map(lambda x, n=th.name: n in x).sum()) for th in themes
    }
    # The full evaluation (every option, errors, settings) is too wide for `dvc metrics show`.
    write_json(metrics, out / "evaluation.json")
    write_json(headline(metrics), out / "metrics.json")
    theme_topics(table, assignments, cfg).to_csv(out / "theme_topics.csv", index=False)
    log.info(
        "themes: macro-F1 %.3f (%s, nested %d-fold CV)", metrics["macro_f1"], t.method, t.cv_folds
    )
    return metrics


def headline(metrics: dict) -> dict:
    """The figures `dvc metrics show` prints: chosen method's held-out scores, options' macro-F1."""
    keep = ("precision", "recall", "f1", "support")
    return {
        "method": metrics["method"],
        "macro_f1": metrics["macro_f1"],
        "per_theme": {
            name: {k: row[k] for k in keep if k in row}
            for name, row in metrics["per_theme"].items()
        },
        "options_macro_f1": {k: v["macro_f1"] for k, v in metrics.get("compared", {}).items()},
        "n_papers": metrics["n_papers"],
        "n_uncertain": metrics["n_uncertain"],
    }


def evaluate(cfg: Config, emb: np.ndarray, labelled: dict, titles: list[str]) -> dict:
    t = cfg.themes
    tables, errors = {}, {}
    for method in dict.fromkeys([t.method, *t.compare]):
        per_theme = {}
        for name, (f, rows, y) in labelled.items():
            pred = te.nested_cv_predictions(method, emb, f, y, rows, t.cv_folds, cfg.seed, t.c)
            per_theme[name] = te.prf(y, pred)
            if method == t.method:
                errors[name] = {
                    "false_positives": sorted(titles[r] for r in rows[(pred == 1) & (y == 0)]),
                    "false_negatives": sorted(titles[r] for r in rows[(pred == 0) & (y == 1)]),
                }
        tables[method] = te.table(per_theme)
    chosen = tables[t.method]
    return {
        "method": t.method,
        "per_theme": chosen["per_theme"],
        "macro_f1": chosen["macro_f1"],
        "compared": tables,
        "held_out_errors": errors,
        "zero_shot_leave_one_theme_out": te.leave_one_theme_out(
            labelled, t.default_threshold, t.c, cfg.seed
        ),
        "how_measured": (
            f"nested stratified {t.cv_folds}-fold CV over the labelled papers (seed {cfg.seed}): "
            "per outer fold, the threshold is the F1-best cut-off on inner out-of-fold scores of "
            "the training fold, the classifier is refitted on the training fold and scored on "
            "the held-out fold; counts are pooled over the held-out folds"
        ),
    }


def fit_all(cfg, themes, emb, feats, labelled) -> dict[str, Scored]:
    """Final scores for every paper: supervised themes from all labels, others zero-shot."""
    t = cfg.themes
    scored: dict[str, Scored] = {}
    zero_shot = None
    for th in themes:
        f: ThemeFeatures = feats[th.name]
        if th.name in labelled:
            _, rows, y = labelled[th.name]
            oof = te.oof_scores(t.method, emb, f, y, rows, t.cv_folds, cfg.seed, t.c)
            model = fit_classifier(design_matrix(t.method, emb, f, rows), y, t.c, cfg.seed)
            s = model.predict_proba(design_matrix(t.method, emb, f))[:, 1]
            scored[th.name] = Scored(s, best_threshold(oof, y), "supervised")
        else:
            zero_shot = zero_shot or te.fit_zero_shot(list(labelled.values()), t.c, cfg.seed)
            s = zero_shot.predict_proba(te.zero_shot_matrix(f))[:, 1]
            thr = th.threshold if th.threshold is not None else t.default_threshold
            scored[th.name] = Scored(s, thr, "zero-shot")
            log.info("theme %s has too few labels: zero-shot, threshold %.2f", th.name, thr)
    return scored


def paper_table(papers, themes, feats, scored, labels, emb, margin) -> pd.DataFrame:
    table = papers[["paper_id", "title"]].copy()
    names = [th.name for th in themes]
    for n in names:
        table[f"score_{n}"] = np.round(scored[n].scores, 4)
    hit = np.column_stack([scored[n].scores >= scored[n].threshold for n in names])
    close = np.column_stack(
        [np.abs(scored[n].scores - scored[n].threshold) < margin for n in names]
    )
    table["themes"] = [[n for n, h in zip(names, row, strict=True) if h] for row in hit]
    table["uncertain"] = close.any(axis=1)
    table["evidence"] = evidence(papers, themes, feats, scored, labels, emb, hit | close)
    return table


def evidence(papers, themes, feats, scored, labels, emb, show) -> list[str]:
    """Why: per assigned or borderline theme, score vs threshold, keywords, nearest phrase,
    nearest positively labelled paper (other than itself)."""
    parts: list[list[str]] = [[] for _ in range(len(papers))]
    titles = papers["title"].tolist()
    for j, th in enumerate(themes):
        f, s = feats[th.name], scored[th.name]
        has = th.name in labels.columns
        pos = labels.loc[labels[th.name] == 1, "row"].to_numpy() if has else np.array([], int)
        near = emb @ emb[pos].T if len(pos) else None
        for i in np.flatnonzero(show[:, j]):
            bits = [f"{th.name} {s.scores[i]:.2f} (threshold {s.threshold:.2f})"]
            if f.keywords[i]:
                bits.append("keywords: " + ", ".join(f.keywords[i][:5]))
            p = th.prompts[f.nearest_prompt[i]]
            bits.append(f"nearest phrase: '{p[:60]}' ({f.similarity[i, 0]:.2f})")
            if near is not None:
                sims = np.where(pos == i, -np.inf, near[i])
                k = int(np.argmax(sims))
                if np.isfinite(sims[k]):
                    bits.append(f"nearest labelled: '{titles[pos[k]][:60]}' ({sims[k]:.2f})")
            parts[i].append("; ".join(bits))
    return [" | ".join(p) if p else "no theme near its threshold" for p in parts]


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
