"""Stage `topics`: cleaned papers + embeddings -> BERTopic, NMF/LDA baselines, metrics, map.

Writes `outputs/topics/`: assignments, topic_info, coords, the BERTopic model (safetensors),
the NMF/LDA baselines' assignments, metrics.json (every model side by side), the topic lineage
and topics_over_time.csv from the saved assignments.
"""

from __future__ import annotations

import logging
import shutil
from contextlib import nullcontext

import numpy as np
import pandas as pd

from pipeline.config import Config, Topics
from pipeline.engine import open_engine
from pipeline.io import read_embeddings, read_table, write_json, write_table
from pipeline.snapshots.catalog import dump_order, read_dumps
from pipeline.topics.align import topic_centroids
from pipeline.topics.fit import TopicFit, fit_topics, map_coords
from pipeline.topics.fitcache import fit_store
from pipeline.topics.history import plan
from pipeline.topics.quality import (
    baseline_assignments,
    baseline_rows,
    fit_baselines,
    reference_quality,
)
from pipeline.topics.quiet import quiet_bertopic
from pipeline.topics.words import ctfidf_words, topic_labels

log = logging.getLogger(__name__)


def run(cfg: Config) -> dict:
    from pipeline.embedding.cache import EmbeddingCache
    from pipeline.embedding.encoders import check_matches, load_encoder
    from pipeline.embedding.texts import CachedEncoder

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
        vectors = EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
        encoder = CachedEncoder(encoder, vectors)

    chunk = cfg.engine.chunk_size
    order, fits = papers_dump_order(cfg, first_seen), {}
    cache = fit_store(cfg.paths.cache)
    args = (t, cfg.seed, cfg.compare.min_similarity)
    history, stable, lineage = plan(texts, embeddings, first_seen, order, *args, fits, cache)
    log.info("topics fitted on %d papers; refits at %s", len(history.reference), history.refits)
    where = {"reference": history.reference, "batches": history.batches, "cache": cache}
    guided = {**where, "labels": history.labels}
    # Only papers outside the fitted sample go to the engine: a corpus that fits in
    # `sample_size` starts no cluster.
    with open_engine(cfg.engine) if len(ids) > t.sample_size else nullcontext() as engine:
        fit = fit_topics(texts, embeddings, t, cfg.seed, encoder, engine, chunk, **guided)
        xy = map_coords(embeddings, t, cfg.seed, engine, chunk, **where)
    out = cfg.stage_dir("topics")
    shutil.rmtree(out, ignore_errors=True)  # the stage rewrites its folder completely
    out.mkdir(parents=True)

    topic = np.array([stable[int(x)] for x in fit.topics], dtype=int)
    assignments = pd.DataFrame({"paper_id": ids, "topic": topic, "probability": fit.probabilities})
    write_table(assignments, out / "assignments.parquet", "assignments")
    write_history(out, history, stable, lineage)
    write_table(
        topic_info(fit, ids, embeddings, t, stable), out / "topic_info.parquet", "topic_info"
    )
    coords = pd.DataFrame({"paper_id": ids, "x": xy[:, 0], "y": xy[:, 1]})
    write_table(coords, out / "coords.parquet", "coords")
    write_model(fit, out / "model")

    metrics = all_metrics(fit, history, texts, embeddings, ids, cfg, out, cache)
    if history.steps and history.steps[-1].refit:
        last = since_last_dump(texts, embeddings, first_seen, order, topic, cfg, fits, cache)
    else:
        # Same reference model, and every earlier dump's papers assigned in their own batches
        # as before: the old papers' topics are those of the last run (tests/test_topic_history
        # checks it across two real runs; bench/series_bench across 20 dumps).
        old = int(np.sum(np.asarray(first_seen) != order[-1])) if order else 0
        last = {"old_papers": old, "kept_topic_id": 1.0, "ari": 1.0}
    metrics["history"]["last_dump"].update(last)
    write_json(metrics, out / "metrics.json")
    persisted = read_table(out / "assignments.parquet", "assignments")
    topics_over_time(persisted, papers, t.freq).to_csv(out / "topics_over_time.csv", index=False)
    b = metrics["bertopic"]
    log.info(
        "topics: %d topics, outliers %.1f%% -> %.1f%%, npmi %.3f (nmf %s, lda %s)",
        b["n_topics"], 100 * b["outlier_share_before"], 100 * b["outlier_share"], b["npmi"],
        metrics.get("nmf", {}).get("npmi"), metrics.get("lda", {}).get("npmi"),
    )  # fmt: skip
    return metrics


def write_model(fit: TopicFit, path) -> None:
    """The BERTopic model as safetensors, without the encoder (it is not on a hub)."""
    # The label scores are cosines from torch, whose last bits vary with the CPU's load (its
    # BLAS picks its threads at run time): 4 decimals keep the saved model byte-reproducible.
    fit.model.topic_aspects_ = {
        aspect: {t: [(w, round(float(x), 4)) for w, x in pairs] for t, pairs in topics.items()}
        for aspect, topics in fit.model.topic_aspects_.items()
    }
    with quiet_bertopic():
        fit.model.save(
            path, serialization="safetensors", save_ctfidf=True, save_embedding_model=False
        )


def all_metrics(fit: TopicFit, history, texts, embeddings, ids, cfg: Config, out, cache) -> dict:
    """The reference's quality, every model side by side (the baselines' assignments are
    written to `baselines.parquet` on the way), and what each dump did to the history."""
    rows = baseline_rows(history.reference, cfg)
    baselines = fit_baselines(fit, rows, texts, cfg, cache)
    table = baseline_assignments(baselines, rows, fit.vectorizer, texts, ids)
    write_table(table, out / "baselines.parquet", "baseline_assignments")
    metrics = reference_quality(fit, history.reference, texts, embeddings, cfg, baselines)
    metrics["history"] = history_metrics(history)
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


def since_last_dump(texts, embeddings, first_seen, order, topic, cfg, fits, cache) -> dict:
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
    prev, stable, _ = plan(texts_old, embs, sub, order[:-1], *args, fits, cache)
    # No encoder: it only names topics, and the topics are what is compared.
    fit = fit_topics(
        texts_old, embs, t, cfg.seed, None, None, cfg.engine.chunk_size,
        reference=prev.reference, batches=prev.batches, cache=cache, labels=prev.labels,
    )  # fmt: skip
    before = np.array([stable[int(x)] for x in fit.topics])
    return {
        "old_papers": len(old),
        "kept_topic_id": round(float(np.mean(before == topic[old])), 4),
        "ari": round(float(adjusted_rand_score(before, topic[old])), 4),
    }


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
