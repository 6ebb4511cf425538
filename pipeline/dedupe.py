"""Near-duplicate papers: two versions of one study under different titles.

Exact duplicates (same title key) are merged by the clean stage; near-duplicates are only
flagged. Similarity is the cosine of TF-IDF vectors of the cleaned title + abstract
(sublinear tf, English stop words removed, idf from the corpus itself), which rewards shared
rare terms such as a method's name. The sparse product is computed in row blocks, so memory
grows with the block, not with the square of the corpus.

Up to `EXACT_MAX_DOCS` papers every pair is scored exactly. Above that, the product over all
terms grows with the square of the corpus, so candidates come from the rarer terms only
(in at most `RARE_MIN_DF` papers or a `RARE_MAX_DF` share of the corpus): a pair is a
candidate when those terms alone give at least half the threshold, and every candidate is
then scored exactly. Pairs whose similarity rests on common words only can be missed there.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)
BLOCK_ROWS = 1024  # memory per block: up to BLOCK_ROWS x papers similarities
EXACT_MAX_DOCS = 20_000
RARE_MAX_DF = 0.002
RARE_MIN_DF = 50


def similar_pairs(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, cosine) with i < j for every pair at or above `threshold`, sorted."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return []
    vec = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, dtype=np.float32,
        token_pattern=r"(?u)\b\w[\w-]*\w\b",
    )  # fmt: skip
    try:
        x = vec.fit_transform(texts).tocsr()
    except ValueError:  # every text empty or only stop words
        return []
    if x.shape[0] <= EXACT_MAX_DOCS:
        return _blockwise(x, threshold)
    df = np.bincount(x.indices, minlength=x.shape[1])
    rare = x[:, np.flatnonzero(df <= max(RARE_MIN_DF, RARE_MAX_DF * x.shape[0]))]
    candidates = _blockwise(rare, threshold / 2)
    pairs = []
    for i, j, _ in candidates:
        s = float(x[i].multiply(x[j]).sum())
        if s >= threshold:
            pairs.append((i, j, round(s, 4)))
    log.info("near-duplicates: %d candidates from rare terms, %d confirmed",
             len(candidates), len(pairs))  # fmt: skip
    return pairs


def _blockwise(x, threshold: float) -> list[tuple[int, int, float]]:
    """Pairs i < j of rows of `x` whose dot product is at least `threshold`, sorted.

    Each block of rows meets only the rows from its own start on, so every pair is computed
    once (the full product computed each twice). A pair's dot product sums the same products
    in the same (term) order either way, so the values are bit-identical to the full product.
    """
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, x.shape[0], BLOCK_ROWS):
        block_t = x[start : start + BLOCK_ROWS].T.tocsr()
        sims = x[start:] @ block_t  # rows: papers from `start` on; columns: the block
        hit = np.flatnonzero(sims.data >= threshold)
        later = np.searchsorted(sims.indptr, hit, side="right") - 1 + start
        first = sims.indices[hit] + start
        keep = later > first
        pairs.extend(
            (int(i), int(j), round(float(s), 4))
            for i, j, s in zip(first[keep], later[keep], sims.data[hit][keep], strict=True)
        )
        del sims
    pairs.sort()
    return pairs


def nearest_partner(n: int, pairs: list[tuple[int, int, float]]) -> list[int | None]:
    """For each item, the index of its most similar partner among `pairs` (ties: lowest)."""
    best: list[tuple[float, int] | None] = [None] * n
    for i, j, s in pairs:
        for a, b in ((i, j), (j, i)):
            if best[a] is None or (s, -b) > (best[a][0], -best[a][1]):
                best[a] = (s, b)
    return [None if b is None else b[1] for b in best]
