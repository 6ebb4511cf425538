"""The topics stage past `topics.sample_size` and `topics.metrics_sample`: a seeded sample is
fitted, the rest assigned and placed with transform, and the metrics computed on a sample,
while every output still covers every paper."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from test_topic_model import planted_corpus
from test_topics_stage import _papers

from pipeline.config import Config, Embed, Paths
from pipeline.io import read_table, write_table
from pipeline.stages import embed, topics
from pipeline.topics.fit import fit_topics
from pipeline.topics.quality import metrics_sample

pytestmark = pytest.mark.slow  # one sampled fit, one sampled refit, 2-D map: ~15-25 s


def test_sampled_fit_and_sampled_metrics_cover_every_paper(tmp_path):
    texts, _, truth = planted_corpus(per_theme=40)  # 160 papers
    cfg = Config(
        paths=Paths(outputs=tmp_path / "outputs", cache=tmp_path / "cache"),
        embed=Embed(encoder="tfidf", tfidf_dim=16),
    )
    cfg.topics = cfg.topics.model_copy(update={"sample_size": 100, "metrics_sample": 80})
    write_table(_papers(texts), cfg.stage_dir("clean") / "papers.parquet", "papers")
    embed.run(cfg, progress=False)
    metrics = topics.run(cfg)

    settings = metrics["settings"]
    assert (settings["n_papers"], settings["fitted_on"], settings["metrics_on"]) == (160, 100, 80)
    out = cfg.stage_dir("topics")
    assignments = read_table(out / "assignments.parquet", "assignments")
    assert len(assignments) == 160
    assert adjusted_rand_score(truth, assignments["topic"]) > 0.8  # the rest assigned well
    coords = read_table(out / "coords.parquet", "coords")
    assert len(coords) == 160 and coords[["x", "y"]].notna().all().all()
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["settings"]["metrics_on"] == 80
    for name in ("bertopic", "nmf", "lda"):
        assert -1 <= on_disk[name]["npmi"] <= 1
    assert on_disk["bertopic"]["stability"] > 0.8  # the sample refit finds the same themes


def test_sampled_stability_compares_fits_of_the_sample_with_each_other(tmp_path):
    """Above `metrics_sample`, a fit of all papers has another resolution than a fit of the
    sample, so the stability compares fits of the sample only: one per seed. Texts without
    planted topics, so that fits of different papers disagree and the check can fail."""
    rng = np.random.default_rng(0)
    vocabulary = [f"term{i}" for i in range(300)]
    texts = [" ".join(rng.choice(vocabulary, size=40)) for _ in range(160)]
    cfg = Config(
        paths=Paths(outputs=tmp_path / "outputs", cache=tmp_path / "cache"),
        embed=Embed(encoder="tfidf", tfidf_dim=16),
    )
    cfg.topics = cfg.topics.model_copy(
        update={"metrics_sample": 80, "stability_seeds": [1, 2], "baselines": [], "candidates": 1}
    )
    write_table(_papers(texts), cfg.stage_dir("clean") / "papers.parquet", "papers")
    embed.run(cfg, progress=False)
    metrics = topics.run(cfg)

    assert metrics["settings"]["stability_fits_on"] == 80
    rows = metrics_sample(len(texts), cfg)
    emb = np.load(cfg.stage_dir("embed") / "embeddings.npy")[rows]
    sample = [texts[i] for i in rows]
    fits = {s: fit_topics(sample, emb, cfg.topics, s).topics for s in (cfg.seed, 1, 2)}
    expected = np.mean([adjusted_rand_score(fits[cfg.seed], fits[s]) for s in (1, 2)])
    assert metrics["bertopic"]["stability"] == pytest.approx(expected, abs=1e-4)
