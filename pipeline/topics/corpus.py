"""The documents the topic model sees: each paper's text as of each dump that changed it.

clean keeps a paper's latest text. A dump that re-lists an old paper with a newer abstract
would then change the reference's inputs, so the reference would be fitted again and the map
redrawn (bench/RESULTS.md: 56% of the old papers kept their topic id at the series' first
dump). So the topic model's documents are text versions: a paper's text as the dump that
first listed it gave it, and each later revision as a document of the dump that brought it. A
reference is fitted on the versions its dumps brought, which later dumps never change; a
revision is assigned with `transform`, like a new paper; a paper's topic is its current
version's. Without revisions the documents are the papers, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import StageInputError
from pipeline.io import read_versions


@dataclass
class TopicCorpus:
    ids: list[str]  # the paper of each document
    texts: list[str]
    embeddings: np.ndarray
    dumps: list[str]  # the snapshot that brought each document
    current: np.ndarray  # per paper (papers.parquet order): the document of its current text

    def before(self, dump: str) -> dict[int, int]:
        """Paper row -> the document that was its current text just before `dump` arrived,
        for each paper whose text `dump` changed."""
        return {
            paper: int(doc) - 1
            for paper, doc in enumerate(self.current)
            if self.dumps[doc] == dump and doc > 0 and self.ids[doc - 1] == self.ids[doc]
        }


def topic_corpus(
    papers: pd.DataFrame, embeddings: np.ndarray, versions: pd.DataFrame, version_vectors
) -> TopicCorpus:
    """Documents from clean's papers (`paper_id`, `text`, `first_seen`) and `versions` (its
    versions.parquet, with embed's `versions.npy` as `version_vectors`, row for row).

    Each paper's earlier versions come just before its current text, oldest first. A paper's
    first version takes the place the paper had before it was revised, so the documents of any
    dump keep their order when later dumps revise some of them, and a reference's inputs (in
    document order) stay the same bytes.
    """
    ids = papers["paper_id"].tolist()
    texts = papers["text"].fillna("").astype(str).tolist()
    first_seen = papers["first_seen"].tolist()
    if not len(versions):
        return TopicCorpus(ids, texts, embeddings, first_seen, np.arange(len(ids)))
    is_current = versions["current"].astype(bool).to_numpy()
    current = versions[is_current]
    brought = dict(zip(current["paper_id"], current["snapshot"], strict=True))
    earlier: dict[str, list[int]] = {}
    for k in np.flatnonzero(~is_current):
        earlier.setdefault(versions["paper_id"].iat[k], []).append(int(k))
    vectors = np.asarray(version_vectors)
    doc_ids, doc_texts, dumps, rows, current = [], [], [], [], []
    for i, pid in enumerate(ids):
        for k in earlier.get(pid, []):
            doc_ids.append(pid)
            doc_texts.append(str(versions["text"].iat[k]))
            dumps.append(versions["snapshot"].iat[k])
            rows.append(vectors[k])
        current.append(len(doc_ids))
        doc_ids.append(pid)
        doc_texts.append(texts[i])
        dumps.append(brought.get(pid, first_seen[i]))
        rows.append(embeddings[i])
    return TopicCorpus(doc_ids, doc_texts, np.vstack(rows), dumps, np.asarray(current))


def read_corpus(cfg, papers: pd.DataFrame, embeddings: np.ndarray) -> TopicCorpus:
    """The documents of `papers`, with clean's text versions and embed's vectors of them."""
    versions = read_versions(cfg.stage_dir("clean"))
    path = cfg.stage_dir("embed") / "versions.npy"
    if len(versions) and not path.exists():
        raise StageInputError(f"{path} not found: run `papertrends embed` (or `dvc repro`) first")
    vectors = np.load(path) if len(versions) else np.zeros((0, embeddings.shape[1]), np.float32)
    if len(vectors) != len(versions):
        raise StageInputError(
            f"{path}: {len(vectors)} vectors for {len(versions)} text versions: "
            "run `papertrends embed` again"
        )
    return topic_corpus(papers, embeddings, versions, vectors)
