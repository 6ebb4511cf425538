"""BERTopic built from params: planted topics are found, the same inputs give the same topics."""

from __future__ import annotations

import numpy as np
import pytest
from factories import THEMES, planted_corpus
from pydantic import ValidationError
from sklearn.metrics import adjusted_rand_score

from pipeline.config import Config, Topics
from pipeline.errors import StageInputError
from pipeline.topics.build import build_umap, resolve_min_cluster_size
from pipeline.topics.fit import fit_bertopic, fit_topics
from pipeline.topics.words import ctfidf_words, topic_labels


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus()


@pytest.fixture(scope="module")
def cfg() -> Topics:
    return Config().topics.model_copy(update={"sample_size": 50_000})


def test_finds_planted_topics_and_reassigns_outliers(corpus, cfg):
    texts, emb, truth = corpus
    fit = fit_topics(texts, emb, cfg, seed=42)
    assert len(set(fit.topics) - {-1}) == 4
    assert adjusted_rand_score(truth, fit.topics) > 0.9
    assert (fit.topics == -1).mean() <= (fit.topics_before == -1).mean()
    words = ctfidf_words(fit.model, 5)
    for topic, top in words.items():
        theme = np.bincount(truth[fit.topics == topic]).argmax()
        assert set(top[:3]) <= set(list(THEMES.values())[theme].split())
    labels = topic_labels(fit.model, 3)
    assert all(len(labels[t].split(", ")) == 3 for t in words)


def test_same_inputs_same_topics(corpus, cfg):
    texts, emb, _ = corpus
    a = fit_topics(texts, emb, cfg, seed=7)
    b = fit_topics(texts, emb, cfg, seed=7)
    assert np.array_equal(a.topics, b.topics)
    assert np.array_equal(a.probabilities, b.probabilities)
    assert ctfidf_words(a.model, 10) == ctfidf_words(b.model, 10)


def test_fit_bertopic_on_a_small_snapshot(corpus, cfg):
    from bertopic import BERTopic

    texts, emb, truth = corpus
    rows = np.r_[0:20, 40:60, 80:100]  # three themes, 60 papers
    model, topics, probs = fit_bertopic([texts[i] for i in rows], emb[rows], cfg, seed=42)
    assert isinstance(model, BERTopic)
    assert isinstance(topics, list) and len(topics) == len(rows) == len(probs)
    assert adjusted_rand_score(truth[rows], topics) > 0.8


def test_sampled_fit_assigns_the_rest_with_transform(corpus, cfg):
    texts, emb, truth = corpus
    sampled = cfg.model_copy(update={"sample_size": 100})
    fit = fit_topics(texts, emb, sampled, seed=42)
    assert fit.fitted_on == 100 and len(fit.topics) == len(texts)
    assert adjusted_rand_score(truth, fit.topics) > 0.8
    assert sum(fit.model.topic_sizes_.values()) == len(texts)


def test_every_paper_an_outlier_is_not_an_error(corpus, cfg):
    texts, emb, _ = corpus
    rng = np.random.default_rng(1)
    noise = rng.normal(size=emb.shape).astype(np.float32)
    huge = cfg.model_copy(
        update={"hdbscan": cfg.hdbscan.model_copy(update={"min_cluster_size": 150})}
    )
    fit = fit_topics(texts, noise, huge, seed=42)
    assert set(fit.topics) == {-1} and ctfidf_words(fit.model, 5) == {}


def test_min_cluster_size_scales_with_corpus_size():
    cfg = Topics()
    sizes = [resolve_min_cluster_size(cfg, n) for n in (50, 220, 10_000, 96_789)]
    assert sizes == sorted(sizes) and sizes[0] == cfg.auto_min_cluster_size.floor
    assert resolve_min_cluster_size(Topics(hdbscan={"min_cluster_size": 9}), 10_000) == 9
    with pytest.raises(ValidationError, match="min_cluster_size"):  # refused at config load
        Topics(hdbscan={"min_cluster_size": "big"})


def test_umap_gets_the_section_with_the_seed_and_a_fitting_neighbourhood(cfg):
    reducer = build_umap(cfg.coords, 8, seed=3, n_components=2)
    assert (reducer.n_neighbors, reducer.n_components, reducer.random_state) == (7, 2, 3)
    assert (reducer.min_dist, reducer.metric) == (cfg.coords.min_dist, cfg.coords.metric)


def test_tiny_inputs_are_reported(corpus, cfg):
    texts, emb, _ = corpus
    with pytest.raises(StageInputError, match="at least"):
        fit_topics(texts[:5], emb[:5], cfg, seed=0)
