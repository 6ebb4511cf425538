"""Lenient means per file and per entry, always (issue 11, cases 3 and 4); strict stays strict.
Every file-level failure is one reject with its reason, every damaged row or line one reject
at its line, and entries = records + rejects for every dump."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Config
from pipeline.errors import InputDataError
from pipeline.parsers import read_text_dump
from pipeline.stages import ingest

DATA = Path(__file__).parent / "data" / "dumps"
UNDATED_CSV = "title,abstract,authors\nA Paper,First abstract.,Ann Lee\nB Paper,Second one.,\n"


def run(tmp_path: Path, lenient: bool, **ingest_kw):
    cfg = Config.model_validate({
        "paths": {"seeds": str(tmp_path / "seeds"), "outputs": str(tmp_path / "out"),
                  "snapshots": str(tmp_path / "none.yaml")},
        "ingest": {"lenient": lenient, **ingest_kw},
    })  # fmt: skip
    totals = ingest.run(cfg)
    out = cfg.stage_dir("ingest")
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    dumps = json.loads((out / "dumps.json").read_text())["dumps"]
    for d in dumps.values():
        if d.get("entries") is not None:
            assert d["entries"] == d["records"] + d["rejects"]
    assert totals["rejects"] + totals["unreadable_dumps"] == len(rejects)
    return pd.read_parquet(out / "records.parquet"), dumps, rejects


def seeds_with(tmp_path: Path, files: dict[str, bytes]) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(DATA / "daily.txt", seeds)  # one good dump beside the bad ones
    for name, data in files.items():
        (seeds / name).write_bytes(data)


def test_export_without_a_date_column(tmp_path):
    """Choice: strict stops (an export that silently loses every date would skew the trends
    without a word), lenient reads the rows as undated papers and says so."""
    seeds_with(tmp_path, {"undated.csv": UNDATED_CSV.encode()})
    with pytest.raises(InputDataError, match=r"undated.csv:1: export lacks column\(s\) \['date'"):
        run(tmp_path, lenient=False)
    with pytest.raises(InputDataError, match="--lenient"):
        run(tmp_path, lenient=False)
    df, dumps, rejects = run(tmp_path, lenient=True)
    d = dumps["undated.csv"]
    assert (d["records"], d["rejects"], d["undated_records"], d["date"]) == (2, 0, 2, None)
    assert any("no date column" in n for n in d["notes"]) and not rejects
    rows = df[df.dump == "undated.csv"]
    assert rows["date"].isna().all() and rows["title"].tolist() == ["A Paper", "B Paper"]


@pytest.mark.parametrize(
    "name, data, why",
    [
        # without its title column a CSV is no export: the message lists what is expected
        ("notitle.csv", b"name,abstract,date\nX,Y.,2024-01-01\n", "unrecognised layout"),
        ("notes.txt", b"\n\nJust some notes\nnothing else\n", "unrecognised layout"),
        ("blob.txt", bytes(range(256)) * 8, "binary content"),
        ("empty.jsonl", b"", "empty file"),
        (
            "cut.jsonl.gz",
            gzip.compress((DATA / "export.jsonl").read_bytes(), mtime=0)[:40],
            "cannot read",
        ),
    ],
)
def test_file_level_failure_is_one_reject(tmp_path, name, data, why):
    seeds_with(tmp_path, {name: data})
    with pytest.raises(InputDataError, match=why):
        run(tmp_path, lenient=False)
    df, dumps, rejects = run(tmp_path, lenient=True)
    assert dumps[name]["status"] == "unreadable" and why in dumps[name]["error"]
    assert [(r["dump"], r["index"]) for r in rejects] == [(name, None)] and why in rejects[0][
        "reason"]  # fmt: skip
    assert dumps["daily.txt"]["records"] == 3 and len(df) == 3


def test_binary_garbage_after_valid_entries(tmp_path):
    """Issue 11, case 4: the garbage line is reported, the entries around it are kept."""
    text = (DATA / "profile.txt").read_bytes()
    cut = text.index(b"CVDec 30, 2023")
    garbage = bytes(range(1, 9)) * 4 + b"\xff\xfe PK\x03\x04 \x00\x00"
    seeds_with(tmp_path, {"p.txt": text[:cut] + garbage + b"\n\n" + text[cut:] + b"\n" + garbage})
    with pytest.raises(InputDataError) as e:
        run(tmp_path, lenient=False)
    assert (Path(e.value.path).name, e.value.line) == ("p.txt", 26)
    assert "control bytes" in str(e.value)
    df, dumps, rejects = run(tmp_path, lenient=True)
    assert [(r["line"], r["index"]) for r in rejects] == [(26, 2), (34, 4)]
    assert all("control bytes" in r["reason"] for r in rejects)
    d = dumps["p.txt"]
    assert (d["records"], d["rejects"], d["count_matches"], d["encoding"]) == (3, 2, True, "utf-8")
    assert df[df.dump == "p.txt"]["title"].tolist() == [
        r["title"] for r in read_text_dump(DATA / "profile.txt").records]  # fmt: skip


def test_a_line_in_another_encoding_costs_only_that_line(tmp_path):
    lines = (DATA / "daily.txt").read_text("utf-8").split("\n")
    lines[22] = "Third abstract – in cp1252, long enough to be an abstract."
    data = "\n".join(lines[:22]).encode() + b"\n" + lines[22].encode("cp1252") + b"\n"
    data += "\n".join(lines[23:]).encode()
    path = tmp_path / "d.txt"
    path.write_bytes(data)
    d = read_text_dump(path, lenient=True)
    assert d.encoding == "utf-8" and [r["line"] for r in d.rejects] == [21, 23]
    assert "bytes not in UTF-8" in d.rejects[1]["reason"]
    assert [r["title"] for r in d.records] == ["First Paper Title", "Second Paper Without Block"]


def test_export_rows_with_bad_bytes_are_rejected_one_by_one(tmp_path):
    rows = [b'{"title": "Caf\xc3\xa9 Paper", "abstract": "Fine.", "date": "2024-01-01"}',
            b'{"title": "Bad \xff Bytes", "abstract": "Broken.", "date": "2024-01-02"}',
            b'{"title": "Ctrl \\u0001 Char", "abstract": "Escaped.", "date": "2024-01-03"}',
            b'{"title": "Last Paper", "abstract": "Fine too.", "date": "2024-01-04"}']  # fmt: skip
    csv = (DATA / "export.csv").read_bytes().replace(b"Second CSV Paper", b"Second\x07Paper")
    seeds_with(tmp_path, {"rows.jsonl": b"\n".join(rows) + b"\n", "rows.csv": csv})
    with pytest.raises(InputDataError, match=r"rows.csv:4: control characters"):
        run(tmp_path, lenient=False)
    df, dumps, rejects = run(tmp_path, lenient=True)
    assert [(r["dump"], r["line"]) for r in rejects] == [("rows.csv", 4), ("rows.jsonl", 2),
                                                         ("rows.jsonl", 3)]  # fmt: skip
    assert "encoding" in rejects[1]["reason"] and "\\udcff" in rejects[1]["text"]
    assert df[df.dump == "rows.jsonl"]["title"].tolist() == ["Café Paper", "Last Paper"]


def test_gzip_export_cut_short_keeps_the_rows_read(tmp_path):
    rows = [{"title": f"Paper {i}", "abstract": f"Abstract {i} " * 40, "date": "2024-01-01"}
            for i in range(400)]  # fmt: skip
    data = gzip.compress("\n".join(json.dumps(r) for r in rows).encode())
    seeds_with(tmp_path, {"big.jsonl.gz": data[: len(data) * 2 // 3]})
    with pytest.raises(InputDataError, match="unreadable from here on"):
        run(tmp_path, lenient=False, chunk_rows=50)
    df, dumps, rejects = run(tmp_path, lenient=True, chunk_rows=50)
    d = dumps["big.jsonl.gz"]
    assert 0 < d["records"] < 400 and d["rejects"] >= 1
    assert "unreadable from here on" in rejects[-1]["reason"]
    assert rejects[-1]["index"] == d["entries"] - 1


def test_cli_lenient_never_stops_on_an_input_file(tmp_path):
    seeds_with(tmp_path, {"undated.csv": UNDATED_CSV.encode(), "x.txt": os.urandom(4096)})
    df, dumps, _ = run(tmp_path, lenient=True)
    assert dumps["x.txt"]["status"] == "unreadable" and dumps["undated.csv"]["records"] == 2


def test_column_name_with_undecodable_bytes(tmp_path):
    """A header cell in another encoding costs nothing but its name, shown escaped."""
    csv = b"title,abstract,date,n\xe9ote\nA Paper,Some abstract.,2024-01-01,x\n"
    csv += "B Paper,Café abstract.,2024-01-02,y\n".encode()
    seeds_with(tmp_path, {"k.csv": csv})
    df, dumps, rejects = run(tmp_path, lenient=False)
    assert dumps["k.csv"]["records"] == 2 and not rejects
    extras = pd.read_parquet(tmp_path / "out" / "ingest" / "extras.parquet")
    assert json.loads(extras[extras.dump == "k.csv"]["extra"].iloc[0]) == {"n\\udce9ote": "x"}
