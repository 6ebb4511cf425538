"""Dump dates: impossible entry dates are refused (issue 11, case 2) and pages that print no
year are dated from the file's timestamp (issue 12, item 1); a pin still wins."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Config
from pipeline.errors import InputDataError
from pipeline.parsers.dates import assume_date, parse_printed
from pipeline.stages import ingest

TODAY = dt.date(2026, 12, 1)
ABSTRACT = "We study {}. It works well on the benchmarks we tried, and the code is released."


def page(header: str, entries: list[tuple[str, str | None]]) -> str:
    """A Daily Papers page: (title, printed date or None for an entry without a block)."""
    lines = ["new", "", "Daily Papers", "", "byAK and the research community", "", header]
    for title, date in entries:
        lines += ["", title, "", ABSTRACT.format(title.lower())]
        if date:
            lines += ["", "  • 3 authors", "·", date]
    return "\n".join(lines) + "\n"


def write(seeds: Path, name: str, text: str, saved: dt.datetime | None = None) -> Path:
    seeds.mkdir(exist_ok=True)
    path = seeds / name
    path.write_text(text, "utf-8")
    if saved is not None:
        os.utime(path, (saved.timestamp(), saved.timestamp()))
    return path


def run(tmp_path: Path, pins: str = "", lenient: bool = False, today: dt.date = TODAY):
    (tmp_path / "snap.yaml").write_text("snapshots:\n" + (pins or "  {}\n"))
    cfg = Config.model_validate({"paths": {
        "seeds": str(tmp_path / "seeds"), "outputs": str(tmp_path / "out"),
        "snapshots": str(tmp_path / "snap.yaml")}})  # fmt: skip
    ingest.run(cfg, lenient=lenient, today=today)
    out = cfg.stage_dir("ingest")
    dumps = json.loads((out / "dumps.json").read_text())["dumps"]
    return pd.read_parquet(out / "records.parquet"), dumps


FUTURE_PAGE = [("Paper One", "Feb 20"), ("Paper Two", "Dec 31, 2031"), ("Paper Three", "Feb 25")]


def test_a_future_date_does_not_redate_the_dump(tmp_path):
    """Issue 11: 'Dec 31, 2031' on a page headed 'Feb 26' made the dump 2032-02-26."""
    path = write(tmp_path / "seeds", "p.txt", page("Feb 26", FUTURE_PAGE),
                 dt.datetime(2026, 3, 2, 9, 0))  # fmt: skip
    with pytest.raises(InputDataError) as e:
        run(tmp_path)
    assert (Path(e.value.path).name, e.value.line) == ("p.txt", path.read_text().split(
        "\n").index("Dec 31, 2031") + 1)  # fmt: skip
    assert "after the run's date 2026-12-01" in str(e.value)
    df, dumps = run(tmp_path, lenient=True)
    d = dumps["p.txt"]
    assert d["date"] == "2026-02-26" and d["date_assumed"] and not d["date_is_lower_bound"]
    assert [r["date_raw"] for r in d["refused_dates"]] == ["Dec 31, 2031"]
    assert d["records"] == 3 and d["rejects"] == 0
    assert df["date"].fillna("-").tolist() == ["2026-02-20", "-", "2026-02-25"]
    assert df["date_raw"].tolist()[1] == "Dec 31, 2031"  # what was printed stays visible


def test_a_refused_date_is_no_evidence_for_another_dump(tmp_path):
    """The same paper without its year in a second dump would have voted for 2031."""
    write(tmp_path / "seeds", "a.txt", page("Feb 26", FUTURE_PAGE), dt.datetime(2026, 3, 2))
    write(tmp_path / "seeds", "b.txt", page("Jan 5", [("Paper Two", "Dec 31"), ("Other", "Jan 2"),
                                                      ("Old", "Mar 3, 2025")]))  # fmt: skip
    _, dumps = run(tmp_path, lenient=True)
    assert dumps["b.txt"]["date"] == "2026-01-05"  # from 2025 + 1, no vote for 2031
    assert not any("2031" in why for why in dumps["b.txt"]["date_reasoning"])
    # "Dec 31" read in 2026 is after the header date Jan 5: refused too
    assert [r["date_raw"] for r in dumps["b.txt"]["refused_dates"]] == ["Dec 31"]


def test_dates_after_the_header_date_are_refused(tmp_path):
    write(tmp_path / "seeds", "p.txt", page("Mar 10", [("A", "Mar 1, 2024"), ("B", "Mar 12"),
                                                       ("C", "Mar 2")]))  # fmt: skip
    _, dumps = run(tmp_path, lenient=True)
    d = dumps["p.txt"]
    assert d["date"] == "2025-03-10" and not d["date_assumed"]
    assert d["refused_dates"][0]["reason"] == (
        "date 'Mar 12' (2025-03-12) is after the dump's inferred date 2025-03-10"
    )


def test_series_without_any_printed_year(tmp_path):
    """Issue 12: fortnightly pages whose entries all fall in the page's own year."""
    seeds = tmp_path / "seeds"
    saved = {"Jan 14": dt.datetime(2026, 1, 14, 21, 5), "Jan 28": dt.datetime(2026, 1, 29, 8),
             "Feb 11": dt.datetime(2026, 2, 11, 23, 59)}  # fmt: skip
    for k, (header, when) in enumerate(saved.items()):
        entries = [(f"Paper {k} {j}", f"{header[:3]} {int(header[4:]) - j}") for j in range(3)]
        write(seeds, f"page_{k}.txt", page(header, entries), when)
    df, dumps = run(tmp_path)
    assert [dumps[f"page_{k}.txt"]["date"] for k in range(3)] == [
        "2026-01-14", "2026-01-28", "2026-02-11"]  # fmt: skip
    for d in dumps.values():
        assert d["date_assumed"] and not d["date_is_lower_bound"] and not d["refused_dates"]
        assert "file's timestamp" in d["date_assumption"]
        assert d["date_assumption"] in d["date_reasoning"]
    assert df["date"].str.startswith("2026-").all()


def test_a_pin_still_wins_over_the_assumption(tmp_path):
    write(tmp_path / "seeds", "p.txt", page("Jan 14", [("A", "Jan 10")]), dt.datetime(2026, 6, 1))
    _, dumps = run(tmp_path, pins="  p:\n    date: 2025-01-14\n")
    d = dumps["p.txt"]
    assert (d["date"], d["date_inferred"], d["date_pinned"]) == (
        "2025-01-14", "2026-01-14", "2025-01-14")  # fmt: skip
    assert not d["date_assumed"] and d["date_assumption"] is None


def test_saved_just_after_new_year(tmp_path):
    """A page headed 'Dec 31' saved at ten past midnight belongs to the old year; one headed
    'Jan 1' to the new one, and its 'Dec 30, 2026' is printed with the year it differs by."""
    seeds = tmp_path / "seeds"
    night = dt.datetime(2027, 1, 1, 0, 10)
    write(seeds, "old.txt", page("Dec 31", [("A", "Dec 31"), ("B", "Dec 30")]), night)
    write(seeds, "new.txt", page("Jan 1", [("C", "Jan 1"), ("D", "Dec 30, 2026")]), night)
    df, dumps = run(tmp_path, today=dt.date(2027, 1, 2))
    assert dumps["old.txt"]["date"] == "2026-12-31" and dumps["old.txt"]["date_assumed"]
    assert dumps["new.txt"]["date"] == "2027-01-01" and not dumps["new.txt"]["date_assumed"]
    by_dump = df.groupby("dump")["date"].apply(list).to_dict()
    assert by_dump == {"old.txt": ["2026-12-31", "2026-12-30"],
                       "new.txt": ["2027-01-01", "2026-12-30"]}  # fmt: skip


def test_the_run_date_bounds_a_file_timestamp_in_the_future(tmp_path):
    write(tmp_path / "seeds", "p.txt", page("Dec 31", [("A", "Dec 30")]), dt.datetime(2027, 1, 1))
    _, dumps = run(tmp_path)  # run on 2026-12-01: the Dec 31 before it is 2025's
    assert dumps["p.txt"]["date"] == "2025-12-31"
    assert "the run's date 2026-12-01" in dumps["p.txt"]["date_assumption"]


def test_assume_date_rules():
    limit = dt.date(2026, 3, 1)
    feb29 = parse_printed("Feb 29")
    assert assume_date(feb29, [], limit, "x").date == "2024-02-29"  # the last leap year
    got = assume_date(None, [parse_printed("Feb 3"), parse_printed("Feb 9")], limit, "x")
    assert (got.date, got.lower_bound) == ("2026-02-09", True)
    assert assume_date(None, [], limit, "x") is None
    # a file timestamp from a zip's 1980 says nothing: the run's date is used instead
    from pipeline.snapshots.metadata import clock_limit

    assert clock_limit(TODAY, dt.date(1980, 1, 1)) == (TODAY, "the run's date 2026-12-01")


def test_export_date_after_the_run_date(tmp_path):
    seeds = tmp_path / "seeds"
    rows = [{"title": "T1", "abstract": "A one.", "date": "2026-05-01"},
            {"title": "T2", "abstract": "A two.", "date": "2031-12-31"}]  # fmt: skip
    write(seeds, "x.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(InputDataError, match=r"x.jsonl:2: date '2031-12-31'"):
        run(tmp_path)
    df, dumps = run(tmp_path, lenient=True)
    d = dumps["x.jsonl"]
    assert d["date"] == "2026-05-01" and d["date_range"] == ["2026-05-01", "2026-05-01"]
    assert [r["line"] for r in d["refused_dates"]] == [2] and d["undated_records"] == 1
    assert df["date"].isna().tolist() == [False, True]


def test_export_date_after_its_pinned_date(tmp_path):
    rows = [{"title": "T1", "abstract": "A one.", "date": "2026-05-01"},
            {"title": "T2", "abstract": "A two.", "date": "2026-06-02"}]  # fmt: skip
    write(tmp_path / "seeds", "x.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    df, dumps = run(tmp_path, pins="  x:\n    date: 2026-06-01\n", lenient=True)
    d = dumps["x.jsonl"]
    assert d["date"] == "2026-06-01" and d["date_range"] == ["2026-05-01", "2026-05-01"]
    assert d["refused_dates"][0]["reason"] == (
        "date '2026-06-02' (2026-06-02) is after the dump's pinned date 2026-06-01"
    )
