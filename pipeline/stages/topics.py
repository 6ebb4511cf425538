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
from pipeline.date_precision import to_period
from pipeline.engine import open_engine
from pipeline.io import read_embeddings, read_table, write_json, write_table
from pipeline.snapshots.catalog import dump_order, read_dumps
from pipeline.topics.align import topic_centroids
from pipeline.topics.corpus import TopicCorpus, read_corpus
from pipeline.topics.fit import TopicFit, fit_topics, map_coords
from pipeline.topics.fitcache import fit_store
from pipeline.topics.history import check_refit_at, plan
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
    # The model's documents: every paper's current text, and the earlier texts of revised ones.
    docs = read_corpus(cfg, papers, embeddings)
    cur = docs.current
    texts, embeddings = docs.texts, docs.embeddings
    first_seen = papers["first_seen"].tolist()
    # One copy of the corpus text (`texts`) is enough.
    papers = papers[["paper_id", "date", "date_precision"]]
    # The encoder embeds label candidates; the tfidf one must first see the corpus (as embed).
    encoder = None
    if t.representation != "none":
        encoder = load_encoder(cfg.embed, cfg.seed).fit([texts[i] for i in cur])
        check_matches(encoder, embeddings)
        vectors = EmbeddingCache(cfg.paths.cache, encoder.name, encoder.version, encoder.dim)
        encoder = CachedEncoder(encoder, vectors)

    chunk = cfg.engine.chunk_size
    order, fits = papers_dump_order(cfg, docs.dumps), {}
    check_refit_at(t.history.refit_at, order)
    cache = fit_store(cfg.paths.cache)
    args = (t, cfg.seed, cfg.compare.min_similarity)
    history, stable, lineage = plan(texts, embeddings, docs.dumps, order, *args, fits, cache)
    log.info("topics fitted on %d documents; refits at %s", len(history.reference), history.refits)
    where = {"reference": history.reference, "batches": history.batches, "cache": cache}
    guided = {**where, "labels": history.labels}
    # Only papers outside the fitted sample go to the engine: a corpus that fits in
    # `sample_size` starts no cluster.
    with open_engine(cfg.engine) if len(texts) > t.sample_size else nullcontext() as engine:
        fit = fit_topics(texts, embeddings, t, cfg.seed, encoder, engine, chunk, **guided)
        xy = map_coords(embeddings, t, cfg.seed, engine, chunk, **where)
    out = cfg.stage_dir("topics")
    shutil.rmtree(out, ignore_errors=True)  # the stage rewrites its folder completely
    out.mkdir(parents=True)

    doc_topic = np.array([stable[int(x)] for x in fit.topics], dtype=int)
    assignments = pd.DataFrame(
        {"paper_id": ids, "topic": doc_topic[cur], "probability": fit.probabilities[cur]}
    )
    write_table(assignments, out / "assignments.parquet", "assignments")
    write_history(out, history, stable, lineage)
    write_table(
        topic_info(fit.take(cur), ids, embeddings[cur], t, stable),
        out / "topic_info.parquet",
        "topic_info",
    )
    coords = pd.DataFrame({"paper_id": ids, "x": xy[cur, 0], "y": xy[cur, 1]})
    write_table(coords, out / "coords.parquet", "coords")
    write_model(fit, out / "model")

    metrics = all_metrics(fit, history, docs, cfg, out, cache)
    refit = bool(history.steps and history.steps[-1].refit)
    last = since_last_dump(docs, first_seen, order, doc_topic, refit, cfg, fits, cache)
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


def all_metrics(fit: TopicFit, history, docs: TopicCorpus, cfg: Config, out, cache) -> dict:
    """The reference's quality, every model side by side (the baselines' assignments are
    written to `baselines.parquet` on the way), and what each dump did to the history."""
    rows = baseline_rows(history.reference, cfg)
    baselines = fit_baselines(fit, rows, docs.texts, cfg, cache)
    table = baseline_assignments(baselines, rows, fit.vectorizer, docs.texts, docs.ids)
    table = table.iloc[docs.current].reset_index(drop=True)
    write_table(table, out / "baselines.parquet", "baseline_assignments")
    metrics = reference_quality(fit, history.reference, docs.texts, docs.embeddings, cfg, baselines)
    metrics["settings"]["n_papers"] = len(docs.current)
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


def papers_dump_order(cfg: Config, dumps: list[str]) -> list[str]:
    """The snapshots that brought the documents (`dumps`), in dump-date order (ingest's
    dumps.json); dumps it does not date, or a corpus without it (a papers table made by
    hand), follow in id order."""
    path = cfg.stage_dir("ingest") / "dumps.json"
    order = dump_order(read_dumps(path)) if path.exists() else []
    present = set(dumps)
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


def since_last_dump(docs: TopicCorpus, first_seen, order, doc_topic, refit, cfg, fits, cache):
    """How many of the papers that were already there keep their topic id since the run
    without the latest dump, and how well the two partitions of them agree.

    A paper's topic then was that of its text then (a paper the dump revised had its previous
    version). Without a refit, the reference and every earlier dump's documents are assigned
    as in that run, so their topics here are that run's (tests/test_topic_history checks it
    across two real runs; bench/series_bench across 20). After a refit, the run without the
    latest dump is replayed for real."""
    from sklearn.metrics import adjusted_rand_score

    last = order[-1] if order else None
    old = np.flatnonzero(np.asarray(first_seen) != last) if len(order) > 1 else np.zeros(0, int)
    if len(old) < 10:
        return {"old_papers": len(old), "kept_topic_id": None, "ari": None}
    previous = docs.before(last)
    then = np.array([previous.get(int(i), docs.current[i]) for i in old])
    if refit:
        kept = np.flatnonzero(np.asarray(docs.dumps) != last)
        replayed = replayed_topics(docs, kept, order[:-1], cfg, fits, cache)
        before = replayed[np.searchsorted(kept, then)]
    else:
        before = doc_topic[then]
    now = doc_topic[docs.current[old]]
    return {
        "old_papers": len(old),
        "kept_topic_id": round(float(np.mean(before == now)), 4),
        "ari": round(float(adjusted_rand_score(before, now)), 4),
    }


def replayed_topics(docs: TopicCorpus, rows, order, cfg, fits, cache) -> np.ndarray:
    """Stable topic ids of documents `rows` in a run that had only those documents."""
    t = cfg.topics
    sub = [docs.dumps[i] for i in rows]
    args = (t, cfg.seed, cfg.compare.min_similarity)
    embs, texts = docs.embeddings[rows], [docs.texts[i] for i in rows]
    # The memo of reference fits stays valid: without the last dump, the references are the
    # same prefixes of the same dump order (same documents, same order, same size).
    prev, stable, _ = plan(texts, embs, sub, order, *args, fits, cache)
    # No encoder: it only names topics, and the topics are what is compared.
    fit = fit_topics(
        texts, embs, t, cfg.seed, None, None, cfg.engine.chunk_size,
        reference=prev.reference, batches=prev.batches, cache=cache, labels=prev.labels,
    )  # fmt: skip
    return np.array([stable[int(x)] for x in fit.topics])


def topics_over_time(assignments: pd.DataFrame, papers: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Papers per (period, topic), outliers included as topic -1; papers without a date, or
    with one too coarse for `freq` (`date_precision.to_period`), are left out."""
    dated = assignments.merge(papers, on="paper_id", how="left")
    dated["period"] = to_period(dated["date"], freq, dated["date_precision"])
    unplaced = dated["period"].isna()
    if unplaced.any():
        log.info("topics_over_time: %d paper(s) without a %s date left out", unplaced.sum(), freq)
    counts = dated[~unplaced].groupby(["period", "topic"]).size()
    return counts.rename("count").reset_index().sort_values(["period", "topic"], ignore_index=True)
