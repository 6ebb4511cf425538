"""Stage `clean`: records -> outputs/clean/papers.parquet, one row per unique paper.

Records with the same title key (see `textclean.title_key`) are one paper. Where its records
disagree, these rules decide (also in docs/schemas.md):
- title, abstract: from the record of the latest snapshot (the newest version of the text);
- date: a printed date with its year beats one whose year was inferred, then a date to the day
  beats a month or a year alone (an arXiv listing beats a conference's year); then the latest
  snapshot's; `date_has_year` and `date_precision` follow the chosen record;
- upvotes: the latest snapshot that prints a count (counts only grow, the newest is truest);
- authors: the longest list seen; category: the latest snapshot that prints one;
- has_code: true if any record says so, false if one says false and none true, else null.
Snapshots are ordered by dump date (from dumps.json), then id. Near-duplicates are flagged in
`near_duplicate_of`, never merged. `report.json` lists the merged groups, every disagreement
and every near-duplicate pair.

`versions.parquet` lists, for each paper whose text changed between dumps, its text as of each
dump that changed it (the topic model fits a reference on the texts its dumps brought, so a
later revision does not redraw the map: `pipeline.topics.corpus`).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.config import Config
from pipeline.date_precision import PRECISIONS
from pipeline.dedupe import nearest_partner, similar_pairs
from pipeline.io import SCHEMAS, read_rows, write_json, write_table
from pipeline.snapshots.catalog import read_dumps, snapshot_order, snapshot_rank
from pipeline.textclean import clean, key_id, model_text, paper_id, title_key

log = logging.getLogger(__name__)
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


class Vocabulary:
    """Words seen at least `min_count` times: what counts as a word when mending splits
    ("signi fi cant", "self- supervised"), as of each dump in snapshot order.

    A text is mended with the words of the dumps up to the one that first listed it. With one
    vocabulary from every record, a later dump could mend an old paper's split differently,
    change its text and so make the topic model refit its reference: a redraw of the map that
    no revision of the paper explains."""

    def __init__(self, records: Iterable[dict], rank: dict[str, int], min_count: int = 2):
        counts: Counter = Counter()
        self.known_from: dict[str, int] = {}  # word -> rank of the dump that made it known
        # Records in dump order, grouped by dump: no copy of the corpus text is held.
        by_dump = sorted(records, key=lambda r: rank[r["dump"]])
        for k, group in itertools.groupby(by_dump, key=lambda r: rank[r["dump"]]):
            new: Counter = Counter()
            for r in group:
                new.update(_WORD.findall(f"{r['title']} {r['abstract']}".lower()))
            for word, n in new.items():
                before = counts[word]
                counts[word] = before + n
                if before < min_count <= before + n:
                    self.known_from[word] = k

    def at(self, rank: int) -> _KnownBy:
        return _KnownBy(self.known_from, rank)


@dataclass(frozen=True)
class _KnownBy:
    """The words known by the dump of rank `rank` (all `textclean.clean` asks is `in`)."""

    known_from: dict[str, int]
    rank: int

    def __contains__(self, word: object) -> bool:
        return self.known_from.get(word, self.rank + 1) <= self.rank  # type: ignore[arg-type]


def paper_texts(recs: list[dict], rank: dict[str, int], vocab: Vocabulary) -> dict[tuple, str]:
    """(title, abstract) -> model text, for each distinct version among a paper's records
    (sorted oldest snapshot first), mended as of the first dump that listed it."""
    texts: dict[tuple, str] = {}
    for r in recs:
        raw = (r["title"], r["abstract"])
        if raw not in texts:
            texts[raw] = model_text(*raw, vocab.at(rank[r["dump"]]))
    return texts


def record_key(rec: dict) -> str:
    """The paper id of a record: from its title, or its abstract when the title is empty."""
    if key := title_key(rec["title"]):
        return key_id(key)  # = paper_id(title), without cleaning the title a second time
    return paper_id("abstract: " + clean(rec["abstract"])[:300])


def merge(recs: list[dict], order: dict[str, tuple[str, str]]) -> tuple[dict, list[str]]:
    """One paper row from its records (sorted oldest snapshot first) and the disagreements."""
    latest = recs[-1]
    dated = [r for r in recs if r["date"]]
    date_rec = max(reversed(dated), key=_date_quality) if dated else latest
    voted = [r for r in recs if r["upvotes"] is not None]
    cats = [r for r in recs if r["category"]]
    codes = {r["has_code"] for r in recs if r["has_code"] is not None}
    dumps = sorted({r["dump"] for r in recs}, key=lambda d: order[d])
    row = {
        "title": latest["title"], "abstract": latest["abstract"],
        "authors": max((list(r["authors"]) for r in recs), key=len),
        "date": date_rec["date"], "date_has_year": bool(date_rec["date_has_year"]),
        "date_precision": date_rec["date_precision"] if date_rec["date"] else None,
        "category": cats[-1]["category"] if cats else None,
        "dumps": sorted(dumps), "sources": [f"{r['dump']}#{r['index']}" for r in recs],
        "n_dumps": len(dumps), "first_seen": order[dumps[0]][1], "last_seen": order[dumps[-1]][1],
        "upvotes": int(voted[-1]["upvotes"]) if voted else None,
        "has_code": True if True in codes else (False if codes else None),
    }  # fmt: skip
    notes = []
    for field in ("title", "abstract", "date", "upvotes", "category"):
        values = {str(r[field]) for r in recs if r[field] is not None}
        if len(values) > 1:
            notes.append(f"{field}: {sorted(values)} -> {row[field]!r}")
    return row, notes


def _date_quality(rec: dict) -> tuple[bool, int]:
    return bool(rec["date_has_year"]), PRECISIONS.index(rec["date_precision"])


def text_versions(recs: list[dict], order: dict[str, tuple[str, str]], texts) -> list[tuple]:
    """(snapshot, text) at each snapshot that changed the paper's text, oldest first, from its
    records (sorted oldest snapshot first) and their texts (`paper_texts`); [] when every
    record gives the same text. Within a snapshot the last record counts, as `merge` takes the
    last record for the latest text."""
    per_snapshot = {order[r["dump"]][1]: (r["title"], r["abstract"]) for r in recs}
    if len(set(per_snapshot.values())) == 1:
        return []
    versions: list[tuple[str, str]] = []
    for snapshot, raw in per_snapshot.items():
        if not versions or versions[-1][1] != texts[raw]:
            versions.append((snapshot, texts[raw]))
    return versions if len(versions) > 1 else []


def run(cfg: Config) -> dict[str, Any]:
    in_dir, out = cfg.stage_dir("ingest"), cfg.stage_dir("clean")
    records = read_rows(in_dir / "records.parquet", "records", producer="ingest")
    order = snapshot_order(read_dumps(in_dir / "dumps.json"))
    rank = snapshot_rank(order)
    vocab = Vocabulary(records, rank)

    groups: dict[str, list[dict]] = {}
    for rec in records:
        groups.setdefault(record_key(rec), []).append(rec)
    rows, merged, versions = [], [], []
    for pid in sorted(groups):
        recs = sorted(groups[pid], key=lambda r: (order[r["dump"]], r["index"]))
        row, notes = merge(recs, order)
        row["paper_id"] = pid
        texts = paper_texts(recs, rank, vocab)
        row["text"] = texts[row["title"], row["abstract"]]
        rows.append(row)
        if len(recs) > 1:
            merged.append({"paper_id": pid, "title": row["title"], "sources": row["sources"],
                           "disagreements": notes})  # fmt: skip
            changes = text_versions(recs, order, texts)
            versions += [
                {"paper_id": pid, "snapshot": snap, "text": text, "current": k == len(changes) - 1}
                for k, (snap, text) in enumerate(changes)
            ]
    n_records = len(records)
    del records, groups  # the rows keep the texts they need; the rest of each record goes

    pairs = similar_pairs([r["text"] for r in rows], cfg.clean.near_duplicate_threshold)
    partner = nearest_partner(len(rows), pairs)
    for row, j in zip(rows, partner, strict=True):
        row["near_duplicate_of"] = None if j is None else rows[j]["paper_id"]
    report = {
        "records": n_records, "papers": len(rows), "merged_groups": merged,
        "revised_papers": len({v["paper_id"] for v in versions}),
        "near_duplicate_threshold": cfg.clean.near_duplicate_threshold,
        "near_duplicate_pairs": [
            {"a": rows[i]["paper_id"], "b": rows[j]["paper_id"], "similarity": s,
             "a_title": rows[i]["title"], "b_title": rows[j]["title"]}
            for i, j, s in pairs
        ],
    }  # fmt: skip
    papers = pd.DataFrame(rows, columns=_COLUMNS)
    del rows  # the table holds its own copy of the texts
    papers["upvotes"] = papers["upvotes"].astype("Int64")
    write_table(papers, out / "papers.parquet", "papers")
    write_table(pd.DataFrame(versions, columns=SCHEMAS["versions"]), out / "versions.parquet",
                "versions")  # fmt: skip
    write_json(report, out / "report.json")
    log.info("clean: %d records -> %d papers (%d merged groups, %d near-duplicate pairs)",
             n_records, len(papers), len(merged), len(pairs))  # fmt: skip
    return report


_COLUMNS = [
    "paper_id", "title", "abstract", "text", "authors", "date", "date_has_year", "date_precision",
    "category",
    "dumps", "sources", "n_dumps", "first_seen", "last_seen", "upvotes", "has_code",
    "near_duplicate_of",
]  # fmt: skip
