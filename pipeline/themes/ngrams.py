"""The theme scorer's TF-IDF n-grams, counted once per text instead of once per fit.

Nested CV fits a vectorizer for every fold of every theme (about 190 fits in a cold themes
stage) on subsets of the same ~2,000 labelled texts, and scikit-learn's `TfidfVectorizer`
counts and sorts the whole vocabulary again each time: 150 of the evaluation's 180 s.
`NgramTfidf` is that vectorizer with the counting kept: each text seen in a fit is stored as
term ids, and a fit picks its vocabulary (`min_df`, `max_df`, `max_features`) with numpy from
those. It builds the very matrices scikit-learn builds, entry order included, so the models
and every output keep their bytes (tests/test_themes_model.py compares them).
"""

from __future__ import annotations

import uuid
from numbers import Integral

import numpy as np
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

# Texts kept as term ids: the labelled texts (about 2,000) and a corpus scored with the fitted
# scorers. Beyond this a fit starts the memo afresh and a transform passes texts through to
# scikit-learn, rather than holding every bigram of a large corpus.
MEMO_TEXTS = 50_000


class _Memo:
    """Every text seen in a fit as (term ids in order of first occurrence, counts)."""

    def __init__(self, analyzer=None):
        self.analyzer = analyzer  # the texts' term ids hold for this analyzer only
        self.generation = uuid.uuid4().hex  # names these term ids (never pickled with a fit)
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.docs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._rank = np.zeros(0, dtype=np.int64)

    def doc(self, text: str, analyze) -> tuple[np.ndarray, np.ndarray]:
        found = self.docs.get(text)
        if found is None:
            counts: dict[int, int] = {}
            for term in analyze(text):
                i = self.ids.get(term)
                if i is None:
                    i = self.ids[term] = len(self.terms)
                    self.terms.append(term)
                counts[i] = counts.get(i, 0) + 1
            found = self.docs[text] = (
                np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)),
                np.fromiter(counts.values(), dtype=np.int64, count=len(counts)),
            )
        return found

    def rank(self) -> np.ndarray:
        """Each term id's place in alphabetical order (scikit-learn sorts its vocabulary)."""
        if len(self._rank) != len(self.terms):
            order = sorted(range(len(self.terms)), key=self.terms.__getitem__)
            self._rank = np.empty(len(order), dtype=np.int64)
            self._rank[order] = np.arange(len(order))
        return self._rank


_memo = _Memo()


class NgramTfidf(TfidfVectorizer):
    """`TfidfVectorizer` whose fits reuse each text's counts. For the settings the theme
    scorer uses (a callable `analyzer`, learned vocabulary, counts not binary); others go to
    scikit-learn's own code."""

    def fit_transform(self, raw_documents, y=None):
        global _memo
        if not self._counted():
            return super().fit_transform(raw_documents, y)
        texts = list(raw_documents)
        if _memo.analyzer is not self.analyzer or len(_memo.docs) + len(texts) > MEMO_TEXTS:
            _memo = _Memo(self.analyzer)
        analyze = self.build_analyzer()
        doc, ids, counts = _entries([_memo.doc(t, analyze) for t in texts])
        kept = self._vocabulary(ids, counts, len(texts), _memo.rank())
        self.vocabulary_ = dict(
            zip(np.asarray(_memo.terms, dtype=object)[kept].tolist(), range(len(kept)), strict=True)
        )
        self.fixed_vocabulary_ = False
        self._memo_terms = (_memo.generation, kept)
        column = np.full(len(_memo.terms), -1, dtype=np.int64)
        column[kept] = np.arange(len(kept))
        # scikit-learn's fit sorts each row by the running ids it gave terms as it met them,
        # then renumbers the columns alphabetically without reordering the rows.
        order = np.argsort(ids, kind="stable")
        starts = np.flatnonzero(np.diff(ids[order], prepend=-1))
        first = np.empty(len(_memo.terms), dtype=np.int64)
        first[ids[order[starts]]] = order[starts]
        x = _csr(doc, column[ids], counts, len(texts), len(kept), self.dtype, key=first[ids])
        self._tfidf = TfidfTransformer(
            norm=self.norm, use_idf=self.use_idf, smooth_idf=self.smooth_idf,
            sublinear_tf=self.sublinear_tf,
        ).fit(x)  # fmt: skip
        return self._tfidf.transform(x, copy=False)

    def transform(self, raw_documents):
        global _memo
        texts = list(raw_documents)
        if not (self._counted() and texts):
            return super().transform(texts)
        if _memo.analyzer is not self.analyzer:
            _memo = _Memo(self.analyzer)
        unseen = len(set(texts).difference(_memo.docs))
        if len(_memo.docs) + unseen > MEMO_TEXTS:
            return super().transform(texts)  # a large corpus passes through, not kept
        # A corpus scored theme after theme is analysed once, not once per theme.
        analyze = self.build_analyzer()
        docs = [_memo.doc(t, analyze) for t in texts]
        column = np.full(len(_memo.terms), -1, dtype=np.int64)
        generation, kept = getattr(self, "_memo_terms", (None, None))
        if generation == _memo.generation:
            column[kept] = np.arange(len(kept))
        else:  # a memo started afresh since the fit: its terms have other ids; a term it
            # lacks is in none of these texts
            known = [(_memo.ids[t], j) for t, j in self.vocabulary_.items() if t in _memo.ids]
            column[[i for i, _ in known]] = [j for _, j in known]
        doc, ids, counts = _entries(docs)
        # scikit-learn's transform sorts each row's columns.
        return self._tfidf.transform(
            _csr(doc, column[ids], counts, len(texts), len(self.vocabulary_), self.dtype),
            copy=False,
        )

    def __getstate__(self):
        # The term ids of a fit belong to this process's memo; a pickled scorer maps its
        # vocabulary afresh (`transform`).
        state = super().__getstate__()
        state.pop("_memo_terms", None)
        return state

    def _counted(self) -> bool:
        return callable(self.analyzer) and self.vocabulary is None and not self.binary

    def _vocabulary(self, seq: np.ndarray, weights: np.ndarray, n: int, rank: np.ndarray):
        """The term ids kept, alphabetically: `CountVectorizer._limit_features`, step by step."""
        df = np.bincount(seq, minlength=len(rank))
        present = np.flatnonzero(df)
        if not len(present):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        terms = present[np.argsort(rank[present])]
        df = df[terms]
        # X.sum(axis=0) of scikit-learn's float32 counts: the same dtype for the same ties.
        tf = np.bincount(seq, weights=weights, minlength=len(rank))[terms].astype(self.dtype)
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        mask = (df <= high) & (df >= low)
        if self.max_features is not None and mask.sum() > self.max_features:
            top = (-tf[mask]).argsort()[: self.max_features]
            limited = np.zeros(len(df), dtype=bool)
            limited[np.where(mask)[0][top]] = True
            mask = limited
        if not mask.any():
            raise ValueError(
                "After pruning, no terms remain. Try a lower min_df or a higher max_df."
            )
        return terms[mask]


def _entries(docs):
    """Every (document, term id, count) of `docs`, document by document."""
    lengths = [len(ids) for ids, _ in docs]
    doc = np.repeat(np.arange(len(docs)), lengths)
    if not docs:
        return doc, np.zeros(0, np.int64), np.zeros(0, np.int64)
    return doc, np.concatenate([i for i, _ in docs]), np.concatenate([c for _, c in docs])


def _csr(doc, cols, counts, n_rows: int, n_cols: int, dtype, key=None):
    """Rows of (document, column, count) entries, columns -1 dropped; within a row, entries in
    order of `key` (the column when None)."""
    from scipy import sparse

    keep = cols >= 0
    doc, cols, counts = doc[keep], cols[keep], counts[keep]
    order = np.lexsort((cols if key is None else key[keep], doc))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(doc, minlength=n_rows))])
    return sparse.csr_array(
        (counts[order].astype(dtype), cols[order].astype(np.int32), indptr.astype(np.int32)),
        shape=(n_rows, n_cols),
    )
