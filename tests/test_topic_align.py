"""Topic alignment on synthetic snapshots with a known answer (Gaussian blobs in 32-D)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.topics.align import (
    align_topics,
    cosine_matrix,
    inherit_stable_ids,
    relation_counts,
    resolution_threshold,
    topic_centroids,
)

DIM = 32


def _means(k: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(k, DIM))


def _draw(rng, mean: np.ndarray, n: int, sd: float = 0.15) -> np.ndarray:
    x = mean + rng.normal(scale=sd, size=(n, DIM))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _snapshot(rng, groups: dict[int, list[np.ndarray]], n: int = 25):
    """Papers labelled by topic id; a topic drawn from several means mixes them evenly."""
    xs, ys = [], []
    for topic, means in groups.items():
        for m in means:
            xs.append(_draw(rng, m, n // len(means)))
            ys += [topic] * (n // len(means))
    return np.vstack(xs), np.asarray(ys)


def _align(a, b, floor: float = 0.5):
    """What the compare stage does: raw cosine, threshold from the models' own resolution."""
    (xa, ya), (xb, yb) = a, b
    ia, ca = topic_centroids(xa, ya)
    ib, cb = topic_centroids(xb, yb)
    return align_topics(ia, ib, cosine_matrix(ca, cb), resolution_threshold(ca, cb, floor))


def _rel(links, relation):
    return sorted((x["from"], x["to"]) for x in links if x["relation"] == relation)


def test_identical_snapshots_continue_every_topic():
    m = _means(5)
    snap = _snapshot(np.random.default_rng(1), {k: [m[k]] for k in range(5)})
    links = _align(snap, snap)
    assert _rel(links, "continued") == [(k, k) for k in range(5)]
    assert all(x["similarity"] == pytest.approx(1.0) for x in links)


def test_fresh_papers_of_the_same_topics_continue_even_with_shuffled_ids():
    m = _means(5)
    a = _snapshot(np.random.default_rng(1), {k: [m[k]] for k in range(5)})
    b = _snapshot(np.random.default_rng(2), {(k + 2) % 5: [m[k]] for k in range(5)})
    assert _rel(_align(a, b), "continued") == [(k, (k + 2) % 5) for k in range(5)]


def test_thirty_papers_of_a_new_topic_are_born():
    m = _means(6)
    rng = np.random.default_rng(3)
    a = _snapshot(rng, {k: [m[k]] for k in range(5)})
    b = _snapshot(rng, {k: [m[k]] for k in range(5)})
    xb, yb = b
    b = (np.vstack([xb, _draw(rng, m[5], 30)]), np.concatenate([yb, np.full(30, 5)]))
    links = _align(a, b)
    assert _rel(links, "born") == [(None, 5)]
    assert len(_rel(links, "continued")) == 5
    assert relation_counts(links)["died"] == 0


def test_a_removed_topic_dies():
    m = _means(5)
    rng = np.random.default_rng(4)
    a = _snapshot(rng, {k: [m[k]] for k in range(5)})
    b = _snapshot(rng, {k: [m[k]] for k in range(5) if k != 2})
    links = _align(a, b)
    assert _rel(links, "died") == [(2, None)]
    assert relation_counts(links) == {"continued": 4, "split": 0, "merged": 0, "born": 0, "died": 1}


def _split_means():
    m = _means(4, seed=5)
    d = np.random.default_rng(6).normal(size=DIM)
    d -= d @ m[0] / (m[0] @ m[0]) * m[0]  # the split direction is orthogonal to the topic
    d *= 0.8 * np.linalg.norm(m[0]) / np.linalg.norm(d)
    return m, m[0] + d, m[0] - d


def test_one_topic_split_in_two():
    m, left, right = _split_means()
    rng = np.random.default_rng(7)
    a = _snapshot(rng, {0: [left, right], 1: [m[1]], 2: [m[2]], 3: [m[3]]}, n=40)
    b = _snapshot(rng, {0: [m[1]], 1: [left], 2: [m[2]], 3: [right], 4: [m[3]]})
    links = _align(a, b)
    assert _rel(links, "split") == [(0, 1), (0, 3)]
    assert _rel(links, "continued") == [(1, 0), (2, 2), (3, 4)]
    counts = relation_counts(links)
    assert counts["split"] == 1 and counts["born"] == counts["died"] == 0


def test_two_topics_merged_into_one():
    m, left, right = _split_means()
    rng = np.random.default_rng(8)
    a = _snapshot(rng, {0: [left], 1: [right], 2: [m[1]], 3: [m[2]]})
    b = _snapshot(rng, {0: [m[2]], 1: [m[1]], 2: [left, right]}, n=40)
    links = _align(a, b)
    assert _rel(links, "merged") == [(0, 2), (1, 2)]
    assert relation_counts(links)["merged"] == 1


def test_unrelated_topics_are_born_and_died_not_forced_together():
    a = _snapshot(np.random.default_rng(9), {k: [m] for k, m in enumerate(_means(3, 10))})
    b = _snapshot(np.random.default_rng(9), {k: [m] for k, m in enumerate(_means(3, 11))})
    links = _align(a, b)
    counts = relation_counts(links)
    assert counts["born"] == 3 and counts["died"] == 3 and counts["continued"] == 0
    assert all(x["similarity"] < 0.5 for x in links)


def test_threshold_follows_the_models_resolution():
    # One field: every topic shares a strong common direction, so all cosines are high (as with
    # real abstracts) and a fixed 0.5 would call a brand-new topic the continuation of an old one.
    field = _means(1, seed=12)[0] * 2.5
    m = field + _means(5, seed=13)
    rng = np.random.default_rng(14)
    a = _snapshot(rng, {k: [m[k]] for k in range(4)})
    b = _snapshot(rng, {0: [m[0]], 1: [m[1]], 2: [m[4]]})
    ia, ca = topic_centroids(*a)
    ib, cb = topic_centroids(*b)
    sim = cosine_matrix(ca, cb)
    assert sim.min() > 0.6
    fixed = align_topics(ia, ib, sim, 0.5)
    assert relation_counts(fixed)["born"] == 0  # the trap
    links = _align(a, b)
    assert _rel(links, "born") == [(None, 2)]
    assert _rel(links, "continued") == [(0, 0), (1, 1)]
    assert _rel(links, "died") == [(2, None), (3, None)]


def test_every_paper_an_outlier_gives_no_topics():
    x = _draw(np.random.default_rng(0), _means(1)[0], 10)
    ids, cents = topic_centroids(x, [-1] * 10)
    assert ids == [] and cents.shape == (0, DIM)
    m = _means(2)
    b = _snapshot(np.random.default_rng(1), {0: [m[0]], 1: [m[1]]})
    ib, cb = topic_centroids(*b)
    links = align_topics(ids, ib, cosine_matrix(cents, cb), 0.5)
    assert _rel(links, "born") == [(None, 0), (None, 1)]


def test_stable_ids_follow_the_lineage():
    links = [
        {"from": 0, "to": 1, "similarity": 0.9, "relation": "split"},
        {"from": 0, "to": 3, "similarity": 0.7, "relation": "split"},
        {"from": 1, "to": 0, "similarity": 0.95, "relation": "continued"},
        {"from": 2, "to": None, "similarity": 0.1, "relation": "died"},
        {"from": None, "to": 2, "similarity": 0.2, "relation": "born"},
    ]
    ids = inherit_stable_ids({0: "s1:0", 1: "s1:1", 2: "s1:2"}, "s2", [0, 1, 2, 3], links)
    assert ids == {
        0: ("s1:1", "continued"),
        1: ("s1:0", "split"),  # the closer child keeps the old id
        2: ("s2:2", "born"),
        3: ("s2:3", "split"),  # the other child starts its own lineage
    }
    # Same inputs, same ids: nothing depends on run order or counters.
    assert inherit_stable_ids({0: "s1:0", 1: "s1:1", 2: "s1:2"}, "s2", [3, 2, 1, 0], links) == ids
