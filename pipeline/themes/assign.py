"""Themes for every paper of a corpus: the scorer's verdict, or a human's where there is one.

A paper that carries a human label shows that label (and `label_set` names its source); its
score is out-of-fold, from models that never saw it, so score and label can honestly disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.themes.features import Bank


def human_labels(papers: pd.DataFrame, labels: pd.DataFrame, oof: dict) -> pd.DataFrame:
    """Corpus papers with a human label, indexed by paper_id: set, labels, `oof_<theme>`.
    `oof`: theme -> {label key: out-of-fold score}."""
    first = labels.drop_duplicates("key", keep="first").set_index("key")
    matched = papers[["paper_id"]].join(first, on="paper_id", how="inner")
    for name, by_key in oof.items():
        matched[f"oof_{name}"] = matched["paper_id"].map(by_key)
    return matched.set_index("paper_id")


def decide(papers, names, scores, thresholds, human, margin):
    """Scores, hits and borderline flags (papers x themes), human labels applied."""
    s = np.column_stack([scores[n] for n in names]).astype(float)
    cut = np.array([thresholds[n] for n in names])
    hit, close = s >= cut, np.abs(s - cut) < margin
    row_of = {p: i for i, p in enumerate(papers["paper_id"])}
    for pid, lab in human.iterrows():
        i = row_of[pid]
        for j, n in enumerate(names):
            if n in lab.index and pd.notna(lab[n]):
                hit[i, j], close[i, j] = bool(lab[n]), False  # a human decided it
                if pd.notna(lab.get(f"oof_{n}")):
                    s[i, j] = lab[f"oof_{n}"]
    return s, hit, close


def paper_table(papers, themes, corpus: Bank, scores, thresholds, human, margin, near_labelled):
    names = [th.name for th in themes]
    s, hit, close = decide(papers, names, scores, thresholds, human, margin)
    table = papers[["paper_id", "title"]].copy()
    for j, n in enumerate(names):
        table[f"score_{n}"] = np.round(s[:, j], 4)
    table["themes"] = [[n for n, h in zip(names, row, strict=True) if h] for row in hit]
    table["uncertain"] = close.any(axis=1)
    sets = table["paper_id"].map(human["set"]) if len(human) else pd.Series(None, index=table.index)
    # Read back from the column, a missing set would be NaN (pandas' string dtype), which is
    # truthy: the evidence is built from this list, where it is None.
    label_sets = [v if isinstance(v, str) else None for v in sets]
    table["label_set"] = label_sets
    why = Evidence(themes, corpus, s, thresholds, near_labelled)
    table["evidence"] = [
        why.explain(i, pid, ls, hit[i] | close[i])
        for i, (pid, ls) in enumerate(zip(table["paper_id"], label_sets, strict=True))
    ]
    return table


class Evidence:
    """Why a paper got (or nearly got) a theme: score vs threshold, keywords, nearest phrase,
    nearest positively labelled paper other than itself; or that a human labelled it.
    `near_labelled`: theme -> (label keys, label titles, label vectors) of its positives."""

    def __init__(self, themes, corpus: Bank, scores, thresholds, near_labelled):
        self.themes, self.corpus, self.s, self.thr = themes, corpus, scores, thresholds
        self.near = near_labelled

    def explain(self, i: int, pid: str, label_set: str | None, show: np.ndarray) -> str:
        parts = [f"human label ({label_set})"] if label_set else []
        for j in np.flatnonzero(show):
            parts.append(self._theme(i, pid, self.themes[j], self.s[i, j]))
        return " | ".join(parts) if parts else "no theme near its threshold"

    def _theme(self, i, pid, th, score) -> str:
        f = self.corpus.features[th.name]
        bits = [f"{th.name} {score:.2f} (threshold {self.thr[th.name]:.2f})"]
        if f.keywords[i]:
            bits.append("keywords: " + ", ".join(f.keywords[i][:5]))
        p = th.prompts[f.nearest_prompt[i]]
        bits.append(f"nearest phrase: '{p[:60]}' ({f.similarity[i, 0]:.2f})")
        if th.name in self.near:
            keys, titles, vectors = self.near[th.name]
            sims = np.where(keys == pid, -np.inf, vectors @ self.corpus.embeddings[i])
            if len(sims) and np.isfinite(sims[k := int(np.argmax(sims))]):
                bits.append(f"nearest labelled: '{titles[k][:60]}' ({sims[k]:.2f})")
        return "; ".join(bits)
