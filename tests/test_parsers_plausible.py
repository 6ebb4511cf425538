"""Issue 11, case 1: a title, an abstract or an author line in the wrong place never becomes a
paper. Strict runs stop at the line; lenient runs reject the entry with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputDataError
from pipeline.parsers import daily_papers, read_text_dump
from pipeline.parsers.plausible import abstract_problem, pair_score, title_problem

DATA = Path(__file__).parent / "data" / "dumps"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
HEADER = ["new", "", "Daily Papers", "", "byAK and the research community", "", "Feb 26", ""]
ABSTRACT = ("We study {}. Our method improves the results on three benchmarks, and the code "
            "is released. Experiments on public datasets show consistent gains over strong "
            "baselines, both in accuracy and in calibration, and an ablation study explains "
            "where the gains come from. We also discuss the limits of the approach and what "
            "remains to be done.")  # fmt: skip
BLOCK = ["  • 3 authors", "·", "Feb 20, 2025"]


def daily(tmp_path: Path, paragraphs: list[str | list[str]]) -> Path:
    """A Daily Papers page: each item is a one-line paragraph or a block's lines."""
    lines = list(HEADER)
    for p in paragraphs:
        lines += ([p] if isinstance(p, str) else p) + [""]
    path = tmp_path / "page.txt"
    path.write_text("\n".join(lines), "utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return path.read_text("utf-8").split("\n").index(text) + 1


def test_shapes():
    assert title_problem("Prompt as Knowledge Bank: Boost Vision-language Models") is None
    assert title_problem("Does DINOv3 Set a New Medical Vision Standard?") is None
    assert "full stop" in title_problem("A short abstract about notes on the engine.")
    assert "characters" in title_problem("word " * 80)
    assert abstract_problem("Second abstract, with no metadata block after it at all.") is None
    assert "title-shaped" in abstract_problem("A co-evolving agentic AI system for imaging")
    assert "title-shaped" in abstract_problem("Contrastive Learning of Medical Images")
    assert "author" in abstract_problem("Sunan He, Taian Guo et al.")
    assert "word" in abstract_problem("Abstract.")
    assert pair_score("A Title", ABSTRACT) > pair_score("A Title", "a short line")


def test_every_seed_entry_is_plausible():
    for path in sorted(SEEDS.glob("*.txt")):
        for r in read_text_dump(path).records:
            assert title_problem(r["title"]) is None and abstract_problem(r["abstract"]) is None


def test_two_orphaned_titles_in_an_even_run_make_no_paper(tmp_path):
    """Titles A and B lost their abstracts: before, A became a paper whose abstract was B."""
    path = daily(tmp_path, ["Orphan Title Alpha", "Orphan Title Beta", "Complete Entry Gamma",
                            ABSTRACT.format("gamma"), BLOCK])  # fmt: skip
    with pytest.raises(InputDataError) as e:
        read_text_dump(path)
    assert e.value.line == line_of(path, "Orphan Title Alpha")
    assert "page.txt" in str(e.value) and "title-shaped" in str(e.value)  # Beta
    d = read_text_dump(path, lenient=True)
    assert [(r["title"], r["date_raw"]) for r in d.records] == [("Complete Entry Gamma",
                                                                 "Feb 20, 2025")]  # fmt: skip
    assert [r["line"] for r in d.rejects] == [line_of(path, "Orphan Title Alpha"),
                                              line_of(path, "Orphan Title Beta")]  # fmt: skip
    assert d.n_entries == 3 and all("without abstract" in r["reason"] for r in d.rejects)


def test_orphan_before_a_sentence_case_title(tmp_path):
    """A sentence-case title could pass for a short abstract: the pairing that fits the
    lines' roles best wins, so the orphan is the one left over."""
    nxt = "A co-evolving agentic AI system for medical imaging analysis"
    path = daily(tmp_path, ["Orphan Title Alpha", nxt, ABSTRACT.format("agents"), BLOCK])
    d = read_text_dump(path, lenient=True)
    assert [r["title"] for r in d.records] == [nxt]
    assert [r["line"] for r in d.rejects] == [line_of(path, "Orphan Title Alpha")]


def test_ambiguous_run_is_rejected_not_guessed(tmp_path, monkeypatch):
    """Where two pairings fit equally well, the paragraphs they disagree on are reported."""
    monkeypatch.setattr(daily_papers, "pair_score", lambda title, abstract: 1)
    lines = ["Second Paper Title", "It works. Then it ends", "Third abstract, longer."]
    assert daily_papers.choose_pairs(lines) == (set(), {0, 1, 2})
    path = daily(tmp_path, [*lines, BLOCK])
    d = read_text_dump(path, lenient=True)
    assert d.records == [] and len(d.rejects) == 3
    assert all("ambiguous" in r["reason"] for r in d.rejects)
    with pytest.raises(InputDataError, match="ambiguous"):
        read_text_dump(path)
    monkeypatch.undo()  # by shape, the second line is the first entry's abstract
    assert [r["title"] for r in read_text_dump(path, lenient=True).records] == [lines[0]]


def test_fixture_without_its_third_title(tmp_path):
    lines = (DATA / "daily.txt").read_text("utf-8").split("\n")
    del lines[20:22]  # "Third Paper With Org" and its blank line
    path = tmp_path / "d.txt"
    path.write_text("\n".join(lines), "utf-8")
    d = read_text_dump(path, lenient=True)
    assert [r["title"] for r in d.records] == ["First Paper Title", "Second Paper Without Block"]
    assert [r["line"] for r in d.rejects] == [21] and "not a title" in d.rejects[0]["reason"]


def test_profile_with_title_and_abstract_swapped(tmp_path):
    lines = (DATA / "profile.txt").read_text("utf-8").split("\n")
    lines[19], lines[23] = lines[23], lines[19]  # second entry: title <-> abstract
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines), "utf-8")
    with pytest.raises(InputDataError) as e:
        read_text_dump(path)
    assert e.value.line == 20 and "full stop" in str(e.value)
    d = read_text_dump(path, lenient=True)
    assert [r["index"] for r in d.records] == [0, 2] and d.rejects[0]["line"] == 20


def test_profile_abstract_replaced_by_author_line(tmp_path):
    lines = (DATA / "profile.txt").read_text("utf-8").split("\n")
    lines[23] = "Ada Lovelace, Charles Babbage et al."  # the abstract line holds names
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines), "utf-8")
    d = read_text_dump(path, lenient=True)
    assert d.rejects[0]["line"] == 24 and "author names" in d.rejects[0]["reason"]


def test_compact_abstract_is_a_title(tmp_path):
    lines = (DATA / "compact.txt").read_text("utf-8").split("\n")
    lines[5] = "Decision-Making in Skin Lesion Recognition"
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines), "utf-8")
    d = read_text_dump(path, lenient=True)
    assert [r["line"] for r in d.rejects] == [6] and len(d.records) == 2


def test_file_cut_inside_its_last_abstract(tmp_path):
    """A file cut short mid-sentence would keep half an abstract: that entry is reported."""
    text = (SEEDS / "000_1e3b63b79e3be265.txt").read_text("utf-8").rstrip()
    n_lines = text.count("\n") + 1
    path = tmp_path / "p.txt"
    path.write_text(text[:-40], "utf-8")  # "...reflecting its superiority in sema"
    with pytest.raises(InputDataError, match=rf"p.txt:{n_lines}: the file ends inside this"):
        read_text_dump(path)
    d = read_text_dump(path, lenient=True)
    assert [r["index"] for r in d.rejects] == [13] and len(d.records) == 13
    path.write_text(text[:-40] + " (see [3])", "utf-8")
    assert len(read_text_dump(path).records) == 14  # ends in a bracket: taken as complete
