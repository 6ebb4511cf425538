"""The most typical of several seeded fits (pipeline/topics/consensus.py). On Dask the candidates
run on the workers: tests/test_topics_engine.py checks that the stage gives the same topics."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from factories import planted_corpus
from sklearn.metrics import adjusted_rand_score

from pipeline.config import Config
from pipeline.topics.build import build_hdbscan
from pipeline.topics.consensus import (
    candidate_partition,
    candidate_seeds,
    consensus_choice,
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
    choice = consensus_choice(emb, None, cfg, 7)
    chosen = choice.seed
    assert chosen in candidate_seeds(7, 4)
    fit = fit_topics(texts, emb, cfg, seed=7)
    assert fit.model.umap_model.random_state == chosen
    assert fit.candidate_agreement == choice.agreement
    expected = candidate_partition(chosen, emb, None, cfg.umap, build_hdbscan(cfg, len(emb)))
    assert adjusted_rand_score(expected, fit.topics_before) == 1.0


def test_the_agreement_is_the_candidates_mean_pairwise_ari():
    """On vectors without clusters the candidates disagree, so the figure can be wrong."""
    emb = np.random.default_rng(0).normal(size=(150, 16)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    cfg = Config().topics.model_copy(update={"candidates": 4})
    hdbscan = build_hdbscan(cfg, len(emb))
    parts = [candidate_partition(s, emb, None, cfg.umap, hdbscan) for s in candidate_seeds(7, 4)]
    pairs = [adjusted_rand_score(a, b) for a, b in itertools.combinations(parts, 2)]
    agreement = consensus_choice(emb, None, cfg, 7).agreement
    assert agreement == pytest.approx(np.mean(pairs), abs=1e-4)
    assert agreement < 0.9


def test_one_candidate_is_the_plain_fit_with_the_project_seed(corpus):
    texts, emb = corpus
    cfg = Config().topics.model_copy(update={"candidates": 1})
    fit = fit_topics(texts, emb, cfg, seed=7)
    assert fit.model.umap_model.random_state == 7
    assert fit.candidate_agreement is None
