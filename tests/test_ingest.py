"""The ingest stage end to end: seeds, exports, strict and lenient runs, the CLI."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Config
from pipeline.errors import InputDataError
from pipeline.io import SCHEMAS
from pipeline.stages import ingest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "dumps"


def make_cfg(tmp_path: Path, seeds: Path, **ingest_kw) -> Config:
    return Config.model_validate({
        "paths": {"seeds": str(seeds), "outputs": str(tmp_path / "out"),
                  "snapshots": str(ROOT / "configs" / "snapshots.yaml")},
        "ingest": ingest_kw,
    })  # fmt: skip


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ingest")
    cfg = make_cfg(tmp, ROOT / "seeds")
    ingest.run(cfg)
    out = cfg.stage_dir("ingest")
    return pd.read_parquet(out / "records.parquet"), json.loads((out / "dumps.json").read_text())


def test_seed_records_exact_columns_and_counts(seeds_run):
    df, dumps = seeds_run
    assert list(df.columns) == SCHEMAS["records"] and len(df) == 236
    assert df.groupby("dump").size().tolist() == [14, 27, 57, 107, 31]
    assert dumps["totals"] == {"dumps": 5, "unreadable_dumps": 0, "entries": 236,
                               "records": 236, "rejects": 0}  # fmt: skip
    assert not df.duplicated(["dump", "index"]).any()


def test_seed_dump_dates_and_sources(seeds_run):
    _, dumps = seeds_run
    d = {k[:3]: v for k, v in dumps["dumps"].items()}
    assert (d["003"]["date"], d["003"]["date_inferred"]) == ("2025-10-31", "2025-10-31")
    assert (d["002"]["date"], d["002"]["date_inferred"]) == ("2026-02-26", "2026-02-26")
    assert [d[k]["date"] for k in ("000", "001", "004")] == ["2026-01-01", "2026-04-10",
                                                             "2026-05-14"]  # fmt: skip
    assert all(d[k]["date_is_lower_bound"] for k in ("000", "001", "004"))
    assert d["002"]["source"] == d["003"]["source"] == "daily-papers search"
    assert d["001"]["source"] == "author profile: Lianghua He"
    assert (d["000"]["stated_count"], d["000"]["entries"], d["000"]["count_matches"]) == (
        14, 14, True)  # fmt: skip
    assert all(not v["date_conflicts"] for v in d.values())


def test_seed_dates_resolved(seeds_run):
    df, _ = seeds_run
    by = df.set_index(["dump", "index"])
    assert by.loc[("003_1f860fe648a8a5a7.txt", 21), "date"] == "2025-08-14"  # "Aug 14 2"
    assert by.loc[("001_c37e96d748088d53.txt", 19), "date"] == "2026-04-10"  # "Apr 10"
    assert by.loc[("004_624eb259be77fa8b.txt", 14), "date"] == "2026-01-16"
    assert by.loc[("002_f26e997f7e344e68.txt", 9), "date"] == "2025-09-03"
    undated = df[df["date"].isna()]
    assert (undated["date_raw"].isna()).all() and len(undated) == 8  # entries with no block


def test_pin_conflict_is_reported(tmp_path):
    """A pin a year early still wins, so the entries dated after it cannot be true: a strict
    run stops at the first, a lenient one keeps them undated and lists them."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(ROOT / "seeds" / "003_1f860fe648a8a5a7.txt", seeds)
    pins = tmp_path / "snap.yaml"
    pins.write_text("snapshots:\n  003_1f860fe648a8a5a7:\n    date: 2024-10-31\n")
    cfg = make_cfg(tmp_path, seeds)
    cfg.paths.snapshots = pins
    with pytest.raises(InputDataError, match=r"003_1f860fe648a8a5a7.txt:35: date 'Nov 18, 2024'"):
        ingest.run(cfg)
    ingest.run(cfg, lenient=True)
    d = json.loads((cfg.stage_dir("ingest") / "dumps.json").read_text())["dumps"]
    entry = d["003_1f860fe648a8a5a7.txt"]
    assert entry["date"] == "2024-10-31" and entry["date_inferred"] == "2025-10-31"
    assert any("printed on" in c for c in entry["date_conflicts"])
    refused = entry["refused_dates"]
    assert refused[0]["line"] == 35 and "pinned date 2024-10-31" in refused[0]["reason"]
    assert all(r["date_raw"].endswith("2024") or "," not in r["date_raw"] for r in refused)
    df = pd.read_parquet(cfg.stage_dir("ingest") / "records.parquet").set_index("index")
    assert df.loc[[r["index"] for r in refused], "date"].isna().all()
    assert entry["records"] == 107 and entry["undated_records"] >= len(refused)


def test_exports_streamed_in_chunks_with_extras(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(DATA / "export.csv", seeds)
    (seeds / "feed.jsonl.gz").write_bytes(gzip.compress((DATA / "export.jsonl").read_bytes()))
    cfg = make_cfg(tmp_path, seeds, chunk_rows=1)
    ingest.run(cfg)
    out = cfg.stage_dir("ingest")
    df = pd.read_parquet(out / "records.parquet")
    assert df["layout"].tolist() == ["csv", "csv", "jsonl", "jsonl", "jsonl"]
    csv_rows = df[df.layout == "csv"]
    assert csv_rows["title"].tolist() == ["A CSV Paper, With Comma", "Second CSV Paper"]
    assert csv_rows["abstract"].iloc[0] == 'Abstract with "quotes" and\na newline'
    assert csv_rows["line"].tolist() == [2, 4] and csv_rows["date"].tolist() == [
        "2024-05-01", "2025-01-01"]  # fmt: skip
    assert list(csv_rows["authors"].iloc[0]) == ["Ann Lee", "Bo Chen"]
    assert df[df.layout == "jsonl"]["line"].tolist() == [1, 2, 4]
    assert df["category"].tolist() == ["cs.CV", "cs.CL", "cs.LG", "cs.CV", "cs.CL"]
    extras = pd.read_parquet(out / "extras.parquet")
    first = extras[extras.dump == "feed.jsonl.gz"].iloc[0]
    assert json.loads(first["extra"]) == {
        "arxiv_id": "2501.00001",
        "categories": ["cs.LG", "cs.AI"],
    }
    dumps = json.loads((out / "dumps.json").read_text())["dumps"]
    assert dumps["feed.jsonl.gz"]["snapshot"] == "feed"
    assert dumps["feed.jsonl.gz"]["date"] == "2025-01-04"


def broken_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(DATA / "daily.txt", seeds)
    text = (DATA / "profile.txt").read_text("utf-8")
    (seeds / "cut.txt").write_text(text[: text.index("Abstract of the third")])
    (seeds / "blob.txt").write_bytes(bytes(range(256)))
    (seeds / "rows.jsonl").write_text('{"title": "T", "abstract": "A", "date": "2024-01-01"}\n'
                                      '{"title": "T2", "abstract": \n')  # fmt: skip
    return seeds


def test_strict_run_stops_with_file_and_line(tmp_path):
    cfg = make_cfg(tmp_path, broken_seeds(tmp_path))
    with pytest.raises(InputDataError, match="blob.txt"):
        ingest.run(cfg)
    assert not (cfg.stage_dir("ingest") / "records.parquet").exists()


def test_lenient_run_accounts_for_every_entry(tmp_path):
    cfg = make_cfg(tmp_path, broken_seeds(tmp_path), lenient=True)
    totals = ingest.run(cfg)
    out = cfg.stage_dir("ingest")
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    dumps = json.loads((out / "dumps.json").read_text())["dumps"]
    assert {(r["dump"], r["line"]) for r in rejects} == {
        ("blob.txt", None), ("cut.txt", 26), ("rows.jsonl", 2)}  # fmt: skip
    assert dumps["blob.txt"]["status"] == "unreadable"
    for d in dumps.values():
        if d.get("entries") is not None:
            assert d["entries"] == d["records"] + d["rejects"]
    assert totals["entries"] == totals["records"] + totals["rejects"] == 3 + 3 + 2
    assert len(pd.read_parquet(out / "records.parquet")) == totals["records"]


def test_cli_exit_codes(tmp_path):
    seeds = broken_seeds(tmp_path)
    params = tmp_path / "params.yaml"
    params.write_text(f"paths:\n  seeds: {seeds}\n  outputs: {tmp_path / 'out'}\n"
                      f"  snapshots: {tmp_path / 'none.yaml'}\n")  # fmt: skip
    runner = CliRunner()
    strict = runner.invoke(app, ["ingest", "-p", str(params)])
    assert strict.exit_code == InputDataError.exit_code
    assert "blob.txt" in strict.output and "binary" in strict.output
    assert runner.invoke(app, ["ingest", "-p", str(params), "--lenient"]).exit_code == 0


def test_input_data_error_survives_pickling():
    """Dask sends a worker's errors back pickled: the parent must see the very same error."""
    import pickle

    for err in (InputDataError("seeds/x.txt", 26, "truncated entry", "an abstract"),
                InputDataError(Path("seeds"), None, "no dump found")):  # fmt: skip
        # distributed patches exception pickling once imported: check the rebuild itself too
        build, args, _ = err.__reduce__()
        assert str(build(*args)) == str(err)
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is InputDataError and str(back) == str(err)
        assert (back.path, back.line, back.exit_code) == (err.path, err.line, 3)
        assert (back.problem, back.expected) == (err.problem, err.expected)


def test_an_export_keeps_how_much_of_each_date_it_gives(tmp_path):
    """A conference's listing gives a year, a journal's a month: stored as the first day, with
    `date_precision` saying what is known (the trends place such papers in no finer period)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "listing.csv").write_text(
        "title,abstract,year\nA,Abstract a.,2025\nB,Abstract b.,2025-03\nC,Abstract c.,Mar 2025\n"
        "D,Abstract d.,2025-03-14\n",
        encoding="utf-8",
    )
    cfg = make_cfg(tmp_path, seeds)
    ingest.run(cfg)
    df = pd.read_parquet(cfg.stage_dir("ingest") / "records.parquet")
    got = list(zip(df["title"], df["date"], df["date_precision"], strict=True))
    assert got == [
        ("A", "2025-01-01", "year"),
        ("B", "2025-03-01", "month"),
        ("C", "2025-03-01", "month"),
        ("D", "2025-03-14", "day"),
    ]


def test_an_export_dated_before_the_pages_says_how_to_place_it(tmp_path):
    """A conference listing's latest entry is years old: replayed in date order it would be
    the oldest dump. dumps.json says so and how to pin it; a recent export gets no note."""
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    (seeds / "conference.csv").write_text("title,abstract,year\nA,Abstract a.,2024\n", "utf-8")
    (seeds / "recent.csv").write_text("title,abstract,date\nB,Abstract b.,2026-11-20\n", "utf-8")
    cfg = make_cfg(tmp_path, seeds)
    ingest.run(cfg, today=dt.date(2026, 12, 1))
    dumps = json.loads((cfg.stage_dir("ingest") / "dumps.json").read_text())["dumps"]
    (note,) = [n for n in dumps["conference.csv"]["notes"] if "lower bound" in n]
    assert note.startswith("dated 2024-01-01 (its latest entry, a lower bound): before 2 dump")
    assert "pin its date in configs/snapshots.yaml" in note
    assert not any("lower bound" in n for n in dumps["recent.csv"]["notes"])
