"""Align topics fitted on two snapshots separately: continued, split, merged, born, died.

Topics are compared by their topic embeddings (the mean embedding of their papers), so the
alignment works on plain arrays and never depends on a topic model's internals. An optimal
one-to-one matching (Hungarian) pairs the topics; a topic left over on either side is then
attached to its most similar counterpart when that similarity clears the threshold, which is how
splits (one old topic, two or more new ones) and merges (the reverse) show up. BERTopic's own
`merge_models` keeps neither the link back to the source ids nor any split.

Embeddings of one field of research all point roughly the same way, so cosine similarities
between any two topic vectors are high (0.7-0.97 between MiniLM topics of the seed dumps) and no
fixed threshold separates "same topic" from "neighbouring topic". `resolution_threshold` takes
the threshold from the models themselves instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RELATIONS = ("continued", "split", "merged", "born", "died")


def topic_centroids(
    embeddings: np.ndarray, topics: Sequence[int], outliers: bool = False
) -> tuple[list[int], np.ndarray]:
    """Mean embedding of each topic's documents, in id order; the outlier group (-1) only when
    `outliers` (BERTopic's topic_embeddings_ has a row for it, an alignment must not)."""
    topics = np.asarray(topics)
    ids = sorted(int(t) for t in set(topics.tolist()) if outliers or t != -1)
    dim = embeddings.shape[1] if embeddings.ndim == 2 else 0
    if not ids:
        return [], np.zeros((0, dim), dtype=float)
    return ids, np.vstack([embeddings[topics == t].mean(axis=0) for t in ids])


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of `a` with every row of `b`."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a = a / np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    b = b / np.clip(np.linalg.norm(b, axis=1, keepdims=True), 1e-12, None)
    return a @ b.T


def resolution_threshold(from_vecs: np.ndarray, to_vecs: np.ndarray, floor: float) -> float:
    """The highest similarity between two distinct topics of the same snapshot (at least `floor`).

    Two topics that one model kept apart are by definition different topics, so a topic from
    the other snapshot must be at least that similar to count as the same one. The threshold
    follows the models' own resolution instead of a fixed number that suits one encoder only.
    """
    highest = floor
    for vecs in (from_vecs, to_vecs):
        if len(vecs) > 1:
            within = cosine_matrix(vecs, vecs)
            highest = max(highest, float(within[~np.eye(len(vecs), dtype=bool)].max()))
    return highest


def align_topics(
    from_ids: Sequence[int],
    to_ids: Sequence[int],
    similarity: np.ndarray,
    threshold: float,
) -> list[dict]:
    """Links between `from` and `to` topics: {"from", "to", "similarity", "relation"}.

    `similarity[i, j]` compares from_ids[i] with to_ids[j]. A topic with no partner at or above
    `threshold` is `died` (from side) or `born` (to side); its link carries its best similarity
    so that a near miss is visible.
    """
    from scipy.optimize import linear_sum_assignment

    sim = np.asarray(similarity, dtype=float).reshape(len(from_ids), len(to_ids))
    edges: set[tuple[int, int]] = set()
    if sim.size:
        rows, cols = linear_sum_assignment(sim, maximize=True)
        edges |= {
            (int(i), int(j)) for i, j in zip(rows, cols, strict=True) if sim[i, j] >= threshold
        }
        matched_from = {i for i, _ in edges}
        matched_to = {j for _, j in edges}
        for j in range(sim.shape[1]):
            i = int(np.argmax(sim[:, j]))
            if j not in matched_to and sim[i, j] >= threshold:
                edges.add((i, j))
        for i in range(sim.shape[0]):
            j = int(np.argmax(sim[i]))
            if i not in matched_from and sim[i, j] >= threshold:
                edges.add((i, j))

    deg_from: dict[int, int] = {}
    deg_to: dict[int, int] = {}
    for i, j in edges:
        deg_from[i] = deg_from.get(i, 0) + 1
        deg_to[j] = deg_to.get(j, 0) + 1

    links = []
    for i, j in sorted(edges):
        if deg_from[i] > 1:
            relation = "split"
        elif deg_to[j] > 1:
            relation = "merged"
        else:
            relation = "continued"
        links.append(_link(from_ids[i], to_ids[j], sim[i, j], relation))
    for i in range(len(from_ids)):
        if i not in deg_from:
            best = float(sim[i].max()) if sim.shape[1] else 0.0
            links.append(_link(from_ids[i], None, best, "died"))
    for j in range(len(to_ids)):
        if j not in deg_to:
            best = float(sim[:, j].max()) if sim.shape[0] else 0.0
            links.append(_link(None, to_ids[j], best, "born"))
    return links


def _link(a: int | None, b: int | None, s: float, relation: str) -> dict:
    return {
        "from": None if a is None else int(a),
        "to": None if b is None else int(b),
        "similarity": round(float(s), 4),
        "relation": relation,
    }


def relation_counts(links: list[dict]) -> dict[str, int]:
    """How many topics took part in each relation (a split counts its old topic once)."""
    counts = dict.fromkeys(RELATIONS, 0)
    counts["continued"] = sum(1 for x in links if x["relation"] == "continued")
    counts["split"] = len({x["from"] for x in links if x["relation"] == "split"})
    counts["merged"] = len({x["to"] for x in links if x["relation"] == "merged"})
    counts["born"] = sum(1 for x in links if x["relation"] == "born")
    counts["died"] = sum(1 for x in links if x["relation"] == "died")
    return counts


def inherit_stable_ids(
    from_stable: dict[int, str], to_snapshot: str, to_ids: Sequence[int], links: list[dict]
) -> dict[int, tuple[str, str]]:
    """Stable id and incoming relation of each `to` topic, given the ids of the `from` topics.

    A lineage id is `<snapshot where the topic first appeared>:<its local id there>`, so ids
    never depend on counters, on other series or on later dumps. Each old id passes to at most
    one new topic, the most similar (for a split, the closest child keeps the id and the other
    children start lineages of their own; for a merge, the new topic keeps its closest parent's).
    """
    relation = {}
    for link in links:
        if link["to"] is not None:
            relation.setdefault(link["to"], link["relation"])
    candidates = sorted(
        (x for x in links if x["from"] is not None and x["to"] is not None),
        key=lambda x: (-x["similarity"], x["from"], x["to"]),
    )
    out: dict[int, tuple[str, str]] = {}
    used: set[int] = set()
    for link in candidates:
        if link["from"] in used or link["to"] in out or link["from"] not in from_stable:
            continue
        used.add(link["from"])
        out[link["to"]] = (from_stable[link["from"]], link["relation"])
    for t in to_ids:
        if int(t) not in out:
            out[int(t)] = (f"{to_snapshot}:{int(t)}", relation.get(int(t), "born"))
    return out
