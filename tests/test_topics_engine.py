"""Papers outside the fitted sample are assigned and placed in chunks; a 2-worker Dask
LocalCluster gives exactly what the local engine gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factories import papers_table, planted_corpus
from sklearn.metrics import adjusted_rand_score

from pipeline.config import Config
from pipeline.io import read_table, write_embeddings, write_table
from pipeline.stages import topics

pytestmark = pytest.mark.slow  # worker processes import BERTopic and compile UMAP: ~30 s


def _cfg(root, engine: dict) -> Config:
    return Config.model_validate(
        {
            "paths": {"outputs": str(root / "outputs"), "cache": str(root / "cache")},
            "embed": {"encoder": "tfidf"},
            "topics": {
                "sample_size": 90,  # 160 papers: 70 assigned outside the fit
                "metrics_sample": 160,
                "representation": "none",
                "baselines": [],
                "stability_seeds": [],
            },
            "engine": {"chunk_size": 25, **engine},  # 3 chunks, the last one short
        }
    )


def _run(cfg: Config, texts: list[str], emb: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    papers = papers_table(texts)
    write_table(papers, cfg.stage_dir("clean") / "papers.parquet", "papers")
    write_embeddings(papers["paper_id"].tolist(), emb, cfg.stage_dir("embed"))
    topics.run(cfg)
    out = cfg.stage_dir("topics")
    return read_table(out / "assignments.parquet", "assignments"), read_table(
        out / "coords.parquet", "coords"
    )


def test_dask_assignment_and_map_equal_local(tmp_path, dask_scheduler):
    """Includes the fit's choice among `topics.candidates` seeds, made on the workers."""
    texts, emb, truth = planted_corpus(per_theme=40)
    local_assign, local_xy = _run(_cfg(tmp_path / "local", {}), texts, emb)
    dask_cfg = _cfg(tmp_path / "dask", {"kind": "dask", "address": dask_scheduler})
    dask_assign, dask_xy = _run(dask_cfg, texts, emb)
    pd.testing.assert_frame_equal(local_assign, dask_assign)
    pd.testing.assert_frame_equal(local_xy, dask_xy)
    # The papers assigned outside the fitted sample land in their planted topics.
    assert adjusted_rand_score(truth, local_assign["topic"]) > 0.8
    assert np.isfinite(local_xy[["x", "y"]].to_numpy()).all()
