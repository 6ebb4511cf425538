"""The trends stage on small synthetic upstream outputs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from synthetic_outputs import build

from pipeline.errors import StageInputError
from pipeline.stages import trends


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    cfg = build(tmp_path_factory.mktemp("trends"))
    summary = trends.run(cfg)
    return cfg, summary


def test_series_files_follow_the_schema(done):
    cfg, _ = done
    out = cfg.stage_dir("trends")
    for name in ("theme_series.csv", "topic_series.csv"):
        s = pd.read_csv(out / name, dtype={"key": str})
        assert list(s.columns) == ["period", "key", "count", "total", "share", "partial", "small"]
    topics = pd.read_csv(out / "topic_series.csv", dtype={"key": str})
    assert {"-1", "0", "1", "2", "3"} == set(topics["key"])
    # Every dated paper is counted once: topic counts of a period add up to its total.
    per = topics.groupby("period").agg(count=("count", "sum"), total=("total", "first"))
    assert (per["count"] == per["total"]).all()


def test_summary_reports_undated_partial_small_and_rising(done):
    cfg, summary = done
    on_disk = json.loads((cfg.stage_dir("trends") / "summary.json").read_text())
    assert on_disk["undated"] == 3 and on_disk["dated"] + 3 == on_disk["papers"]
    assert on_disk["now"] == "2025-06-20"  # the latest dump date, not the wall clock
    assert on_disk["periods"]["partial"] == ["2025-06"]
    assert on_disk["periods"]["small"] == ["2024-04"]
    assert "2025-06" not in on_disk["window"]["periods"]
    assert len(on_disk["window"]["periods"]) == 12
    rising = [r["key"] for r in on_disk["rising_topics"]]
    assert rising == ["1"]
    assert "anomaly_detection" in [r["key"] for r in on_disk["rising_themes"]]
    assert "-1" not in on_disk["topics"] and on_disk["outliers"]["n_used"] > 0
    assert on_disk["themes"]["medical_vlm"]["label"] == "Medical <VLM>"


def test_same_inputs_same_series_bytes(done, tmp_path):
    cfg, _ = done
    again = build(tmp_path)
    trends.run(again)
    for name in ("theme_series.csv", "topic_series.csv", "summary.json"):
        a = (cfg.stage_dir("trends") / name).read_bytes()
        assert a == (again.stage_dir("trends") / name).read_bytes(), name


def test_reference_date_is_the_latest_dump_date(tmp_path):
    papers = pd.DataFrame({"paper_id": ["a"], "date": ["2020-01-01"]})
    path = tmp_path / "dumps.json"

    def dumps(*dates):
        entries = {
            f"{k}.txt": {"snapshot": str(k), "date": d, "source": "s", "layout": "x"}
            for k, d in enumerate(dates)
        }
        path.write_text(json.dumps({"dumps": entries, "totals": {}}))

    dumps("2024-02-01", None, "2023-05-06")
    assert trends.reference_date(path, papers)[0] == "2024-02-01"
    dumps(None)
    assert trends.reference_date(path, papers) == (
        "2020-01-01",
        "latest paper date (no dump date found)",
    )
    with pytest.raises(StageInputError, match="no paper has a date"):
        trends.reference_date(path, pd.DataFrame({"paper_id": ["a"], "date": [None]}))
    path.write_text("[]")  # not what ingest writes: said so, not guessed around
    with pytest.raises(StageInputError, match="not a dumps.json written by ingest"):
        trends.reference_date(path, papers)


def test_missing_upstream_says_which_stage_to_run(tmp_path):
    cfg = build(tmp_path)
    (cfg.stage_dir("themes") / "paper_themes.parquet").unlink()
    with pytest.raises(StageInputError, match="papertrends themes"):
        trends.run(cfg)


def test_no_dated_paper_and_no_theme(tmp_path):
    """Edge case: every paper undated and no paper in any theme; both stages still run."""
    from pipeline.io import read_table, write_table
    from pipeline.stages import dashboard

    cfg = build(tmp_path, compare=False)
    papers_path = cfg.stage_dir("clean") / "papers.parquet"
    papers = read_table(papers_path, "papers").assign(date=None)
    write_table(papers, papers_path, "papers")
    themes_path = cfg.stage_dir("themes") / "paper_themes.parquet"
    themes = read_table(themes_path, "paper_themes")
    write_table(themes.assign(themes=[[] for _ in range(len(themes))]), themes_path, "paper_themes")
    summary = trends.run(cfg)
    assert summary["undated"] == summary["papers"] == len(papers)
    assert summary["window"]["periods"] == [] and summary["rising_topics"] == []
    assert pd.read_csv(cfg.stage_dir("trends") / "topic_series.csv").empty
    assert dashboard.run(cfg).exists()
