"""Stage `embed`: outputs, the cache across runs (a new dump re-embeds only its new papers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from factories import papers_table
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Config
from pipeline.errors import StageInputError
from pipeline.io import read_embeddings, read_json, write_table
from pipeline.stages import embed

TOPICS = ["image segmentation", "language models", "robot control", "molecule graphs"]


def _papers(n: int, start: int = 0) -> pd.DataFrame:
    texts = [
        f"Paper {i} on {TOPICS[i % 4]}: we study {TOPICS[i % 4]} with method {i}."
        for i in range(start, start + n)
    ]
    return papers_table(texts, start=start)


def _cfg(tmp_path, encoder: str = "wordllama") -> Config:
    return Config.model_validate(
        {
            "paths": {"outputs": str(tmp_path / "outputs"), "cache": str(tmp_path / "cache")},
            "embed": {"encoder": encoder, "tfidf_dim": 16},
        }
    )


def _write(cfg: Config, papers: pd.DataFrame) -> None:
    write_table(papers, cfg.stage_dir("clean") / "papers.parquet", "papers")


def test_adding_a_dump_embeds_only_the_new_papers(tmp_path):
    cfg = _cfg(tmp_path)
    first = _papers(12)
    _write(cfg, first)
    meta = embed.run(cfg)
    assert (meta["cache_misses"], meta["cache_hits"]) == (12, 0)
    ids, x1 = read_embeddings(cfg.stage_dir("embed"))
    assert ids == first["paper_id"].tolist() and x1.shape == (12, 256)
    assert np.allclose(np.linalg.norm(x1, axis=1), 1, atol=1e-5)

    # a second dump: 5 new papers; DVC would have deleted outputs/embed, the cache stays
    both = pd.concat([first, _papers(5, start=12)]).sort_values("paper_id", ignore_index=True)
    _write(cfg, both)
    meta = embed.run(cfg)
    assert (meta["cache_misses"], meta["cache_hits"]) == (5, 12)
    on_disk = read_json(cfg.stage_dir("embed") / "meta.json")
    assert on_disk["cache_misses"] == 5 and on_disk["encoder"] == "wordllama"
    assert on_disk["version"] == meta["version"] and on_disk["cached_texts"] == 17
    _, x2 = read_embeddings(cfg.stage_dir("embed"), first["paper_id"].tolist())
    np.testing.assert_array_equal(x2, x1)  # old papers keep their exact vectors


def test_cached_vectors_equal_fresh_ones(tmp_path):
    cfg = _cfg(tmp_path)
    _write(cfg, _papers(8))
    embed.run(cfg)
    _, cached_run = read_embeddings(cfg.stage_dir("embed"))
    embed.run(cfg)
    _, warm = read_embeddings(cfg.stage_dir("embed"))
    embed.run(cfg, use_cache=False)
    _, fresh = read_embeddings(cfg.stage_dir("embed"))
    np.testing.assert_array_equal(cached_run, warm)
    np.testing.assert_allclose(fresh, warm, atol=1e-6)


def test_identical_texts_are_encoded_once(tmp_path):
    cfg = _cfg(tmp_path, "tfidf")
    papers = _papers(6)
    papers.loc[3, "text"] = papers.loc[1, "text"]
    _write(cfg, papers)
    meta = embed.run(cfg)
    assert meta["unique_texts"] == 5 and meta["cache_misses"] == 5
    _, x = read_embeddings(cfg.stage_dir("embed"))
    np.testing.assert_array_equal(x[1], x[3])


def test_tfidf_is_refitted_when_the_corpus_changes(tmp_path):
    cfg = _cfg(tmp_path, "tfidf")
    _write(cfg, _papers(10))
    first = embed.run(cfg)
    assert embed.run(cfg)["cache_hits"] == 10  # same corpus, same fit: all cached
    _write(cfg, _papers(13))
    second = embed.run(cfg)
    # a new corpus is a new fit, so a new version: every vector is recomputed
    assert second["version"] != first["version"] and second["cache_misses"] == 13
    _, x = read_embeddings(cfg.stage_dir("embed"))
    assert x.shape == (13, 16) and x.dtype == np.float32


def test_empty_corpus_and_missing_input(tmp_path):
    cfg = _cfg(tmp_path)
    with pytest.raises(StageInputError, match="papertrends clean"):
        embed.run(cfg)
    _write(cfg, _papers(0))
    meta = embed.run(cfg)
    assert meta["papers"] == 0
    ids, x = read_embeddings(cfg.stage_dir("embed"))
    assert ids == [] and x.shape == (0, 256)


def test_cli_embed_command(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump(
            {
                "paths": {"outputs": str(tmp_path / "out"), "cache": str(tmp_path / "c")},
                "embed": {"encoder": "tfidf", "tfidf_dim": 8},
            }
        )
    )
    write_table(_papers(6), tmp_path / "out" / "clean" / "papers.parquet", "papers")
    result = CliRunner().invoke(app, ["embed", "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert read_json(tmp_path / "out" / "embed" / "meta.json")["dim"] == 8
    assert (tmp_path / "c" / "embeddings" / "tfidf").is_dir()
