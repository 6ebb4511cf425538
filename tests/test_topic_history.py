"""Topics a researcher can follow: the reference replay, stable ids, and a dump that arrives."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from factories import papers_table
from test_topic_model import planted_corpus

from pipeline.config import Config, Embed, Paths
from pipeline.errors import ConfigError
from pipeline.io import read_json, read_table, write_table
from pipeline.stages import embed, topics
from pipeline.topics.corpus import topic_corpus
from pipeline.topics.history import check_refit_at, replay, stable_ids


def _groups(sizes):
    out, start = [], 0
    for n in sizes:
        out.append(np.arange(start, start + n))
        start += n
    return [f"d{k}" for k in range(len(sizes))], out


def test_the_reference_moves_only_when_the_corpus_doubles_or_the_model_misses():
    order, groups = _groups([60, 50, 50, 50, 50, 50, 50])
    calm = replay(order, groups, lambda ref, rows: 0.1, 100, 1.0, 0.5)
    # 110 papers make the first reference; it moves when 110 more are outside it (d4), then
    # when 260 are (never, with 60 + 6 x 50 = 360 papers in all).
    assert calm.refits == ["d1", "d4"]
    assert len(calm.reference) == 260 and [len(b) for b in calm.batches] == [50, 50]
    # d3's papers fit no topic of the model in force: refit there; from its 210 papers the
    # next growth refit would need 210 outside (only 150 come).
    missed = replay(order, groups, lambda ref, rows: 0.6 if rows[0] == 160 else 0.1, 100, 1.0, 0.5)
    assert missed.refits == ["d1", "d3"]
    assert "fit no topic" in missed.steps[3].reason


def test_a_refit_the_user_asks_for_and_growth_refits_turned_off():
    order, groups = _groups([60, 50, 50, 50, 50, 50, 50])
    calm = lambda ref, rows: 0.1  # noqa: E731
    # No growth refits: the first reference stays, every later dump is assigned to it.
    fixed = replay(order, groups, calm, 100, None, 0.5)
    assert fixed.refits == ["d1"] and len(fixed.reference) == 110
    # Asked for at d5: the reference moves there, and only there.
    asked = replay(order, groups, calm, 100, None, 0.5, refit_at=["d5"])
    assert asked.refits == ["d1", "d5"] and len(asked.reference) == 310
    assert asked.steps[5].reason == "asked for in topics.history.refit_at"
    with pytest.raises(ConfigError, match="no dump d9 among"):
        check_refit_at(["d5", "d9"], order)


def test_stable_ids_carry_over_a_refit_and_new_topics_get_new_ids():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 3
    emb = np.vstack([centres[k] + rng.normal(size=(40, 16)) for k in (0, 1, 2)])
    old_rows = np.arange(80)  # topics 0 and 1 only
    new_rows = np.arange(120)
    fits = {
        80: np.repeat([1, 0], 40),  # the first model numbers them the other way round
        120: np.repeat([0, 2, 1], 40),  # the refit finds a third topic
    }
    canon, lineage = stable_ids(
        [("d0", old_rows), ("d1", new_rows)], lambda rows: fits[len(rows)], emb, 0.5
    )
    # Topic of the first 40 papers: 1 in the first model -> keeps id 1 after the refit.
    assert canon[0] == 1 and canon[2] == 0 and canon[1] == 2 and canon[-1] == -1
    relations = sorted(x["relation"] for x in lineage)
    assert relations == ["born", "continued", "continued"]


REVISED = 5  # a first-dump paper that the second dump re-lists with a newer abstract


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same project before and after a 40-paper dump arrives. The dump also re-lists one
    old paper with a longer abstract, as clean's versions.parquet records it."""
    texts, _, _ = planted_corpus(per_theme=40)
    order = np.random.default_rng(1).permutation(len(texts))
    papers = papers_table([texts[i] for i in order], titles=[f"T{i}" for i in order])
    papers["first_seen"] = ["d1"] * 120 + ["d2"] * 40
    old_text = papers.at[REVISED, "text"]
    revision = pd.DataFrame({
        "paper_id": [papers.at[REVISED, "paper_id"]] * 2, "snapshot": ["d1", "d2"],
        "text": [old_text, old_text + " We also release the code and a larger benchmark."],
        "current": [False, True],
    })  # fmt: skip
    results = []
    for n in (120, 160):
        root = tmp_path_factory.mktemp(f"run{n}")
        cfg = Config(
            paths=Paths(outputs=root / "outputs", cache=root / "cache"),
            embed=Embed(encoder="wordllama"),
        )
        table, versions = papers.iloc[:n].copy(), revision.iloc[:0]
        if n == 160:
            table.at[REVISED, "text"], versions = revision["text"].iat[1], revision
        write_table(table, cfg.stage_dir("clean") / "papers.parquet", "papers")
        write_table(versions, cfg.stage_dir("clean") / "versions.parquet", "versions")
        embed.run(cfg, progress=False)
        topics.run(cfg)
        out = cfg.stage_dir("topics")
        results.append(
            (
                read_table(out / "assignments.parquet", "assignments").set_index("paper_id"),
                read_table(out / "coords.parquet", "coords").set_index("paper_id"),
                read_json(out / "metrics.json")["history"],
                cfg,
            )
        )
    return results


def test_old_papers_keep_their_topics_and_places_when_a_dump_arrives(two_runs):
    """Even the reference's own papers stay put when the dump revises one of them: the
    reference keeps the text it was fitted on, and the revision is assigned like a new paper."""
    (a1, c1, h1, _), (a2, c2, h2, _) = two_runs
    revised = a1.index[REVISED]
    old = a1.index.drop(revised)
    assert h2["refits"] == ["d1"] and not h2["last_dump"]["refit"]
    pd.testing.assert_series_equal(a1.loc[old, "topic"], a2.loc[old, "topic"])
    pd.testing.assert_frame_equal(c1.loc[old], c2.loc[old])
    assert not c1.loc[revised].equals(c2.loc[revised])  # placed again, from its new text
    # metrics.json's figures are the two runs' own comparison, revised paper included.
    kept = float((a1["topic"] == a2.loc[a1.index, "topic"]).mean())
    assert h2["last_dump"]["old_papers"] == 120
    assert h2["last_dump"]["kept_topic_id"] == round(kept, 4) and kept >= 119 / 120
    assert (a2["topic"] >= 0).mean() > 0.9  # the new papers found topics too


def test_a_warm_fit_cache_gives_the_same_bytes_and_fits_nothing_again(
    two_runs, tmp_path, monkeypatch
):
    """The second dump again, with the cache the first run left: the reference is not fitted
    again (only the new dump's papers are assigned and placed), the replay of the dumps reads
    the reference's topics instead of loading its model, and every output is the same."""
    from pipeline.topics import fit

    (_, _, _, cfg1), (_, _, _, cfg2) = two_runs
    cfg = Config(paths=Paths(outputs=tmp_path / "outputs", cache=tmp_path / "cache"),
                 embed=cfg2.embed)  # fmt: skip
    shutil.copytree(cfg1.paths.cache, cfg.paths.cache)
    fits = cfg.paths.cache / "topics" / "fits"
    before = {p.name for p in fits.iterdir()}
    for stage in ("clean", "embed"):  # the revision included
        shutil.copytree(cfg2.stage_dir(stage), cfg.stage_dir(stage))
    replayed = []  # history.plan imports fit_topics when it runs: this one
    monkeypatch.setattr(fit, "fit_topics", lambda *a, **k: replayed.append(a) or None)
    topics.run(cfg)
    assert not replayed
    added = {p.name.split("-")[0] for p in fits.iterdir() if p.name not in before}
    assert {p.split("-")[0] for p in before} >= {"bertopic", "coords", "reference_topics"}
    assert added == {"assigned", "placed"}  # the new dump's papers; no model was fitted
    cold, warm = cfg2.stage_dir("topics"), cfg.stage_dir("topics")
    files = sorted(p.relative_to(cold) for p in cold.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(warm) for p in warm.rglob("*") if p.is_file())
    for f in files:
        assert (cold / f).read_bytes() == (warm / f).read_bytes(), f


def test_a_guided_refit_learns_the_topics_the_papers_had(tmp_path):
    """`history.guided_refit`: the refit's UMAP is given, for each paper of the new reference,
    the topic it had just before the refit (the previous reference's model, later dumps
    assigned dump by dump), and the last dump's retention figures are computed as usual.
    (Retention on real dumps, guided and not, is measured in bench/RESULTS.md.)"""
    from sklearn.metrics import adjusted_rand_score

    from pipeline.topics.history import plan

    texts, emb, _ = planted_corpus(per_theme=40, seed=3)
    first_seen = ["d1"] * 60 + ["d2"] * 40 + ["d3"] * 60
    order = ["d1", "d2", "d3"]
    cfg = Config(
        topics={"representation": "none", "stability_seeds": [], "baselines": [],
                "history": {"min_reference": 50, "guided_refit": True}},
    ).topics  # fmt: skip
    history, _, _ = plan(texts, emb, first_seen, order, cfg, 0, 0.5)
    assert history.refits == ["d1", "d3"] and len(history.reference) == 160
    before, _, _ = plan(texts[:100], emb[:100], first_seen[:100], order[:2], cfg, 0, 0.5)
    assert before.refits == ["d1"] and before.labels is None  # the first fit has no guide
    from pipeline.topics.fit import fit_topics

    seen = fit_topics(texts[:100], emb[:100], cfg, 0, reference=before.reference,
                      batches=before.batches).topics  # fmt: skip
    assert adjusted_rand_score(seen, history.labels[:100]) == 1.0
    assert len(history.labels) == 160 and (history.labels[100:] >= -1).all()


def test_a_revised_paper_keeps_its_earlier_text_in_the_place_the_paper_had():
    papers = papers_table(["a text", "b new text", "c text"])
    papers["first_seen"] = ["d1", "d1", "d2"]
    pid = papers["paper_id"].tolist()
    versions = pd.DataFrame(
        {
            "paper_id": [pid[1]] * 2,
            "snapshot": ["d1", "d3"],
            "text": ["b old text", "b new text"],
            "current": [False, True],
        }
    )
    emb = np.eye(3, dtype=np.float32)
    docs = topic_corpus(papers, emb, versions, np.array([[0, 0, 0], emb[1]], np.float32))
    assert docs.texts == ["a text", "b old text", "b new text", "c text"]
    assert docs.ids == [pid[0], pid[1], pid[1], pid[2]]
    assert docs.dumps == ["d1", "d1", "d3", "d2"]
    assert docs.current.tolist() == [0, 2, 3]
    assert docs.embeddings[[0, 2, 3]].tolist() == emb.tolist() and not docs.embeddings[1].any()
    assert docs.before("d3") == {1: 1} and docs.before("d2") == {}
    plain = topic_corpus(papers, emb, versions.iloc[:0], np.zeros((0, 3)))
    assert plain.texts == papers["text"].tolist() and plain.current.tolist() == [0, 1, 2]
