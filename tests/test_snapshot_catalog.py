"""The one reader of dumps.json, against the one shape ingest writes (`DumpReport`)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from pipeline.errors import StageInputError
from pipeline.io import write_json
from pipeline.snapshots.catalog import DumpReport, dump_order, read_dumps


def test_every_dump_has_the_same_fields_and_unreadable_ones_give_no_snapshot(tmp_path):
    read = DumpReport("daily_papers", 3, 3, 0, snapshot="b", source="hf", date="2026-02-06")
    early = DumpReport("daily_papers", 2, 2, 0, snapshot="a", source="hf", date="2026-01-23")
    broken = DumpReport(None, None, 0, 0, status="unreadable", error="x.txt: bad", snapshot="x")
    assert asdict(read).keys() == asdict(broken).keys()
    path = write_json(
        {"dumps": {"b.txt": asdict(read), "a.txt": asdict(early), "x.txt": asdict(broken)}},
        tmp_path / "dumps.json",
    )
    dumps = read_dumps(path)
    assert sorted(dumps) == ["a.txt", "b.txt"]
    assert dump_order(dumps) == ["a", "b"]


def test_a_file_ingest_did_not_write_is_a_clear_error(tmp_path):
    with pytest.raises(StageInputError, match="run `papertrends ingest`"):
        read_dumps(tmp_path / "dumps.json")
    write_json({"dumps": {"a.txt": {"layout": "x"}}}, tmp_path / "dumps.json")
    with pytest.raises(StageInputError, match="not a dumps.json written by ingest"):
        read_dumps(tmp_path / "dumps.json")
