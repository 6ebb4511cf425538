"""The embed stage on a 2-worker Dask LocalCluster gives the same bytes as the local engine,
and the embedding cache written by one engine serves the other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factories import papers_table

from pipeline.config import Config
from pipeline.io import read_embeddings, write_table
from pipeline.stages import embed

pytestmark = pytest.mark.slow  # starts worker processes that load WordLlama: ~20 s

WORDS = ["segmentation", "language", "robot", "molecule", "graph", "policy", "retrieval", "audio"]


def _papers(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    texts = [
        " ".join(rng.choice(WORDS, size=12).tolist()) + f" paper {i} with result {i % 7}"
        for i in range(n)
    ]
    texts[5] = texts[3]  # a repeated text is encoded once, whichever engine runs
    return papers_table(texts)


def _cfg(root, encoder: str, engine: dict, cache: str = "cache") -> Config:
    return Config.model_validate(
        {
            "paths": {"outputs": str(root / "outputs"), "cache": str(root / cache)},
            "embed": {"encoder": encoder, "tfidf_dim": 16},
            "engine": {"chunk_size": 37, **engine},  # 7 chunks, the last one short
        }
    )


def _run(cfg: Config, papers: pd.DataFrame) -> tuple[dict, bytes, np.ndarray]:
    write_table(papers, cfg.stage_dir("clean") / "papers.parquet", "papers")
    meta = embed.run(cfg, progress=False)
    raw = (cfg.stage_dir("embed") / "embeddings.npy").read_bytes()
    return meta, raw, read_embeddings(cfg.stage_dir("embed"))[1]


@pytest.mark.parametrize("encoder", ["wordllama", "tfidf"])
def test_dask_embeddings_are_byte_identical_to_local(tmp_path, dask_scheduler, encoder):
    papers = _papers(240)
    local_meta, local_raw, local = _run(_cfg(tmp_path / "local", encoder, {}), papers)
    dask_cfg = _cfg(tmp_path / "dask", encoder, {"kind": "dask", "address": dask_scheduler})
    dask_meta, dask_raw, _ = _run(dask_cfg, papers)
    assert dask_meta["engine"] == "dask" and local_meta["engine"] == "local"
    assert dask_meta["version"] == local_meta["version"]
    assert dask_meta["cache_misses"] == local_meta["cache_misses"] == 239
    assert dask_raw == local_raw  # embeddings.npy, byte for byte
    np.testing.assert_array_equal(local[3], local[5])


def test_cache_written_on_dask_serves_the_local_engine(tmp_path, dask_scheduler):
    papers = _papers(120)
    dask_cfg = _cfg(tmp_path, "wordllama", {"kind": "dask", "address": dask_scheduler})
    _, dask_raw, _ = _run(dask_cfg, papers)
    meta, local_raw, _ = _run(_cfg(tmp_path, "wordllama", {}), papers)
    assert (meta["cache_hits"], meta["cache_misses"]) == (119, 0)
    assert local_raw == dask_raw
