"""The most typical of several seeded UMAP/HDBSCAN fits, so another seed finds the same topics.

On a few hundred papers, HDBSCAN's choice between a parent cluster and its children flips with
UMAP's seed: one seed's fit of the seeds finds 10 topics, another merges them into 4, and the
mean ARI between seeds was 0.52 (issue 12). Instead of trusting one seed, `topics.candidates`
fits are made with seeds drawn from the project seed, and the model keeps the seed whose
partition agrees most with the other candidates' (the highest mean ARI: the medoid
partition). A rare split or merge is outvoted, so two projects seeded differently land on the
same typical partition far more often than two single fits do (bench/RESULTS.md, "The most
typical of several seeded fits"). The kept fit is an ordinary BERTopic model: transform, the
weekly assignment and the saved model are unchanged. The price is `candidates` UMAP/HDBSCAN
fits per reference fit, run on the engine (in parallel on Dask) and cached with the reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.config import Topics
from pipeline.engine import LocalEngine
from pipeline.io import PickleStore
from pipeline.library_params import UmapParams
from pipeline.topics.build import build_hdbscan, build_umap, fit_settings
from pipeline.topics.fitcache import digest, library_versions
from pipeline.topics.metrics import stability

log = logging.getLogger(__name__)


def candidate_seeds(seed: int, candidates: int) -> list[int]:
    """The project seed first (one candidate: the plain single fit), then seeds drawn from it."""
    drawn = np.random.SeedSequence(seed).generate_state(max(0, candidates - 1))
    return [seed, *(int(s) for s in drawn)]


def candidate_partition(
    seed: int, embeddings: np.ndarray, y, umap: UmapParams, clusterer
) -> np.ndarray:
    """HDBSCAN's labels after UMAP with `seed`: the same calls BERTopic's fit makes.
    `clusterer` is the unfitted HDBSCAN the model would get (`build_hdbscan`)."""
    from sklearn.base import clone

    reduced = build_umap(umap, len(embeddings), seed).fit_transform(embeddings, y=y)
    return clone(clusterer).fit(reduced).labels_


def most_typical(partitions: list[np.ndarray]) -> tuple[int, list[float]]:
    """(position of the partition with the highest mean ARI to the others, each one's mean),
    ARI as `metrics.json`'s stability measures it. Ties go to the earlier candidate, so one
    candidate is always the project seed's own fit."""
    k = len(partitions)
    if k == 1:
        return 0, [1.0]
    ari = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            ari[i, j] = ari[j, i] = stability(partitions[i], partitions[j])
    means = [float((ari[i].sum() - 1.0) / (k - 1)) for i in range(k)]
    return int(np.argmax(means)), means


@dataclass(frozen=True)
class Choice:
    seed: int  # UMAP's seed for the kept fit
    # Mean ARI between the candidates (None for one): their seed-to-seed agreement on exactly
    # the papers and settings of the model, which metrics.json reports beside its refits.
    agreement: float | None


def consensus_choice(
    embeddings: np.ndarray, y, cfg: Topics, seed: int, engine=None, cache: PickleStore | None = None
) -> Choice:
    """The seed whose UMAP/HDBSCAN fit is the most typical of `cfg.candidates` seeded fits."""
    seeds = candidate_seeds(seed, cfg.candidates)
    if len(seeds) == 1:
        return Choice(seed, None)

    def choose() -> Choice:
        run = engine or LocalEngine()
        args = (run.share(embeddings), y, cfg.umap, build_hdbscan(cfg, len(embeddings)))
        partitions = list(run.map_ordered(candidate_partition, seeds, *args))
        best, means = most_typical(partitions)
        log.info(
            "UMAP seed %d: the most typical of %d candidate fits (mean ARI to the others %s)",
            seeds[best], len(seeds), [round(m, 3) for m in means],
        )  # fmt: skip
        # The mean of each candidate's mean ARI to the others is the mean over all pairs.
        return Choice(seeds[best], round(float(np.mean(means)), 4))

    key = digest("consensus", embeddings, y, fit_settings(cfg), seeds, library_versions())
    return (cache or PickleStore(None)).get_or_make("consensus_choice", key, choose)
