"""The real pipeline, end to end: `dvc repro` on the seeds in a copy of the project.

Real MiniLM, BERTopic, UMAP, HDBSCAN, plotly and DVC; nothing is faked. It also checks the two
promises DVC makes to a returning user: a second `dvc repro` does nothing, and a new dump
re-embeds only the papers it adds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "outputs",
    ".cache",
    "bench",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "__pycache__",
    "tmp",
    "cache",
)


def _dvc(work: Path, *args: str) -> str:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    out = subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, f"dvc {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout + out.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory, repo: Path) -> Path:
    work = tmp_path_factory.mktemp("e2e") / "project"
    shutil.copytree(repo, work, ignore=COPY_IGNORE)
    (work / "dvc.lock").unlink(missing_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    _dvc(work, "repro")
    return work


def test_every_stage_writes_its_outputs(project: Path):
    out = project / "outputs"
    records = pd.read_parquet(out / "ingest" / "records.parquet")
    assert len(records) == 236
    papers = pd.read_parquet(out / "clean" / "papers.parquet")
    assert len(papers) == 220
    assert papers["paper_id"].is_unique

    emb = np.load(out / "embed" / "embeddings.npy")
    assert emb.shape == (220, 384)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)

    assign = pd.read_parquet(out / "topics" / "assignments.parquet")
    assert set(assign["paper_id"]) == set(papers["paper_id"])
    metrics = json.loads((out / "topics" / "metrics.json").read_text())
    assert {"bertopic", "nmf", "lda"} <= set(metrics)
    # Library defaults find 2 topics on these papers; the configured model must do better.
    assert metrics["bertopic"]["n_topics"] >= 5

    themes = pd.read_parquet(out / "themes" / "paper_themes.parquet")
    assert len(themes) == 220
    theme_metrics = json.loads((out / "themes" / "metrics.json").read_text())
    splits = [k for k in theme_metrics if "->" in k or k == "union_nested_cv"]
    assert "union_nested_cv" in splits
    for split in splits:  # measured on papers the scorer never learned from
        assert theme_metrics[split]["macro_f1"] >= 0.7, split
    # Every seed paper carries a human label: the table shows it, with out-of-fold scores.
    assert themes["label_set"].eq("seeds").all()

    series = pd.read_csv(out / "trends" / "theme_series.csv")
    assert {"period", "key", "count", "share", "partial", "small"} <= set(series.columns)
    assert any((out / "dashboard" / "plots").glob("*.png"))

    pair = out / "compare" / "003_1f860fe648a8a5a7__002_f26e997f7e344e68.json"
    comparison = json.loads(pair.read_text())
    assert comparison["papers"]["kept"]["count"] == 16

    html = (out / "dashboard" / "index.html").read_text()
    # Self-contained: no script or stylesheet is fetched from anywhere.
    assert "<script src" not in html and "<link" not in html
    assert html.count("<html") == 1


def test_the_real_dashboard_draws_every_chart_without_an_error(project: Path):
    """The browser tests run on synthetic outputs; this opens the seeds' own dashboard, where
    the compared pair has no drift (its snapshots are too small for topic models of their
    own), and the Sankey used to throw in the page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from pipeline.report.browser import FLAGS, find_chromium

    if find_chromium() is None:
        pytest.skip("no chromium: run `make browser`")
    html = project / "outputs" / "dashboard" / "index.html"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=find_chromium(), args=[f for f in FLAGS if f != "--headless"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(html.resolve().as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(1000)
        plotted = page.eval_on_selector_all(
            ".chart",
            "els => els.filter(e => !e.hidden)"
            ".map(e => [e.id, e.querySelectorAll('svg.main-svg').length])",
        )
        note = page.is_visible("#compare-sankey-note")
        browser.close()
    assert errors == []
    assert plotted and all(svgs > 0 for _, svgs in plotted), plotted
    assert note  # the seeds' pair has no drift: the page says so instead of a chart


def test_second_repro_does_nothing(project: Path):
    log = _dvc(project, "repro")
    assert "Data and pipelines are up to date" in log


def test_new_dump_reembeds_only_new_papers_and_keeps_old_topics(project: Path):
    papers = pd.read_parquet(project / "outputs" / "clean" / "papers.parquet")
    before = pd.read_parquet(project / "outputs" / "topics" / "assignments.parquet")
    coords = pd.read_parquet(project / "outputs" / "topics" / "coords.parquet")
    old = papers.iloc[0]
    revised = old["abstract"] + " Code and weights are released."  # a newer version of it
    rows = [
        {"title": old["title"], "abstract": revised, "date": "2026-06-01"},
        {
            "title": "Prototype Memory for Zero-Shot Industrial Anomaly Segmentation",
            "abstract": "We detect and localise defects on unseen products without any "
            "normal training images, by matching patch features to a prototype memory.",
            "date": "2026-06-02",
        },
        {
            "title": "Test-Time Adaptation of Chest X-ray Classifiers Across Hospitals",
            "abstract": "Scanner and site shift degrade chest X-ray models; we adapt batch "
            "statistics at test time and recover most of the lost accuracy.",
            "date": "2026-06-03",
        },
    ]
    dump = project / "seeds" / "005_new_export.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")

    _dvc(project, "repro", "embed")
    meta = json.loads((project / "outputs" / "embed" / "meta.json").read_text())
    assert (meta["papers"], meta["text_versions"]) == (222, 2)  # the old paper's two texts
    assert meta["cache_misses"] == 3  # the two new papers and the revised text
    assert meta["cache_hits"] == 220  # 219 unchanged papers and the old paper's first text

    # The rest of the pipeline: the old papers keep their topics and their places on the map,
    # the revised one too, unless its new text moved it (it is placed again, like a new paper).
    _dvc(project, "repro")
    after = pd.read_parquet(project / "outputs" / "topics" / "assignments.parquet")
    merged = before.merge(after, on="paper_id", suffixes=("", "_new")).set_index("paper_id")
    unchanged = merged.drop(old["paper_id"])
    assert len(merged) == 220 and (unchanged["topic"] == unchanged["topic_new"]).all()
    moved = coords.merge(
        pd.read_parquet(project / "outputs" / "topics" / "coords.parquet"), on="paper_id"
    ).set_index("paper_id")
    moved = moved.drop(old["paper_id"])
    assert np.allclose(moved[["x_x", "y_x"]].to_numpy(), moved[["x_y", "y_y"]].to_numpy())
    history = json.loads((project / "outputs" / "topics" / "metrics.json").read_text())["history"]
    kept = float((merged["topic"] == merged["topic_new"]).mean())
    assert history["last_dump"]["kept_topic_id"] == round(kept, 4) and kept >= 219 / 220
    assert not history["last_dump"]["refit"]
