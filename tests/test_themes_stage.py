"""The `themes` stage end to end on a tiny synthetic corpus with the tfidf encoder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.embedding.encoders import load_encoder
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


def _corpus(n_per: int = 12, start: int = 0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    filler = ["method", "results", "experiments", "benchmark", "training", "data", "accuracy"]
    rows = []
    for topic, text in TOPICS.items():
        for i in range(start, start + n_per):
            words = " ".join(rng.choice(filler, size=6))
            title = f"{topic.title()} study number {i}"
            rows.append((title, f"{title}. {text} {words}"))
    df = pd.DataFrame(rows, columns=["title", "text"])
    df["paper_id"] = [f"p{i:012x}" for i in range(len(df))]
    df["abstract"] = df["text"]
    for col in ["authors", "dumps", "sources"]:
        df[col] = [[] for _ in range(len(df))]
    for col in [
        "date",
        "date_precision",
        "category",
        "first_seen",
        "last_seen",
        "near_duplicate_of",
    ]:
        df[col] = None
    df["date_has_year"], df["n_dumps"], df["upvotes"], df["has_code"] = True, 1, None, None
    return df


def _labels(papers: pd.DataFrame) -> pd.DataFrame:
    out = papers[["title", "abstract"]].copy()
    out["anomaly"] = papers["title"].str.startswith("Anomaly").astype(int)
    out["adaptation"] = papers["title"].str.startswith("Adaptation").astype(int)
    return out


def _write_corpus(tmp_path, papers):
    from pipeline.textclean import paper_id

    papers = papers.assign(paper_id=papers["title"].map(paper_id))
    out = tmp_path / "outputs"
    write_table(papers, out / "clean" / "papers.parquet", "papers")
    cfg = load_config(_params(tmp_path))
    enc = load_encoder(cfg.embed, cfg.seed).fit(papers["text"].tolist())
    write_embeddings(
        papers["paper_id"].tolist(), enc.encode(papers["text"].tolist()), out / "embed"
    )
    topics = pd.DataFrame(
        {"paper_id": papers["paper_id"], "topic": np.arange(len(papers)) % 2, "probability": 1.0}
    )
    write_table(topics, out / "topics" / "assignments.parquet", "assignments")
    return cfg


@pytest.fixture
def project(tmp_path):
    papers = _corpus()
    # Two labelled sets: `inside` labels 24 corpus papers (one of them against its own text:
    # the human-label rule), `outside` labels 48 papers that are not in the corpus at all.
    inside = _labels(papers.iloc[::2])
    inside.loc[inside["title"] == "Other study number 0", "anomaly"] = 1
    inside.to_csv(tmp_path / "inside.csv", index=False)
    _labels(_corpus(start=100, seed=1)).to_csv(tmp_path / "outside.csv", index=False)
    return _write_corpus(tmp_path, papers)


def _params(tmp_path, sets="{inside: inside.csv, outside: outside.csv}"):
    (tmp_path / "themes.yaml").write_text(THEMES)
    path = tmp_path / "params.yaml"
    path.write_text(
        f"paths:\n  outputs: {tmp_path / 'outputs'}\n  themes: {tmp_path / 'themes.yaml'}\n"
        f"  labels: {tmp_path}\n  cache: {tmp_path / 'cache'}\n"
        "embed:\n  encoder: tfidf\n  tfidf_dim: 16\n"
        f"themes:\n  label_sets: {sets}\n  cv_folds: 3\n  min_positives: 4\n"
        "  compare: [similarity, keywords]\n"
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
    assert {"themes", "uncertain", "evidence", "label_set"} <= set(table.columns)

    headline = read_json(out / "metrics.json")
    for split in ["inside->outside", "outside->inside", "union_nested_cv"]:
        assert headline[split]["macro_f1"] == metrics["chosen"][split]["macro_f1"] > 0.8
        assert set(headline[split]["per_theme"]) == {"anomaly", "adaptation"}
        lo, hi = headline[split]["per_theme"]["anomaly"]["f1_ci"]
        assert lo <= headline[split]["per_theme"]["anomaly"]["f1"] <= hi
    assert set(headline["options_macro_f1"]) == {project.themes.method, "similarity", "keywords"}
    saved = read_json(out / "evaluation.json")
    assert saved["modes"] == {
        "anomaly": "supervised",
        "adaptation": "supervised",
        "graphs": "zero-shot",
    }
    assert saved["labels"]["sets"]["outside"]["papers"] == 48
    assert saved["labels"]["papers_with_a_human_label"] == 24

    anomaly = table[table["title"].str.startswith("Anomaly")]
    assert anomaly["themes"].map(lambda t: "anomaly" in t).mean() > 0.8
    assert anomaly["evidence"].str.contains("keywords: anomaly").all()
    graphs = table[table["title"].str.startswith("Graphs")]
    assert graphs["themes"].map(lambda t: "graphs" in t).mean() > 0.8  # zero-shot theme

    shares = pd.read_csv(out / "theme_topics.csv")
    assert np.allclose(shares.groupby("theme")["share"].sum(), 1.0, atol=1e-3)


def test_human_label_wins_and_its_score_is_out_of_fold(project):
    from pipeline.stages import themes

    themes.run(project)
    table = pd.read_parquet(project.stage_dir("themes") / "paper_themes.parquet")
    table = table.set_index("title")
    assert table["label_set"].value_counts().to_dict() == {"inside": 24}
    # A human said this "other" paper is about anomalies: the table shows the human's label...
    odd = table.loc["Other study number 0"]
    assert "anomaly" in odd["themes"] and odd["label_set"] == "inside"
    assert odd["evidence"].startswith("human label (inside)")
    # ...while its score comes from models that never saw that label: it stays low.
    assert odd["score_anomaly"] < 0.5
    # An unlabelled "other" paper is not given the theme.
    assert "anomaly" not in table.loc["Other study number 1", "themes"]
    assert pd.isna(table.loc["Other study number 1", "label_set"])
    unlabelled = table["label_set"].isna()
    assert unlabelled.any() and not table.loc[unlabelled, "evidence"].str.contains("human").any()


def test_a_corpus_without_any_labelled_paper_gets_themes(tmp_path):
    from pipeline.stages import themes

    _labels(_corpus(start=100, seed=1)).to_csv(tmp_path / "outside.csv", index=False)
    cfg = _write_corpus(tmp_path, _corpus())
    cfg = load_config(_params(tmp_path, sets="{outside: outside.csv}"))
    metrics = themes.run(cfg)
    table = pd.read_parquet(cfg.stage_dir("themes") / "paper_themes.parquet")
    assert table["label_set"].isna().all()
    assert not table["evidence"].str.contains("human label").any()
    assert metrics["modes"]["anomaly"] == "supervised"
    anomaly = table["title"].str.startswith("Anomaly")
    has = table["themes"].map(lambda t: "anomaly" in t)
    assert has[anomaly].mean() > 0.8 and has[~anomaly].mean() < 0.2


def test_evaluation_and_scorers_are_reused_and_give_the_same_bytes(project, caplog):
    """Both depend on the labels only: a run that finds them cached fits nothing and writes
    what a run that fitted them wrote."""
    import shutil

    from pipeline.stages import themes

    shutil.rmtree(project.paths.cache / "themes", ignore_errors=True)
    themes.run(project)
    cold = (project.stage_dir("themes") / "paper_themes.parquet").read_bytes()
    caplog.set_level("INFO", logger="pipeline.stages.themes")
    themes.run(project)
    assert "theme evaluation unchanged" in caplog.text
    assert "theme scorers unchanged" in caplog.text
    assert (project.stage_dir("themes") / "paper_themes.parquet").read_bytes() == cold


def test_a_changed_labels_file_or_keyword_is_not_read_from_the_cache(project, caplog):
    """The labels and the papers' keyword hits are cached by the bytes they come from: an edit
    to a labels file or to a theme's keywords is seen by the next run."""
    from pipeline.stages import themes

    themes.run(project)
    inside = project.paths.labels / "inside.csv"
    labels = pd.read_csv(inside)
    labels.loc[labels["title"] == "Other study number 2", "adaptation"] = 1
    labels.to_csv(inside, index=False)
    caplog.set_level("INFO", logger="pipeline.stages.themes")
    themes.run(project)
    assert "theme evaluation unchanged" not in caplog.text  # the evaluation saw the new label
    table = pd.read_parquet(project.stage_dir("themes") / "paper_themes.parquet")
    assert not table["evidence"].str.contains("captioning").any()
    project.paths.themes.write_text(THEMES.replace("'defect']", "'defect', 'captioning']"))
    themes.run(project)
    table = pd.read_parquet(project.stage_dir("themes") / "paper_themes.parquet")
    assert table["evidence"].str.contains("captioning").any()


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
