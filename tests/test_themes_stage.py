"""The `themes` stage end to end on a tiny synthetic corpus with the tfidf encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.encoders import load_encoder
from pipeline.errors import StageInputError
from pipeline.io import read_json, write_embeddings, write_table

THEMES = """
themes:
  - name: anomaly
    description: anomaly detection of defects and outliers
    phrases: [anomaly detection, industrial defect detection]
    keywords: ['anomal\\w*', 'defect']
  - name: adaptation
    description: domain adaptation across shifted domains
    phrases: [unsupervised domain adaptation]
    keywords: ['domain adaptation', 'domain shift']
  - name: graphs
    label: Graph learning
    description: graph neural networks on molecules
    phrases: [graph neural network]
    keywords: ['graph']
"""
TOPICS = {
    "anomaly": "anomaly detection finds defect regions and anomalous outliers in industrial images",
    "adaptation": "domain adaptation aligns source and target features under domain shift",
    "graphs": "graph neural networks predict molecule properties from atom graph structure",
    "other": "image captioning generates fluent sentences describing photos with transformers",
}


def _corpus(n_per: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    filler = ["method", "results", "experiments", "benchmark", "training", "data", "accuracy"]
    rows = []
    for topic, text in TOPICS.items():
        for i in range(n_per):
            words = " ".join(rng.choice(filler, size=6))
            title = f"{topic.title()} study number {i}"
            rows.append((title, f"{title}. {text} {words}"))
    df = pd.DataFrame(rows, columns=["title", "text"])
    df["paper_id"] = [f"p{i:012x}" for i in range(len(df))]
    df["abstract"] = df["text"]
    for col in ["authors", "dumps", "sources"]:
        df[col] = [[] for _ in range(len(df))]
    for col in ["date", "category", "first_seen", "last_seen", "near_duplicate_of"]:
        df[col] = None
    df["date_has_year"], df["n_dumps"], df["upvotes"], df["has_code"] = True, 1, None, None
    return df


@pytest.fixture
def project(tmp_path):
    papers = _corpus()
    out = tmp_path / "outputs"
    write_table(papers, out / "clean" / "papers.parquet", "papers")
    cfg = load_config(
        _params(tmp_path),
    )
    enc = load_encoder(cfg.embed, cfg.seed).fit(papers["text"].tolist())
    write_embeddings(
        papers["paper_id"].tolist(), enc.encode(papers["text"].tolist()), out / "embed"
    )
    topics = pd.DataFrame(
        {"paper_id": papers["paper_id"], "topic": np.arange(len(papers)) % 2, "probability": 1.0}
    )
    write_table(topics, out / "topics" / "assignments.parquet", "assignments")
    # anomaly and adaptation are labelled; graphs is not (zero-shot); one title matches nothing.
    labels = papers[["title"]].copy()
    labels["anomaly"] = papers["title"].str.startswith("Anomaly").astype(int)
    labels["adaptation"] = papers["title"].str.startswith("Adaptation").astype(int)
    labels.loc[len(labels)] = ["A Paper Nobody Ingested", 1, 0]
    labels.to_csv(tmp_path / "labels.csv", index=False)
    return cfg


def _params(tmp_path):
    (tmp_path / "themes.yaml").write_text(THEMES)
    path = tmp_path / "params.yaml"
    path.write_text(
        f"paths:\n  outputs: {tmp_path / 'outputs'}\n  themes: {tmp_path / 'themes.yaml'}\n"
        f"  labels: {tmp_path / 'labels.csv'}\n"
        "embed:\n  encoder: tfidf\n  tfidf_dim: 16\n"
        "themes:\n  cv_folds: 3\n  min_positives: 4\n  compare: [similarity, keywords]\n"
    )
    return path


def test_stage_writes_scores_metrics_and_topic_shares(project):
    from pipeline.stages import themes

    metrics = themes.run(project)
    out = project.stage_dir("themes")
    table = pd.read_parquet(out / "paper_themes.parquet")
    assert len(table) == 48
    for name in ["anomaly", "adaptation", "graphs"]:
        assert table[f"score_{name}"].between(0, 1).all()
    assert {"themes", "uncertain", "evidence"} <= set(table.columns)

    headline = read_json(out / "metrics.json")
    assert headline["macro_f1"] == metrics["macro_f1"] > 0.8
    assert set(headline["per_theme"]) == {"anomaly", "adaptation"}
    assert set(headline["options_macro_f1"]) == {"combined", "similarity", "keywords"}
    saved = read_json(out / "evaluation.json")
    assert set(saved["compared"]) == {"combined", "similarity", "keywords"}
    assert saved["modes"] == {
        "anomaly": "supervised",
        "adaptation": "supervised",
        "graphs": "zero-shot",
    }
    assert saved["labels"]["unmatched"] == ["A Paper Nobody Ingested"]

    anomaly = table[table["title"].str.startswith("Anomaly")]
    assert anomaly["themes"].map(lambda t: "anomaly" in t).mean() > 0.8
    assert anomaly["evidence"].str.contains("keywords: anomaly").all()
    graphs = table[table["title"].str.startswith("Graphs")]
    assert graphs["themes"].map(lambda t: "graphs" in t).mean() > 0.8  # zero-shot theme

    shares = pd.read_csv(out / "theme_topics.csv")
    assert np.allclose(shares.groupby("theme")["share"].sum(), 1.0, atol=1e-3)


def test_stage_is_deterministic(project):
    from pipeline.stages import themes

    themes.run(project)
    first = (project.stage_dir("themes") / "paper_themes.parquet").read_bytes()
    themes.run(project)
    assert (project.stage_dir("themes") / "paper_themes.parquet").read_bytes() == first


def test_missing_topics_is_a_stage_input_error(project):
    from pipeline.stages import themes

    (project.stage_dir("topics") / "assignments.parquet").unlink()
    with pytest.raises(StageInputError, match="papertrends topics"):
        themes.run(project)
