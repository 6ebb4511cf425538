"""The evidence a theme is scored from, computed once per set of papers and sliced by row.

- the paper's embedding (a classifier learns which directions mean the theme),
- its cosine similarity to the theme's description and phrases (`configs/themes.yaml`),
- the theme's keyword patterns found in the title and abstract,
- the words of the text itself (TF-IDF n-grams; learned from the labelled texts).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from pipeline.themes.definitions import Theme


def _hits(text: str, theme: Theme) -> list[str]:
    """The distinct keyword matches of `theme` in `text` (lowercased), in pattern order."""
    found = []
    for pattern in theme.patterns:
        m = pattern.search(text)
        if m and m.group(0).lower() not in found:
            found.append(m.group(0).lower())
    return found


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def themes_keyword_hits(
    texts: list[str], themes: list[Theme], known: dict | None = None
) -> dict[str, list[list[str]]]:
    """Each theme's keyword matches (`_hits`) in each text. `known`: `{text_key: {theme:
    hits}}` found before for these same themes (the stage keeps it between runs: matching
    every paper's text against every pattern again costs about 2 ms a paper); the texts it
    lacks are matched and added."""
    known = {} if known is None else known
    out = {t.name: [] for t in themes}
    for text in texts:
        key = text_key(text)
        hits = known.get(key)
        if hits is None:
            hits = known[key] = {t.name: _hits(text, t) for t in themes}
        for t in themes:
            out[t.name].append(hits[t.name])
    return out


@dataclass
class ThemeFeatures:
    """One theme's similarity and keyword evidence for every paper of a set."""

    similarity: np.ndarray  # (n, 2): max cosine to a prompt, cosine to the prompts' centroid
    nearest_prompt: np.ndarray  # (n,) index into theme.prompts
    keywords: list[list[str]]

    @property
    def keyword_count(self) -> np.ndarray:
        return np.log1p(np.array([len(k) for k in self.keywords], dtype=np.float32))[:, None]


def theme_features(
    embeddings: np.ndarray, keywords: list[list[str]], prompt_vectors: np.ndarray
) -> ThemeFeatures:
    """`prompt_vectors`: L2-normalised rows for the description and phrases; `keywords`: the
    theme's keyword matches in each paper (`themes_keyword_hits`)."""
    sims = embeddings @ prompt_vectors.T
    centroid = prompt_vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    return ThemeFeatures(
        similarity=np.column_stack([sims.max(axis=1), embeddings @ centroid]).astype(np.float32),
        nearest_prompt=sims.argmax(axis=1),
        keywords=keywords,
    )


@dataclass
class Bank:
    """A set of papers as the scorer sees them: vectors, texts and each theme's evidence."""

    embeddings: np.ndarray
    texts: list[str]
    features: dict[str, ThemeFeatures]

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, rows: np.ndarray) -> Bank:
        return Bank(
            self.embeddings[rows],
            [self.texts[i] for i in rows],
            {
                name: ThemeFeatures(
                    f.similarity[rows], f.nearest_prompt[rows], [f.keywords[i] for i in rows]
                )
                for name, f in self.features.items()
            },
        )


def make_bank(
    embeddings, texts, themes: list[Theme], prompt_vectors: dict, known: dict | None = None
) -> Bank:
    """`known`: keyword hits found before (see `themes_keyword_hits`)."""
    hits = themes_keyword_hits(texts, themes, known)
    feats = {
        t.name: theme_features(embeddings, hits[t.name], prompt_vectors[t.name]) for t in themes
    }
    return Bank(embeddings, list(texts), feats)


def concat(banks: list[Bank]) -> Bank:
    names = banks[0].features
    return Bank(
        np.vstack([b.embeddings for b in banks]),
        [t for b in banks for t in b.texts],
        {
            n: ThemeFeatures(
                np.vstack([b.features[n].similarity for b in banks]),
                np.concatenate([b.features[n].nearest_prompt for b in banks]),
                [k for b in banks for k in b.features[n].keywords],
            )
            for n in names
        },
    )
