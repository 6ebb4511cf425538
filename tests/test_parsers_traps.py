"""Bad and odd input: encodings, BOM, CRLF, empty and binary files, truncated entries, HTML."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipeline.errors import InputDataError
from pipeline.parsers import read_text_dump, sniff_layout
from pipeline.parsers.compact_profile import split_title_authors
from pipeline.parsers.dates import infer_dump_date, parse_export_date, parse_printed

DATA = Path(__file__).parent / "data" / "dumps"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def fields(recs, *keys):
    return [tuple(r[k] for k in keys) for r in recs]


def test_fixture_profile_fields():
    d = read_text_dump(DATA / "profile.txt")
    assert d.layout == "author_profile" and d.header["name"] == "Ada Lovelace"
    assert d.stated_count == 3 and len(d.records) == 3
    first, second, third = d.records
    # HTML in titles is kept as printed; only the clean stage's `text` strips it.
    assert first["title"] == "Analytical Engines for &lt;i&gt;Language&lt;/i&gt; <b>Models</b>"
    assert (first["org"], first["authors"], first["authors_truncated"]) == (
        "analytical-society", ["Ada Lovelace", "Charles Babbage"], True)  # fmt: skip
    assert (second["score"], second["category"], second["date_raw"]) == (12.5, "LG", "Mar 3")
    assert (third["has_code"], third["authors_truncated"]) == (False, False)


@pytest.mark.parametrize(
    "transform, note",
    [
        (lambda b: b.replace(b"\n", b"\r\n"), "CRLF"),
        (lambda b: b.replace(b"\n", b"\r"), "CR)"),
        (lambda b: b"\xef\xbb\xbf" + b, "UTF-8 byte-order mark"),
        (lambda b: b.decode().encode("utf-16"), "UTF-16"),
        (lambda b: b + b"\n\n\n", None),
    ],
)
def test_line_ends_bom_and_encodings_parse_the_same(tmp_path, transform, note):
    original = (DATA / "profile.txt").read_bytes()
    base = read_text_dump(DATA / "profile.txt")
    d = read_text_dump(write(tmp_path, "x.txt", transform(original)))
    assert fields(d.records, "title", "abstract", "line") == fields(
        base.records, "title", "abstract", "line")  # fmt: skip
    if note:
        assert any(note in n for n in d.notes), d.notes


def test_cp1252_fallback_is_reported(tmp_path):
    text = (DATA / "profile.txt").read_text("utf-8").replace("good", "“good” – café")
    d = read_text_dump(write(tmp_path, "x.txt", text.encode("cp1252")))
    assert d.encoding == "cp1252" and "“good” – café" in d.records[0]["abstract"]
    assert any("cp1252" in n for n in d.notes)


def test_latin1_last_resort(tmp_path):
    # 0x81 is undefined in cp1252, so only latin-1 can decode it.
    text = (DATA / "profile.txt").read_text("utf-8").encode("latin-1").replace(b"good", b"g\x81d")
    assert read_text_dump(write(tmp_path, "x.txt", text)).encoding == "latin-1"


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file_is_a_clear_error(tmp_path, data):
    path = write(tmp_path, "empty.txt", data)
    with pytest.raises(InputDataError, match="empty"):
        sniff_layout(path) if not data else read_text_dump(path)


def test_binary_file_is_a_clear_error(tmp_path):
    path = write(tmp_path, "x.txt", bytes(range(256)) * 4)
    with pytest.raises(InputDataError, match="binary"):
        sniff_layout(path)


def test_unrecognised_layout_names_file_and_line(tmp_path):
    path = write(tmp_path, "notes.txt", b"\n\nJust some notes\nnothing else\n")
    with pytest.raises(InputDataError) as e:
        read_text_dump(path)
    assert e.value.line == 3 and "notes.txt:3" in str(e.value) and "expected" in str(e.value)


def test_truncated_profile_entry_strict_and_lenient(tmp_path):
    text = (DATA / "profile.txt").read_text("utf-8")
    cut = text[: text.index("Abstract of the third")]  # the last entry loses its abstract
    path = write(tmp_path, "cut.txt", cut.encode())
    with pytest.raises(InputDataError) as e:
        read_text_dump(path)
    assert e.value.line == 26 and "truncated entry" in str(e.value)
    d = read_text_dump(path, lenient=True)
    assert len(d.records) == 2 and len(d.rejects) == 1 and d.n_entries == 3
    assert d.rejects[0]["line"] == 26 and d.rejects[0]["index"] == 2


def test_daily_fixture_and_missing_abstract(tmp_path):
    d = read_text_dump(DATA / "daily.txt")
    assert fields(d.records, "title", "n_authors", "org", "date_raw", "upvotes") == [
        ("First Paper Title", 3, None, "Feb 2, 2024", 7),
        ("Second Paper Without Block", None, None, None, None),
        ("Third Paper With Org", None, "some-org", "Mar 1", None),
    ]
    lines = (DATA / "daily.txt").read_text("utf-8").split("\n")
    del lines[18:20]  # the second entry's abstract and its blank line
    path = write(tmp_path, "d.txt", "\n".join(lines).encode())
    with pytest.raises(InputDataError) as e:
        read_text_dump(path)
    assert e.value.line == 17 and "unpaired paragraph" in str(e.value)
    d = read_text_dump(path, lenient=True)
    assert [r["title"] for r in d.records] == ["First Paper Title", "Third Paper With Org"]
    assert [(r["line"], r["index"]) for r in d.rejects] == [(17, 1)]


def test_compact_fixture_splits():
    d = read_text_dump(DATA / "compact.txt")
    assert fields(d.records, "title", "authors", "org", "score") == [
        ("A Study of SAM", ["Wenxue Li", "Xinyu Xiong"], None, None),
        ("Decision-Making", ["Yize Liu", "Siyuan Yan"], None, 74.7),
        ("Challenges, Practice, and Outlook", ["Yuan Ma"], "ibm-research", None),
    ]


def test_compact_split_uses_names_seen_elsewhere():
    line = "Imaging in Computed TomographyGuangHao Meng, Sunan He"
    assert split_title_authors(line)[0] == "Imaging in Computed TomographyGuang"  # ambiguous
    assert split_title_authors(line, frozenset({"GuangHao Meng"}))[0].endswith("Tomography")
    with pytest.raises(ValueError):
        split_title_authors("a title with no authors at all")


def test_printed_and_export_dates():
    assert parse_printed("Feb 30") is None and parse_printed("Feb 29").iso(2023) is None
    assert parse_printed("Jul 5, 2022").iso() == "2022-07-05"
    assert parse_export_date("2024-05-01T10:00:00Z") == ("2024-05-01", "day")
    assert parse_export_date(2019) == ("2019-01-01", "year")
    assert parse_export_date("Jul 5, 2022") == ("2022-07-05", "day")
    for month in ("2024-03", "2024-3", "Mar 2024", "March 2024", "Mar. 2024"):
        assert parse_export_date(month) == ("2024-03-01", "month"), month
    assert parse_export_date("Sept 2024") == ("2024-09-01", "month")
    for bad in ("soon", "2024-13", "Marx 2024", "2024-02-30"):
        assert parse_export_date(bad) is None, bad
    assert parse_export_date("") == (None, None)


def test_dump_date_inference_rules():
    dates = [parse_printed(s) for s in ("Jan 3, 2024", "Mar 1", "Feb 2")]
    d = infer_dump_date(None, dates, votes={})
    assert (d.date, d.lower_bound) == ("2025-03-01", True)
    from collections import Counter

    d = infer_dump_date(parse_printed("Oct 31"), dates, Counter({2026: 2}))
    assert (d.date, d.lower_bound) == ("2026-10-31", False)


def test_gzip_detected_by_magic_bytes(tmp_path):
    path = write(tmp_path, "export.txt", gzip.compress((DATA / "export.jsonl").read_bytes()))
    assert sniff_layout(path) == "jsonl"
    assert sniff_layout(DATA / "export.csv") == "csv"
