"""The most typical of several seeded fits (pipeline/topics/consensus.py). On Dask the candidates
run on the workers: tests/test_topics_engine.py checks that the stage gives the same topics."""

from __future__ import annotations

import numpy as np
import pytest
from factories import planted_corpus
from sklearn.metrics import adjusted_rand_score

from pipeline.config import Config
from pipeline.topics.build import build_hdbscan
from pipeline.topics.consensus import (
    candidate_partition,
    candidate_seeds,
    consensus_seed,
    most_typical,
)
from pipeline.topics.fit import fit_topics


def test_candidate_seeds_start_with_the_project_seed_and_are_reproducible():
    assert candidate_seeds(42, 1) == [42]
    seeds = candidate_seeds(42, 5)
    assert seeds[0] == 42 and len(set(seeds)) == 5
    assert candidate_seeds(42, 5) == seeds
    assert candidate_seeds(43, 5)[1:] != seeds[1:]


def test_the_majority_partition_is_kept_and_ties_go_to_the_first():
    a = np.repeat([0, 1, 2, 3], 10)
    merged = np.repeat([0, 0, 1, 1], 10)  # one candidate merged two pairs of topics
    relabelled = 3 - a  # the same partition under other ids
    best, means = most_typical([merged, a, relabelled])
    assert best == 1 and means[1] == means[2] > means[0]
    assert most_typical([a, relabelled])[0] == 0
    assert most_typical([merged]) == (0, [1.0])


@pytest.fixture(scope="module")
def corpus():
    texts, emb, _ = planted_corpus(per_theme=30)
    return texts, emb


def test_the_kept_fit_is_the_chosen_candidates_partition(corpus):
    texts, emb = corpus
    cfg = Config().topics.model_copy(update={"candidates": 4})
    chosen = consensus_seed(emb, None, cfg, 7)
    assert chosen in candidate_seeds(7, 4)
    fit = fit_topics(texts, emb, cfg, seed=7)
    assert fit.model.umap_model.random_state == chosen
    expected = candidate_partition(chosen, emb, None, cfg.umap, build_hdbscan(cfg, len(emb)))
    assert adjusted_rand_score(expected, fit.topics_before) == 1.0


def test_one_candidate_is_the_plain_fit_with_the_project_seed(corpus):
    texts, emb = corpus
    cfg = Config().topics.model_copy(update={"candidates": 1})
    fit = fit_topics(texts, emb, cfg, seed=7)
    assert fit.model.umap_model.random_state == 7
