"""Text cleaning and the clean stage: merged duplicates, provenance, rules, near-duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.io import SCHEMAS
from pipeline.snapshots.catalog import snapshot_rank
from pipeline.stages import clean as clean_stage
from pipeline.stages import ingest
from pipeline.textclean import clean, model_text, paper_id, title_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("the fi ne-grained cues", "the fine-grained cues"),  # seed 000_, entry 4
        ("ﬁne-grained and ﬂow", "fine-grained and flow"),
        (
            "de- tection of inter- and intra-organ, pre- vs. post",
            "detection of inter- and intra-organ, pre- vs. post",
        ),
        (r"available at \url{https://github.com/showlab/DemoVLP}.", "available at."),
        (r"method so far \cite{lei2021less}. The code", "method so far. The code"),
        (r"\textit{e.g.,} classes; \textbf{10} methods", "e.g., classes; 10 methods"),
        (r"a self-supervised \underline{\textit{M}}FM", "a self-supervised MFM"),
        (r"PASCAL-5$^i$ and 9.82\% in mAP_{50}", "PASCAL-5i and 9.82% in mAP50"),
        (r"coefficient $λ$. 200\degree~fundus, (1)~a", "coefficient λ. 200° fundus, (1) a"),
        (r"down to 5 {\mu}m ) with", "down to 5 μm) with"),
        ("Code: https://x.io/K2/{SOTAPink{https://x.io/K2/}}. Next", "Code:. Next"),
        ("a ``second generation'' of", 'a "second generation" of'),
        (
            "a unique token, <BOX>, into <i>the</i> vocabulary",
            "a unique token, <BOX>, into the vocabulary",
        ),
        ("&lt;b&gt;Bold&lt;/b&gt; &amp; more", "Bold & more"),
        ("p + - n struc(cid:173) tures [3, 4]  and\u00ad so", "p + - n structures and so"),
        ("range (0.5~1.0 vs. 0.2~1.0) and ~9%", "range (0.5~1.0 vs. 0.2~1.0) and ~9%"),
    ],
)
def test_clean_cases(raw, expected):
    assert clean(raw) == expected
    assert clean(expected) == expected


def test_vocabulary_mends_whole_words():
    assert clean("signi fi cant and self- supervised") == "signi ficant and selfsupervised"
    vocab = {"significant", "self-supervised", "self", "supervised"}
    assert clean("signi fi cant and self- supervised", vocab) == ("significant and self-supervised")


markupish = st.text(
    alphabet=st.sampled_from(list("abcfilnt ABC-{}$^_~\\<>/&;#.,()[]12`'\u00adﬁ"))
    | st.characters(),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(markupish, markupish)
def test_cleaning_is_idempotent(title, abstract):
    once = clean(title)
    assert clean(once) == once
    text = model_text(title, abstract)
    assert clean(text) == text


def test_title_key_and_paper_id_are_stable():
    a = "Analytical Engines for <i>Language</i> Models"
    assert title_key(a) == title_key("analytical  engines FOR language models!")
    assert paper_id(a) == paper_id("Analytical engines for language models")
    assert paper_id(a) == "p" + __import__("hashlib").sha1(
        b"analytical engines for language models").hexdigest()[:12]  # fmt: skip


@pytest.fixture(scope="module")
def seeds_clean(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    cfg = Config.model_validate({"paths": {
        "seeds": str(ROOT / "seeds"), "outputs": str(tmp / "out"),
        "snapshots": str(ROOT / "configs" / "snapshots.yaml")}})  # fmt: skip
    ingest.run(cfg)
    report = clean_stage.run(cfg)
    path = cfg.stage_dir("clean") / "papers.parquet"
    return cfg, pd.read_parquet(path), report, path.read_bytes()


def test_seed_papers(seeds_clean):
    _, papers, report, _ = seeds_clean
    assert list(papers.columns) == SCHEMAS["papers"]
    assert len(papers) == 220 and papers["paper_id"].is_unique
    assert papers["paper_id"].tolist() == sorted(papers["paper_id"])
    assert len(report["merged_groups"]) == 16 and (papers["n_dumps"] == 2).sum() == 16
    assert sum(len(s) for s in papers["sources"]) == 236  # nothing lost


def test_provenance_and_rules(seeds_clean):
    _, papers, _, _ = seeds_clean
    by = papers.set_index("title")
    devide = by.loc["DeViDe: Faceted medical knowledge for improved medical vision-language "
                    "pre-training"]  # fmt: skip
    assert list(devide["dumps"]) == ["002_f26e997f7e344e68.txt", "003_1f860fe648a8a5a7.txt"]
    assert list(devide["sources"]) == ["003_1f860fe648a8a5a7.txt#9", "002_f26e997f7e344e68.txt#38"]
    assert (devide["first_seen"], devide["last_seen"]) == (
        "003_1f860fe648a8a5a7",
        "002_f26e997f7e344e68",
    )
    assert devide["upvotes"] == 2  # 1 in Oct 2025, 2 in Feb 2026: the newest count wins
    uni = by.loc["Unimedvl: Unifying Medical Multimodal Understanding And Generation Through "
                 "Observation-Knowledge-Analysis"]  # fmt: skip
    assert (uni["date"], uni["upvotes"]) == ("2025-10-17", 3)  # only 002_ prints a block
    point = by.loc["Point, Detect, Count: Multi-Task Medical Image Understanding with "
                   "Instruction-Tuned Vision-Language Models"]  # fmt: skip
    assert (point["date"], point["date_has_year"]) == ("2025-05-22", True)
    mkt = papers[papers.title.str.startswith("Exploiting Feature Diversity")].iloc[0]
    assert "fine-grained" in mkt["text"] and "fi ne" in mkt["abstract"]
    assert mkt["has_code"] is False or mkt["has_code"] == False  # noqa: E712


def test_near_duplicates_flagged_not_merged(seeds_clean):
    _, papers, report, _ = seeds_clean
    pairs = {frozenset((p["a_title"][:20], p["b_title"][:20])) for p in
             report["near_duplicate_pairs"]}  # fmt: skip
    assert frozenset(("Medical Adaptation o", "The Limited Impact o")) in pairs
    assert frozenset(("3D Matting: A Soft S", "3D Matting: A Benchm")) in pairs
    flagged = papers.dropna(subset=["near_duplicate_of"])
    assert len(flagged) == 2 * len(report["near_duplicate_pairs"])
    assert set(flagged["near_duplicate_of"]) <= set(papers["paper_id"])


def test_clean_stage_is_deterministic(seeds_clean):
    cfg, _, _, first_bytes = seeds_clean
    clean_stage.run(cfg)
    again = pd.read_parquet(cfg.stage_dir("clean") / "papers.parquet")
    assert again.equals(pd.read_parquet(__import__("io").BytesIO(first_bytes)))
    assert all(clean(t) == t for t in again["text"])
    assert json.loads((cfg.stage_dir("clean") / "report.json").read_text())["papers"] == 220


ORDER = {"a.txt": ("2026-01-01", "a"), "b.txt": ("2026-01-08", "b"),
         "c.txt": ("2026-01-15", "c"), "d.txt": ("2026-01-22", "d")}  # fmt: skip


def rec(dump, abstract, title="T"):
    return {"dump": dump, "title": title, "abstract": abstract}


def versions_of(recs):
    rank = snapshot_rank(ORDER)
    texts = clean_stage.paper_texts(recs, rank, clean_stage.Vocabulary(recs, rank))
    return clean_stage.text_versions(recs, ORDER, texts)


def test_text_versions_record_each_dump_that_changed_the_text():
    assert versions_of([rec("a.txt", "x"), rec("b.txt", "x")]) == []
    # Whitespace is not a revision: the cleaned texts are equal.
    assert versions_of([rec("a.txt", "x y"), rec("b.txt", "x  y ")]) == []
    recs = [rec("a.txt", "v1"), rec("b.txt", "v1"), rec("c.txt", "v2"), rec("d.txt", "v2")]
    assert versions_of(recs) == [("a", "T. v1"), ("c", "T. v2")]
    # Two records in one dump: the last counts, as for the paper's latest text.
    twice = [rec("a.txt", "v1"), rec("b.txt", "v1"), rec("b.txt", "v2")]
    assert versions_of(twice) == [("a", "T. v1"), ("b", "T. v2")]


def test_a_later_dump_does_not_mend_an_earlier_text_differently():
    """Dump a lists a word split at a line end that no dump up to a knows whole; dump b's
    papers make it a known word. The dump-a paper keeps the text it had, also when b lists it
    again unchanged; a paper first listed in b is mended with b's words."""
    split = "We use self- supervised learning."
    records = [
        rec("a.txt", split, "Old"),
        rec("b.txt", "A self-supervised model.", "New one"),
        rec("b.txt", "Another self-supervised model.", "New two"),
        rec("b.txt", split, "Old"),
        rec("b.txt", split, "Late"),
    ]
    rank = snapshot_rank(ORDER)
    vocab = clean_stage.Vocabulary(records, rank)
    assert "self-supervised" not in vocab.at(rank["a.txt"])
    assert "self-supervised" in vocab.at(rank["b.txt"])
    old = clean_stage.paper_texts([records[0], records[3]], rank, vocab)
    assert old == {("Old", split): "Old. We use selfsupervised learning."}
    late = clean_stage.paper_texts([records[4]], rank, vocab)
    assert late == {("Late", split): "Late. We use self-supervised learning."}


def test_the_seeds_have_no_revised_paper(seeds_clean):
    cfg, papers, report, _ = seeds_clean
    versions = pd.read_parquet(cfg.stage_dir("clean") / "versions.parquet")
    assert list(versions.columns) == SCHEMAS["versions"] and versions.empty
    assert report["revised_papers"] == 0


def test_old_texts_keep_their_bytes_when_a_dump_arrives(tmp_path):
    """The stage: dump b makes a split word known that dump a's paper has; the paper's text
    (what the topic model's reference is fitted on) is the same before and after b."""

    def write(name, rows):
        lines = [json.dumps({"title": t, "abstract": a, "date": d}) for t, a, d in rows]
        (tmp_path / "seeds" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    (tmp_path / "seeds").mkdir()
    write("a.jsonl", [("Old paper", "We use self- supervised learning.", "2026-01-05")])
    cfg = Config.model_validate({"paths": {
        "seeds": str(tmp_path / "seeds"), "outputs": str(tmp_path / "out"),
        "snapshots": str(ROOT / "configs" / "snapshots.yaml")}})  # fmt: skip

    def texts():
        ingest.run(cfg)
        clean_stage.run(cfg)
        papers = pd.read_parquet(cfg.stage_dir("clean") / "papers.parquet")
        return dict(zip(papers["title"], papers["text"], strict=True))

    before = texts()
    write("b.jsonl", [
        ("New one", "A self-supervised model.", "2026-02-05"),
        ("New two", "Another self-supervised model.", "2026-02-06"),
        ("Old paper", "We use self- supervised learning.", "2026-01-05"),
    ])  # fmt: skip
    after = texts()
    assert before == {"Old paper": "Old paper. We use selfsupervised learning."}
    assert after["Old paper"] == before["Old paper"]
    assert pd.read_parquet(cfg.stage_dir("clean") / "versions.parquet").empty


def test_a_day_beats_a_year_alone_whatever_the_snapshot_order():
    """A paper in an arXiv listing (to the day) and later in a conference's listing (the year
    only, stored as January 1st) keeps the day; the newer snapshot wins between equals."""

    def dated(dump, date, precision):
        return {**rec(dump, "x"), "date": date, "date_has_year": True,
                "date_precision": precision, "upvotes": None, "category": None,
                "has_code": None, "authors": [], "index": 0}  # fmt: skip

    arxiv, conference = dated("a.txt", "2025-03-14", "day"), dated("b.txt", "2025-01-01", "year")
    row, _ = clean_stage.merge([arxiv, conference], ORDER)
    assert (row["date"], row["date_precision"]) == ("2025-03-14", "day")
    newer = dated("c.txt", "2025-03-15", "day")
    row, _ = clean_stage.merge([arxiv, conference, newer], ORDER)
    assert (row["date"], row["date_precision"]) == ("2025-03-15", "day")
    row, _ = clean_stage.merge([conference], ORDER)
    assert (row["date"], row["date_precision"]) == ("2025-01-01", "year")
