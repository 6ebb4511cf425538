"""The topics stage end to end on a planted corpus, with the model-free tfidf encoder."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from factories import papers_table
from sklearn.metrics import adjusted_rand_score
from test_topic_model import planted_corpus

from pipeline.config import Config, Embed, Paths
from pipeline.errors import StageInputError
from pipeline.io import read_table, write_table
from pipeline.stages import embed, topics


def _papers(texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    months = [f"2025-{1 + i % 6:02d}-15" for i in range(n)]
    months[0] = None  # one undated paper
    return papers_table(texts, titles=texts, dates=months, category=None)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    cfg = Config(
        paths=Paths(outputs=root / "outputs", cache=root / "cache"),
        embed=Embed(encoder="tfidf", tfidf_dim=16),
    )
    texts, _, truth = planted_corpus(per_theme=30)
    write_table(_papers(texts), cfg.stage_dir("clean") / "papers.parquet", "papers")
    embed.run(cfg, progress=False)
    metrics = topics.run(cfg)
    return cfg, metrics, truth


def test_outputs_follow_the_schemas(project):
    cfg, _, truth = project
    out = cfg.stage_dir("topics")
    assignments = read_table(out / "assignments.parquet", "assignments")
    assert len(assignments) == len(truth)
    assert adjusted_rand_score(truth, assignments["topic"]) > 0.8
    assert assignments["probability"].between(0, 1).all()
    info = read_table(out / "topic_info.parquet", "topic_info")
    assert info["size"].sum() == len(truth)
    assert set(info["topic"]) == set(assignments["topic"])
    real = info[info["topic"] >= 0]
    assert all(len(w) > 0 for w in real["top_words"]) and all(real["label"].str.len() > 0)
    members = assignments.set_index("paper_id")["topic"]
    for _, row in real.iterrows():
        assert all(members[p] == row["topic"] for p in row["representative_papers"])
    coords = read_table(out / "coords.parquet", "coords")
    assert coords[["x", "y"]].notna().all().all() and len(coords) == len(truth)
    over_time = pd.read_csv(out / "topics_over_time.csv")
    assert list(over_time.columns) == ["period", "topic", "count"]
    assert over_time["count"].sum() == len(truth) - 1  # the undated paper is left out


def test_model_loads_with_bertopic(project):
    from bertopic import BERTopic

    cfg, _, _ = project
    model = BERTopic.load(str(cfg.stage_dir("topics") / "model"))
    info = read_table(cfg.stage_dir("topics") / "topic_info.parquet", "topic_info")
    assert set(model.get_topic_info()["Topic"]) == set(info["topic"])


def test_metrics_side_by_side(project):
    cfg, metrics, _ = project
    on_disk = json.loads((cfg.stage_dir("topics") / "metrics.json").read_text())
    assert on_disk == json.loads(json.dumps(metrics))
    keys = {"n_topics", "outlier_share", "npmi", "diversity", "stability"}
    for name in ("bertopic", "nmf", "lda"):
        assert keys <= set(on_disk[name])
        if name != "bertopic":
            assert on_disk[name]["n_components"] == on_disk["bertopic"]["n_topics"]
        assert -1 <= on_disk[name]["npmi"] <= 1 and 0 < on_disk[name]["diversity"] <= 1
    bert = on_disk["bertopic"]
    assert bert["outlier_share"] <= bert["outlier_share_before"]
    assert bert["stability"] > 0.8  # planted topics: every seed finds them
    assert not any(isinstance(v, float) and math.isnan(v) for v in bert.values())


def test_baseline_assignments_are_saved_beside_bertopic(project):
    """Users compare models paper by paper: every paper has its NMF and LDA topic, and on the
    papers the metrics score they are the topics the metrics scored (the planted themes)."""
    cfg, metrics, truth = project
    table = read_table(cfg.stage_dir("topics") / "baselines.parquet", "baseline_assignments")
    bert = read_table(cfg.stage_dir("topics") / "assignments.parquet", "assignments")
    assert table["paper_id"].tolist() == bert["paper_id"].tolist()
    for name in ("nmf", "lda"):
        topics = table[name]
        assert topics.notna().all()
        assert set(topics) <= set(range(-1, metrics[name]["n_components"]))
        assert len(set(topics) - {-1}) == metrics[name]["n_topics"]
    assert adjusted_rand_score(truth, table["nmf"]) > 0.5  # NMF finds the planted themes too


def test_missing_embeddings_say_which_stage_to_run(project, tmp_path):
    cfg, _, _ = project
    other = cfg.model_copy(update={"paths": Paths(outputs=tmp_path, cache=tmp_path / "c")})
    texts, _, _ = planted_corpus(per_theme=5)
    write_table(_papers(texts), other.stage_dir("clean") / "papers.parquet", "papers")
    with pytest.raises(StageInputError, match="embed"):
        topics.run(other)


@pytest.mark.slow
def test_second_run_gives_identical_outputs(project):
    cfg, metrics, _ = project
    out = cfg.stage_dir("topics")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    again = topics.run(cfg)
    assert again == metrics
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
