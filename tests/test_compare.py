"""The compare stage end to end on a synthetic series whose answer is known.

One source, five dumps: s0 (five topics) -> s1 (+30 papers of a new topic: born) -> s2 (topic 2
removed: died) -> s3 (topic 0 replaced by two tighter sub-topics: split) -> s4 (the same papers
as s3: nothing changed). Embeddings are Gaussian blobs in 32-D, texts come from per-topic
vocabularies, and the per-snapshot topics go through the real `fit_bertopic`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.config import Config
from pipeline.io import read_table, write_embeddings, write_json, write_table
from pipeline.stages import compare
from pipeline.topics import drift

DIM = 32
THEME_OF = {0: "vision", 1: "vision", 2: "language", 3: "robotics", 4: "robotics", 5: "newtheme"}
THEME_OF |= {6: "vision", 7: "vision"}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _corpus(seed: int = 0):
    """Papers (id, global topic, embedding, text, dumps) for the five snapshots."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(6, DIM))
    d = rng.normal(size=DIM)
    d -= d @ means[0] / (means[0] @ means[0]) * means[0]
    d *= 0.9 * np.linalg.norm(means[0]) / np.linalg.norm(d)
    vocab = {t: [f"w{t}x{k}" for k in range(12)] for t in range(8)}
    rows = []

    def add(topic: int, centre: np.ndarray, n: int, sd: float, dumps: list[str]) -> None:
        for _ in range(n):
            words = list(rng.choice(vocab[topic], 20)) + ["method", "results", "data"]
            rows.append(
                {
                    "topic": topic,
                    "emb": _unit(centre + rng.normal(scale=sd, size=DIM)),
                    "text": " ".join(words),
                    "dumps": dumps,
                }
            )

    everywhere_but_2 = ["s0.txt", "s1.txt"]
    add(0, means[0], 25, 0.25, ["s0.txt", "s1.txt", "s2.txt"])  # replaced by 6 and 7 in s3
    add(1, means[1], 25, 0.15, ["s0.txt", "s1.txt", "s2.txt", "s3.txt", "s4.txt"])
    add(2, means[2], 25, 0.15, everywhere_but_2)
    add(3, means[3], 25, 0.15, ["s0.txt", "s1.txt", "s2.txt", "s3.txt", "s4.txt"])
    add(4, means[4], 25, 0.15, ["s0.txt", "s1.txt", "s2.txt", "s3.txt", "s4.txt"])
    add(5, means[5], 30, 0.15, ["s1.txt", "s2.txt", "s3.txt", "s4.txt"])
    add(6, means[0] + d, 20, 0.1, ["s3.txt", "s4.txt"])
    add(7, means[0] - d, 20, 0.1, ["s3.txt", "s4.txt"])
    for i, r in enumerate(rows):
        r["paper_id"] = f"p{i:012x}"
    return rows


def _write_inputs(tmp_path, rows) -> Config:
    out = tmp_path / "outputs"
    n = len(rows)
    papers = pd.DataFrame(
        {
            "paper_id": [r["paper_id"] for r in rows],
            "title": [f"Paper {i} on topic {r['topic']}" for i, r in enumerate(rows)],
            "abstract": [r["text"] for r in rows],
            "text": [r["text"] for r in rows],
            "authors": [["A. Author"]] * n,
            "date": ["2025-01-01"] * n,
            "date_has_year": [True] * n,
            "date_precision": ["day"] * n,
            "category": ["CV"] * n,
            "dumps": [r["dumps"] for r in rows],
            "sources": [[f"{d}#0" for d in r["dumps"]] for r in rows],
            "n_dumps": [len(r["dumps"]) for r in rows],
            "first_seen": [r["dumps"][0][:2] for r in rows],
            "last_seen": [r["dumps"][-1][:2] for r in rows],
            "upvotes": [None] * n,
            "has_code": [None] * n,
            "near_duplicate_of": [None] * n,
        }
    )
    write_table(papers, out / "clean" / "papers.parquet", "papers")
    write_embeddings(
        papers["paper_id"].tolist(), np.vstack([r["emb"] for r in rows]), out / "embed"
    )
    # The global model stands in as the true topics (0..7); its fit is the topics stage's job.
    assign = pd.DataFrame(
        {"paper_id": papers["paper_id"], "topic": [r["topic"] for r in rows], "probability": 1.0}
    )
    write_table(assign, out / "topics" / "assignments.parquet", "assignments")
    info = pd.DataFrame(
        {
            "topic": list(range(8)),
            "size": [sum(r["topic"] == t for r in rows) for t in range(8)],
            "label": [f"label {t}" for t in range(8)],
            "top_words": [[f"w{t}x0"] for t in range(8)],
            "representative_papers": [[] for _ in range(8)],
        }
    )
    write_table(info, out / "topics" / "topic_info.parquet", "topic_info")
    names = sorted(set(THEME_OF.values()))
    themes = pd.DataFrame(
        {
            "paper_id": papers["paper_id"],
            "title": papers["title"],
            "themes": [[THEME_OF[r["topic"]]] for r in rows],
            "uncertain": False,
            "label_set": None,
            "evidence": [f"{THEME_OF[r['topic']]} 1.00 (threshold 0.50)" for r in rows],
            **{f"score_{x}": [float(THEME_OF[r["topic"]] == x) for r in rows] for x in names},
        }
    )
    write_table(themes, out / "themes" / "paper_themes.parquet", "paper_themes")
    snaps = {
        f"s{k}.txt": {"source": "synthetic search", "date": f"2025-0{k + 1}-01"} for k in range(5)
    }
    snaps["lone.txt"] = {"source": "someone else", "date": "2025-01-01"}
    (tmp_path / "snapshots.yaml").write_text(yaml.safe_dump({"snapshots": snaps}))
    # What ingest writes for these dumps (the pins applied): compare reads only this.
    dumps = {
        name: {**spec, "snapshot": name.removesuffix(".txt"), "layout": "daily_papers"}
        for name, spec in snaps.items()
    }
    write_json({"dumps": dumps, "totals": {}}, out / "ingest" / "dumps.json")
    themes_yaml = {"themes": [{"name": "newtheme", "label": "A new theme", "description": "x"}]}
    (tmp_path / "themes.yaml").write_text(yaml.safe_dump(themes_yaml))
    return Config.model_validate(
        {
            "paths": {
                "outputs": str(out),
                "snapshots": str(tmp_path / "snapshots.yaml"),
                "themes": str(tmp_path / "themes.yaml"),
            },
            "compare": {"min_drift_papers": 20},  # the synthetic snapshots are small
            "topics": {
                "umap": {"n_neighbors": 10, "n_components": 5, "min_dist": 0.0},
                "hdbscan": {"min_cluster_size": 8},
                "representation": "none",
                "vectorizer": {"min_df": 2},
            },
        }
    )


def _fast_local_topics(cfg, texts, embeddings):
    """A fast stand-in for BERTopic's UMAP+HDBSCAN: HDBSCAN on the raw embeddings."""
    from sklearn.cluster import HDBSCAN

    topics = HDBSCAN(min_cluster_size=8, copy=True).fit_predict(embeddings)
    return topics, {int(t): f"cluster {t}" for t in set(topics.tolist()) if t != -1}


# UMAP's JIT compilation and BERTopic's import cost a minute on a busy 2-core machine, so the
# run through the real model is `slow`; the fast run checks the same truths with plain HDBSCAN.
@pytest.fixture(
    scope="module", params=["hdbscan", pytest.param("bertopic", marks=pytest.mark.slow)]
)
def result(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compare")
    cfg = _write_inputs(tmp, _corpus())
    mp = pytest.MonkeyPatch()
    if request.param == "hdbscan":
        mp.setattr(drift, "fit_local_topics", _fast_local_topics)
    request.addfinalizer(mp.undo)
    compare.run(cfg)
    out = cfg.stage_dir("compare")
    docs = {p.stem: json.loads(p.read_text()) for p in out.glob("*__*.json")}
    return cfg, out, docs


def _relations(doc) -> dict[str, int]:
    out: dict[str, int] = {}
    for link in doc["drift"]["links"]:
        out[link["relation"]] = out.get(link["relation"], 0) + 1
    return out


def test_index_lists_the_series_and_its_consecutive_pairs(result):
    _, out, docs = result
    index = json.loads((out / "index.json").read_text())
    assert index["series"]["synthetic search"] == ["s0", "s1", "s2", "s3", "s4"]
    assert index["pairs"] == ["s0__s1", "s1__s2", "s2__s3", "s3__s4"] == sorted(docs)
    assert index["snapshots"]["s1"] == {
        "source": "synthetic search",
        "date": "2025-02-01",
        "n_papers": 155,
    }


def test_thirty_papers_of_a_new_topic_are_born_and_appear(result):
    doc = result[2]["s0__s1"]
    assert doc["papers"]["added"]["count"] == 30 and doc["papers"]["removed"]["count"] == 0
    assert doc["papers"]["kept"]["count"] == 125
    assert _relations(doc) == {"continued": 5, "born": 1}
    born = next(x for x in doc["drift"]["links"] if x["relation"] == "born")
    sizes = {t["id"]: t["size"] for t in doc["drift"]["to_topics"]}
    assert sizes[born["to"]] == 30
    shift = {r["key"]: r for r in doc["topic_shifts"]}["5"]
    assert shift["status"] == "appeared" and shift["significant"]
    top = doc["theme_shifts"][0]
    assert (top["key"], top["label"], top["significant"]) == ("newtheme", "A new theme", True)
    assert doc["summary"][1].startswith("newtheme rose from 0 of 125 papers to 30 of 155")


def test_a_removed_topic_dies_and_vanishes(result):
    doc = result[2]["s1__s2"]
    assert _relations(doc) == {"continued": 5, "died": 1}
    died = next(x for x in doc["drift"]["links"] if x["relation"] == "died")
    sizes = {t["id"]: t["size"] for t in doc["drift"]["from_topics"]}
    assert sizes[died["from"]] == 25
    shift = {r["key"]: r for r in doc["topic_shifts"]}["2"]
    assert shift["status"] == "vanished" and shift["significant"]


def test_one_topic_split_in_two(result):
    doc = result[2]["s2__s3"]
    assert _relations(doc) == {"continued": 4, "split": 2}
    split = [x for x in doc["drift"]["links"] if x["relation"] == "split"]
    assert len({x["from"] for x in split}) == 1
    to_sizes = {t["id"]: t["size"] for t in doc["drift"]["to_topics"]}
    assert sorted(to_sizes[x["to"]] for x in split) == [20, 20]


def test_identical_snapshots_show_no_significant_shift(result):
    doc = result[2]["s3__s4"]
    assert doc["papers"]["added"]["count"] == doc["papers"]["removed"]["count"] == 0
    assert not any(r["significant"] for r in doc["theme_shifts"] + doc["topic_shifts"])
    assert all(r["change"] == 0 for r in doc["theme_shifts"] + doc["topic_shifts"])
    assert _relations(doc) == {"continued": 6}
    assert doc["summary"][1].startswith("No theme or topic share changed")


def test_topic_map_keeps_lineages(result):
    _, out, _ = result
    tm = read_table(out / "topic_map.parquet", "topic_map")
    assert sorted(set(tm["snapshot"])) == ["s0", "s1", "s2", "s3", "s4"]
    assert set(tm.loc[tm["snapshot"] == "s0", "relation"]) == {"first"}
    # s4 holds the same papers as s3: every topic continues its lineage unchanged.
    s3 = tm[tm["snapshot"] == "s3"].set_index("local_topic")["stable_id"]
    s4 = tm[tm["snapshot"] == "s4"].set_index("local_topic")["stable_id"]
    assert s3.to_dict() == s4.to_dict()
    born = tm[(tm["snapshot"] == "s1") & (tm["relation"] == "born")]
    assert len(born) == 1 and born["stable_id"].iloc[0].startswith("s1:")
    assert born["global_topic"].iloc[0] == 5
    assert tm.groupby("snapshot")["stable_id"].apply(lambda s: s.is_unique).all()


def test_an_ad_hoc_pair_is_written_elsewhere_and_leaves_the_stage_outputs_alone(result, tmp_path):
    cfg, out, _ = result
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    written = compare.run(cfg, pair=("s0", "s4"), out=tmp_path / "adhoc")
    assert written == [tmp_path / "adhoc" / "s0__s4.json"]
    doc = json.loads(written[0].read_text())
    assert doc["papers"]["added"]["count"] == 70 and doc["papers"]["removed"]["count"] == 50
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_unknown_snapshot_is_a_clear_error(result):
    from pipeline.errors import PipelineError

    with pytest.raises(PipelineError, match="unknown snapshot"):
        compare.run(result[0], pair=("s0", "nope"))


def test_series_trends_and_digest_are_written(result):
    out = result[1]
    series = json.loads((out / "series.json").read_text())["series"]["synthetic search"]
    assert series["snapshots"] == [f"s{k}" for k in range(5)]
    assert series["n_new"] == [125, 30, 0, 40, 0]
    # The new theme arrives with s1 and stays: no earlier dump of the series carried it.
    rows = {r["key"]: r for r in series["themes"]["trend"]["listed"]}
    assert rows["newtheme"]["counts"] == [0, 30, 30, 30, 30]
    digest = (out / "digest.md").read_text()
    assert digest.startswith("# Since your last dump")
    # The series whose latest dump is the most recent comes first.
    assert digest.index("## synthetic search") < digest.index("## someone else")
    assert "Latest dump `s4`" in digest and "0 new to this series" in digest
