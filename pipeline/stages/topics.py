"""Stage `topics`: cleaned papers + embeddings -> BERTopic, NMF/LDA baselines, metrics, map.

Writes `outputs/topics/`: assignments, topic_info, coords, the BERTopic model (safetensors),
metrics.json (every model side by side) and topics_over_time.csv from the saved assignments.
"""

from __future__ import annotations

import logging
import shutil
from contextlib import nullcontext

import numpy as np
import pandas as pd

from pipeline import topic_metrics as tm
from pipeline.baselines import fit_baseline
from pipeline.bertopic_logging import quiet_bertopic
from pipeline.config import Config, Topics
from pipeline.engine import open_engine
from pipeline.io import read_embeddings, read_json, read_table, write_json, write_table
from pipeline.snapshot_catalog import dump_order, read_dumps
from pipeline.topic_align import topic_centroids
from pipeline.topic_history import plan
from pipeline.topic_model import (
    TopicFit,
    class_tfidf_words,
    ctfidf_words,
    fit_topics,
    map_coords,
    sample_rows,
    topic_labels,
)

log = logging.getLogger(__name__)


def run(cfg: Config) -> dict:
    from pipeline.encoders import check_matches, load_encoder

    t = cfg.topics
    papers = read_table(cfg.stage_dir("clean") / "papers.parquet", "papers", producer="clean")
    ids = papers["paper_id"].tolist()
    _, embeddings = read_embeddings(cfg.stage_dir("embed"), ids)
    texts = papers["text"].fillna("").astype(str).tolist()
    first_seen = papers["first_seen"].tolist()
    papers = papers[["paper_id", "date"]]  # one copy of the corpus text (`texts`) is enough
    # The encoder embeds label candidates; the tfidf one must first see the corpus.
    encoder = None if t.representation == "none" else load_encoder(cfg.embed, cfg.seed).fit(texts)
    if encoder is not None:
        check_matches(encoder, embeddings)

    chunk = cfg.engine.chunk_size
    order, fits = papers_dump_order(cfg, first_seen), {}
    args = (t, cfg.seed, cfg.compare.min_similarity)
    history, stable, lineage = plan(texts, embeddings, first_seen, order, *args, fits=fits)
    log.info("topics fitted on %d papers; refits at %s", len(history.reference), history.refits)
    where = {"reference": history.reference, "batches": history.batches}
    # Only papers outside the fitted sample go to the engine: a corpus that fits in
    # `sample_size` starts no cluster.
    with open_engine(cfg.engine) if len(ids) > t.sample_size else nullcontext() as engine:
        fit = fit_topics(texts, embeddings, t, cfg.seed, encoder, engine, chunk, **where)
        xy = map_coords(embeddings, t, cfg.seed, engine, chunk, **where)
    out = cfg.stage_dir("topics")
    shutil.rmtree(out, ignore_errors=True)  # the stage rewrites its folder completely
    out.mkdir(parents=True)

    topic = np.array([stable[int(x)] for x in fit.topics], dtype=int)
    assignments = pd.DataFrame({"paper_id": ids, "topic": topic, "probability": fit.probabilities})
    write_table(assignments, out / "assignments.parquet", "assignments")
    write_history(out, history, stable, lineage)
    info = topic_info(fit, ids, embeddings, t, stable)
    write_table(info, out / "topic_info.parquet", "topic_info")
    write_table(
        pd.DataFrame({"paper_id": ids, "x": xy[:, 0], "y": xy[:, 1]}),
        out / "coords.parquet",
        "coords",
    )
    with quiet_bertopic():  # no hub pointer to the encoder on purpose: it is not on a hub
        fit.model.save(
            out / "model", serialization="safetensors", save_ctfidf=True, save_embedding_model=False
        )

    metrics = reference_quality(fit, history.reference, texts, embeddings, cfg)
    metrics["history"] = history_metrics(history)
    if history.steps and history.steps[-1].refit:
        last = since_last_dump(texts, embeddings, first_seen, order, topic, encoder, cfg, fits)
    else:
        # Same reference model, and every earlier dump's papers assigned in their own batches
        # as before: the old papers' topics are those of the last run (tests/test_topic_history
        # checks it across two real runs; bench/series_bench across 20 dumps).
        old = int(np.sum(np.asarray(first_seen) != order[-1])) if order else 0
        last = {"old_papers": old, "kept_topic_id": 1.0, "ari": 1.0}
    metrics["history"]["last_dump"].update(last)
    write_json(metrics, out / "metrics.json")
    persisted = read_table(out / "assignments.parquet", "assignments")
    over_time = topics_over_time(persisted, papers, t.freq)
    over_time.to_csv(out / "topics_over_time.csv", index=False)
    log.info(
        "topics: %d topics, outliers %.1f%% -> %.1f%%, npmi %.3f (nmf %s, lda %s)",
        metrics["bertopic"]["n_topics"],
        100 * metrics["bertopic"]["outlier_share_before"],
        100 * metrics["bertopic"]["outlier_share"],
        metrics["bertopic"]["npmi"],
        metrics.get("nmf", {}).get("npmi"),
        metrics.get("lda", {}).get("npmi"),
    )
    return metrics


def topic_info(
    fit: TopicFit, ids: list[str], embeddings: np.ndarray, t: Topics, stable: dict[int, int]
) -> pd.DataFrame:
    """One row per topic (-1 first when present): size, readable label, words, central papers.
    Topics are named by their stable ids (`stable`: model id -> stable id)."""
    words = ctfidf_words(fit.model, t.bertopic.top_n_words)
    labels = topic_labels(fit.model, t.label_words)
    topics = np.unique(fit.topics)
    _, centroids = topic_centroids(embeddings, fit.topics, outliers=True)
    ids_arr = np.asarray(ids)
    rows = []
    for topic, centroid in zip(topics, centroids, strict=True):
        members = np.flatnonzero(fit.topics == topic)
        sims = embeddings[members] @ centroid
        # Ties break on paper_id so equal inputs give equal tables.
        order = np.lexsort((ids_arr[members], -sims))[: t.representative_papers]
        rows.append(
            {
                "topic": stable[int(topic)],
                "size": len(members),
                "label": labels.get(int(topic), "outliers" if topic == -1 else ""),
                "top_words": words.get(int(topic), []),
                "representative_papers": ids_arr[members[order]].tolist(),
            }
        )
    return pd.DataFrame(rows).sort_values("topic", ignore_index=True)


def papers_dump_order(cfg: Config, first_seen: list[str]) -> list[str]:
    """Snapshot ids in dump-date order (ingest's dumps.json); dumps it does not date, or a
    corpus without it (a papers table made by hand), follow in id order."""
    path = cfg.stage_dir("ingest") / "dumps.json"
    order = dump_order(read_dumps(path)) if path.exists() else []
    present = set(first_seen)
    return [d for d in order if d in present] + sorted(present - set(order))


def write_history(out, history, stable: dict[int, int], lineage: list[dict]) -> None:
    """lineage.parquet: how topics continued, split, merged, were born or died at each refit;
    topic_ids.json: the saved model's own topic ids -> the stable ids the tables use."""
    cols = ["dump", "from", "to", "similarity", "relation"]
    frame = pd.DataFrame(lineage, columns=cols).rename(
        columns={"from": "from_topic", "to": "to_topic"}
    )
    frame = frame.astype({"from_topic": "Int64", "to_topic": "Int64"})
    write_table(frame, out / "lineage.parquet", "lineage")
    write_json({str(k): v for k, v in sorted(stable.items())}, out / "topic_ids.json")


def history_metrics(history) -> dict:
    """What adding each dump did: assigned to the model in force, or a refit (and why)."""
    last = history.steps[-1] if history.steps else None
    return {
        "fitted_on_papers": len(history.reference),
        "refits": history.refits,
        "steps": [vars(s) for s in history.steps],
        "last_dump": None
        if last is None
        else {
            "dump": last.dump,
            "refit": last.refit,
        },
    }


def since_last_dump(texts, embeddings, first_seen, order, topic, encoder, cfg, fits) -> dict:
    """The run without the latest dump, replayed for real: how many of the papers that were
    already there keep their topic id, and how well the two partitions of them agree."""
    from sklearn.metrics import adjusted_rand_score

    t = cfg.topics
    old = np.flatnonzero(np.asarray(first_seen) != order[-1]) if len(order) > 1 else []
    if len(old) < 10:
        return {"old_papers": len(old), "kept_topic_id": None, "ari": None}
    sub = [first_seen[i] for i in old]
    args = (t, cfg.seed, cfg.compare.min_similarity)
    embs, texts_old = embeddings[old], [texts[i] for i in old]
    # The memo of reference fits stays valid: without the last dump, the references are the
    # same prefixes of the same dump order (same papers, same order, same size).
    prev, stable, _ = plan(texts_old, embs, sub, order[:-1], *args, fits=fits)
    fit = fit_topics(
        texts_old, embs, t, cfg.seed, encoder, None, cfg.engine.chunk_size,
        reference=prev.reference, batches=prev.batches,
    )  # fmt: skip
    before = np.array([stable[int(x)] for x in fit.topics])
    return {
        "old_papers": len(old),
        "kept_topic_id": round(float(np.mean(before == topic[old])), 4),
        "ari": round(float(adjusted_rand_score(before, topic[old])), 4),
    }


def reference_quality(fit: TopicFit, reference, texts, embeddings, cfg: Config) -> dict:
    """`quality` of the reference fit, on the reference papers: it changes only with a refit,
    so it is cached by the reference's content (`.cache/papertrends/topics/`)."""
    import dataclasses
    import hashlib
    import json

    ref = np.sort(reference)
    digest = hashlib.sha256()
    for i in ref:
        digest.update(texts[i].encode())
    digest.update(np.ascontiguousarray(embeddings[ref]).tobytes())
    params = json.dumps([cfg.topics.model_dump(mode="json"), cfg.seed, METRICS_VERSION])
    digest.update(params.encode())
    path = cfg.paths.cache / "topics" / f"metrics-{digest.hexdigest()[:24]}.json"
    if path.exists():
        log.info("topic metrics unchanged since the reference was fitted: %s", path)
        return read_json(path)
    view = dataclasses.replace(
        fit,
        topics=fit.topics[ref],
        probabilities=fit.probabilities[ref],
        topics_before=fit.topics_before[ref],
    )
    metrics = quality(view, [texts[i] for i in ref], embeddings[ref], cfg)
    metrics["settings"]["n_papers"] = len(fit.topics)
    metrics["settings"]["metrics_on_reference"] = len(ref)
    write_json(metrics, path)
    return metrics


METRICS_VERSION = "1"  # bump when `quality` changes what it reports


def quality(fit: TopicFit, texts: list[str], embeddings: np.ndarray, cfg: Config) -> dict:
    """BERTopic and the baselines scored the same way, plus BERTopic before outlier handling.

    Above `topics.metrics_sample` papers, the scoring runs on a seeded sample of that size:
    NPMI over the sample's tokens, NMF/LDA fitted on the sample, and the stability refits
    fitted on the sample and compared with the main fit's topics of the same papers.
    BERTopic's word lists still come from all papers (its topics as the user sees them):
    c-TF-IDF over a small sample's few papers per topic gives noisier words (at 96,777 arXiv
    papers, NPMI 0.14 on a 5,000 sample against 0.27 with the words of all papers).
    """
    t = cfg.topics
    k = max(t.coherence_top_n, t.diversity_top_n)
    all_counts = fit.vectorizer.transform(texts)
    words = fit.vectorizer.get_feature_names_out()
    bert_words = class_tfidf_words(all_counts, fit.topics, words, t, k)
    before_words = class_tfidf_words(all_counts, fit.topics_before, words, t, k)
    rows = sample_rows(len(texts), t.metrics_sample, cfg.seed)
    if len(rows) < len(texts):
        log.info("topic metrics on a seeded sample of %d of %d papers", len(rows), len(texts))
        texts = [texts[i] for i in rows]
        embeddings = embeddings[rows]
    main, main_before = fit.topics[rows], fit.topics_before[rows]
    tokens = tm.tokenize(texts, fit.vectorizer)
    counts = all_counts[rows]
    del all_counts

    def score(topics: np.ndarray, topic_words: dict[int, list[str]]) -> dict:
        ordered = [topic_words[key] for key in sorted(topic_words)]
        return tm.summarize(
            topics, ordered, tokens, t.coherence_top_n, t.coherence_window, t.diversity_top_n
        )

    bert = score(main, bert_words)
    before = score(main_before, before_words)
    labels = fit.model.topic_aspects_.get("Label", {})
    label_words = [[w for w, _ in pairs] for topic, pairs in sorted(labels.items()) if topic != -1]
    bert["outlier_share_before"] = before["outlier_share"]
    bert["npmi_before"] = before["npmi"]
    bert["npmi_labels"] = round(
        tm.npmi(label_words, tokens, t.coherence_top_n, t.coherence_window)[0], 4
    )
    bert["min_cluster_size"] = fit.min_cluster_size
    refits = [fit_topics(texts, embeddings, t, s, None).topics for s in t.stability_seeds]
    bert["stability"] = _mean_ari(main, refits)
    metrics = {"bertopic": bert}

    n_topics = max(1, bert["n_topics"])
    for name in t.baselines:
        kwargs = getattr(t, name).kwargs()
        base = fit_baseline(name, counts, words, n_topics, cfg.seed, kwargs, k)
        metrics[name] = score(base.topics, base.topic_words)
        # n_topics counts topics some paper has as its best; LDA may leave components unused.
        metrics[name]["n_components"] = len(base.topic_words)
        others = [
            fit_baseline(name, counts, words, n_topics, s, kwargs, k).topics
            for s in t.stability_seeds
        ]
        metrics[name]["stability"] = _mean_ari(base.topics, others)
    metrics["settings"] = {
        "n_papers": len(fit.topics),
        "fitted_on": fit.fitted_on,
        "metrics_on": len(rows),  # papers every figure here is computed on
        "npmi_top_n": t.coherence_top_n,
        "npmi_window": t.coherence_window or "paper",
        "diversity_top_n": t.diversity_top_n,
        "stability_seeds": [cfg.seed, *t.stability_seeds],
    }
    return _json_safe(metrics)


def _json_safe(obj):
    """Plain JSON: numpy scalars as Python numbers, NaN (e.g. NPMI of no topic) as null."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _mean_ari(main: np.ndarray, refits: list[np.ndarray]) -> float | None:
    if not refits:
        return None
    return round(float(np.mean([tm.stability(main, r) for r in refits])), 4)


def topics_over_time(assignments: pd.DataFrame, papers: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Papers per (period, topic), outliers included as topic -1; undated papers are left out."""
    dated = assignments.merge(papers[["paper_id", "date"]], on="paper_id", how="left")
    undated = dated["date"].isna()
    if undated.any():
        log.info("topics_over_time: %d undated paper(s) left out", int(undated.sum()))
    dated = dated[~undated]
    period = pd.PeriodIndex(pd.to_datetime(dated["date"]), freq=freq).astype(str)
    counts = dated.assign(period=period).groupby(["period", "topic"]).size()
    return counts.rename("count").reset_index().sort_values(["period", "topic"], ignore_index=True)
