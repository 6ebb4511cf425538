"""Topic drift between snapshots: topics fitted on each snapshot alone, aligned by centroid
similarity, and the lineage of those snapshot-local topics along each series.

Everything here is a function of its arguments: `fit_local` fits one snapshot, `drift` aligns
two fits, and `lineage` turns the aligned pairs of a run into the topic map.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.config import Config
from pipeline.topics import align as ta

MAP_COLUMNS = ["snapshot", "local_topic", "global_topic", "stable_id", "relation"]


@dataclass(frozen=True)
class LocalTopics:
    """Topics fitted on one snapshot alone."""

    ids: list[int]  # local topic ids (no outlier group)
    centroids: np.ndarray  # one unit row per id
    global_of: dict[int, int]  # local id -> the global topic most of its papers have
    topics: list[dict]  # {"id", "label", "size"} per id, for the comparison document


def fit_local(
    cfg: Config, paper_ids: list[str], texts: list[str], embeddings, global_topic: dict
) -> LocalTopics:
    """Fit the topic model on one snapshot's papers (`paper_ids`, in the rows' order)."""
    topics, labels = fit_local_topics(cfg, texts, embeddings)
    cids, centroids = ta.topic_centroids(np.asarray(embeddings, dtype=float), topics)
    global_of = {}
    for t in cids:
        members = [p for p, x in zip(paper_ids, topics, strict=True) if x == t]
        votes = Counter(global_topic.get(p, -1) for p in members)
        inner = {k: v for k, v in votes.items() if k != -1} or votes
        global_of[t] = int(max(sorted(inner), key=lambda k: inner[k]))
    sizes = [
        {"id": t, "label": labels.get(t, f"topic {t}"), "size": int((topics == t).sum())}
        for t in cids
    ]
    return LocalTopics(cids, centroids, global_of, sizes)


def fit_local_topics(
    cfg: Config, texts: list[str], embeddings: np.ndarray
) -> tuple[np.ndarray, dict[int, str]]:
    """BERTopic with the global model's settings on one snapshot: (topic per paper, labels)."""
    from pipeline.topics.fit import fit_bertopic
    from pipeline.topics.words import topic_labels

    # No encoder: c-TF-IDF words are enough to name a snapshot-local topic.
    model, topics, _ = fit_bertopic(
        texts, embeddings, cfg.topics, seed=cfg.seed, chunk_size=cfg.engine.chunk_size
    )
    return np.asarray(topics, dtype=int), topic_labels(model, cfg.topics.label_words)


def drift(fits: dict[str, LocalTopics | None], a: str, b: str, cfg: Config) -> tuple[dict, list]:
    """The drift part of comparing snapshot `a` with `b` (with a one-line summary) and its
    links; a snapshot too small to fit (None in `fits`) gives an empty drift that says why."""
    fa, fb = fits[a], fits[b]
    if fa is None or fb is None:
        small = [s for s in (a, b) if fits[s] is None]
        note = (
            f"Topic drift not computed: snapshot(s) {small} have fewer than "
            f"{cfg.compare.min_drift_papers} papers to fit topics on."
        )
        return {"from_topics": [], "to_topics": [], "links": [], "summary": note}, []
    sim = ta.cosine_matrix(fa.centroids, fb.centroids)
    threshold = cfg.compare.match_threshold
    if threshold == "auto":
        threshold = ta.resolution_threshold(fa.centroids, fb.centroids, cfg.compare.min_similarity)
    links = ta.align_topics(fa.ids, fb.ids, sim, threshold)
    c = ta.relation_counts(links)
    note = (
        "Topics fitted on each snapshot alone: "
        f"{len(fa.ids)} -> {len(fb.ids)} topics; {c['continued']} continued, "
        f"{c['split']} split, {c['merged']} merged, {c['born']} born, {c['died']} died "
        f"(linked at cosine >= {threshold:.3f})."
    )
    doc = {"from_topics": fa.topics, "to_topics": fb.topics, "links": links}
    doc["threshold"] = round(float(threshold), 4)
    return {**doc, "summary": note}, links


def lineage(
    pairs: list[tuple[str, str]],
    fits: dict[str, LocalTopics | None],
    links: dict[tuple[str, str], list],
) -> pd.DataFrame:
    """The topic map: one row per (snapshot, local topic) with its lineage id. A snapshot's
    rows come from the first pair (in `pairs` order) that describes it: the first snapshot of
    a series starts lineages, a later one inherits ids through the pair's links."""
    stable: dict[str, dict[int, tuple[str, str]]] = {}
    for a, b in pairs:
        fa, fb = fits.get(a), fits.get(b)
        if fa is None or fb is None:
            continue
        if a not in stable:
            stable[a] = {t: (f"{a}:{t}", "first") for t in fa.ids}
        if b not in stable:
            known = {t: sid for t, (sid, _) in stable[a].items()}
            stable[b] = ta.inherit_stable_ids(known, b, fb.ids, links[(a, b)])
    frames = [_map_frame(s, fits[s], ids) for s, ids in stable.items() if fits[s].ids]
    if not frames:
        return _map_frame("", LocalTopics([], np.zeros((0, 0)), {}, []), {})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["snapshot", "local_topic"], kind="stable").reset_index(drop=True)


def _map_frame(sid: str, fit: LocalTopics, ids: dict[int, tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "snapshot": sid,
            "local_topic": fit.ids,
            "global_topic": [fit.global_of[t] for t in fit.ids],
            "stable_id": [ids[t][0] for t in fit.ids],
            "relation": [ids[t][1] for t in fit.ids],
        },
        columns=MAP_COLUMNS,
    )
