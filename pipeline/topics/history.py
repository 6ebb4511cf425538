"""Topics a researcher can follow: which papers the topic model is fitted on, dump by dump.

Refitting BERTopic on every new dump redraws the map: old papers change topic, and a topic's
trend line means something else each week. Instead the model is fitted on a *reference*: the
papers of the first dumps (in dump-date order), and the papers each later dump brings are
assigned to it with `transform`, one dump at a time, so earlier papers keep their topics. The
reference moves forward (a refit) only when
- the user asks for it: the dump is in `refit_at`, or
- the papers outside the reference reach `refit_growth` times the reference (unless null), or
- more than `refit_outlier_share` of a new dump's papers fit no topic (before outlier
  reduction): the literature moved somewhere the model has no topic for.
The decision is replayed from the first dump on every run, so it depends on the inputs and
the params only: the same dumps give the same reference, on any machine, in any order of runs.
After a refit, topics are matched to the previous model's by centroid similarity and keep their
ids (`pipeline.topics.align`); the lineage says which were born, died, split or merged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pipeline.config import Topics
from pipeline.errors import ConfigError


@dataclass
class Step:
    """What happened when one dump arrived."""

    dump: str
    n_new: int
    outlier_share: float | None  # of its new papers under the model in force; None: reference
    refit: bool
    reason: str


@dataclass
class History:
    reference: np.ndarray  # rows the final model is fitted on
    batches: list[np.ndarray]  # rows assigned after it, one array per later dump, in order
    steps: list[Step] = field(default_factory=list)
    references: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (dump, rows)
    labels: np.ndarray | None = None  # guidance for the final fit, one per reference row

    @property
    def refits(self) -> list[str]:
        return [s.dump for s in self.steps if s.refit]


def first_dump_rows(first_dump: Sequence[str], order: Sequence[str]) -> list[np.ndarray]:
    """Rows (papers) grouped by the dump that first listed them, in dump order."""
    first = np.asarray(first_dump)
    return [np.flatnonzero(first == d) for d in order]


def replay(
    order: Sequence[str],
    groups: list[np.ndarray],
    outlier_share: Callable[[np.ndarray, np.ndarray], float],
    min_reference: int,
    refit_growth: float | None,
    refit_outlier_share: float,
    refit_at: Sequence[str] = (),
) -> History:
    """Walk the dumps in order and decide the reference. `outlier_share(reference, rows)`:
    the share of `rows` that a model fitted on `reference` leaves without a topic."""
    steps, ref_end, refs = [], None, []
    seen = 0
    for k, (dump, rows) in enumerate(zip(order, groups, strict=True)):
        seen += len(rows)
        if ref_end is None:
            done = seen >= min_reference or k == len(order) - 1
            ref_end = k if done else None
            if done:
                refs.append((dump, np.concatenate(groups[: k + 1])))
            reason = "reference" if done else "reference (still too few papers)"
            steps.append(Step(dump, len(rows), None, done, reason))
            continue
        ref = np.concatenate(groups[: ref_end + 1])
        outside = seen - len(ref)
        share = outlier_share(ref, rows) if len(rows) else 0.0
        if dump in refit_at:
            why = "asked for in topics.history.refit_at"
        elif refit_growth is not None and outside >= refit_growth * len(ref):
            why = f"{outside} papers outside the reference >= {refit_growth:g} x {len(ref)}"
        elif share > refit_outlier_share:
            why = f"{share:.0%} of its new papers fit no topic > {refit_outlier_share:.0%}"
        else:
            steps.append(Step(dump, len(rows), round(share, 4), False, "assigned"))
            continue
        steps.append(Step(dump, len(rows), round(share, 4), True, why))
        ref_end = k
        refs.append((dump, np.concatenate(groups[: k + 1])))
    ref_end = len(order) - 1 if ref_end is None else ref_end
    reference = np.concatenate(groups[: ref_end + 1]) if groups else np.zeros(0, int)
    return History(reference, list(groups[ref_end + 1 :]), steps, refs)


def check_refit_at(refit_at: Sequence[str], order: Sequence[str]) -> None:
    """A refit asked for at a dump that is not there would silently never happen."""
    unknown = sorted(set(refit_at) - set(order))
    if unknown:
        raise ConfigError(
            f"topics.history.refit_at: no dump {', '.join(unknown)} among the papers' dumps "
            f"({', '.join(order)})"
        )


def stable_ids(
    references: list[tuple[str, np.ndarray]],
    topics_of: Callable[[np.ndarray], np.ndarray],
    embeddings: np.ndarray,
    floor: float,
) -> tuple[dict[int, int], list[dict]]:
    """Model topic id -> stable id for the last reference's model, carried through every refit;
    and the lineage: one link per topic pair at each refit. `topics_of(rows)`: the topics a
    model fitted on `rows` gives those rows."""
    canon, lineage, prev, used = {}, [], None, -1
    for dump, rows in references:
        rows = np.sort(rows)
        topics = topics_of(rows)
        if prev is None:
            canon = {-1: -1, **{int(t): int(t) for t in np.unique(topics)}}
        else:
            canon, links = carried_ids(prev, (rows, topics), canon, embeddings, floor, used)
            lineage += [{"dump": dump, **link} for link in links]
        used = max([used, *canon.values()])
        prev = (rows, topics)
    return canon, lineage


def carried_ids(old, new, old_canon: dict[int, int], embeddings, floor: float, used: int):
    """Stable ids for the new model's topics, and the links between old and new topics.

    `old`, `new`: (rows, model topics of those rows). Topics are matched by centroid cosine at
    the models' own resolution (`align.resolution_threshold`, at least `floor`); a new
    topic's strongest link carries the old topic's stable id (each id once); the others get
    ids never used before (above `used`). Links are reported in stable ids.
    """
    from pipeline.topics import align as ta

    old_ids, old_c = ta.topic_centroids(embeddings[old[0]], old[1])
    new_ids, new_c = ta.topic_centroids(embeddings[new[0]], new[1])
    threshold = ta.resolution_threshold(old_c, new_c, floor)
    links = ta.align_topics(old_ids, new_ids, ta.cosine_matrix(old_c, new_c), threshold)
    mapping: dict[int, int] = {-1: -1}
    taken: set[int] = set()
    for link in sorted(links, key=lambda x: (-x["similarity"], str(x["from"]), str(x["to"]))):
        a, b = link["from"], link["to"]
        if a is None or b is None or b in mapping or a in taken:
            continue
        mapping[b] = old_canon[a]
        taken.add(a)
    for b in new_ids:
        if b not in mapping:
            used += 1
            mapping[b] = used
    for link in links:
        link["from"] = None if link["from"] is None else old_canon[link["from"]]
        link["to"] = None if link["to"] is None else mapping[link["to"]]
    return mapping, links


def plan(
    texts,
    embeddings,
    first_seen,
    order,
    cfg: Topics,
    seed: int,
    floor: float,
    fits=None,
    cache=None,
):
    """Replay the dumps with real fits: the History, model id -> stable id, and the lineage.

    Each reference is fitted once here (without the encoder: labels do not change topics);
    `fit_topics` then refits the last one with the encoder for the outputs (same rows, same
    seed: the same topics). With a `cache` (`fitcache.fit_store`), a reference fitted in an
    earlier run is not fitted again, and its topics are read, not recomputed. With
    `history.guided_refit`, a refit's UMAP is guided by the topics its papers had just before
    it (`guidance`); `History.labels` is the final reference's guidance, for that refit with
    the encoder.
    """
    from pipeline.io import PickleStore
    from pipeline.topics.fit import fit_topics
    from pipeline.topics.fitcache import digest, library_versions

    store = cache or PickleStore(None)
    # Shared by calls that replay a prefix of `order`. References are prefixes in dump order,
    # so a size names one: size -> (rows, their topics, the labels that guided the fit).
    fits = {} if fits is None else fits
    groups = first_dump_rows(first_seen, order)

    def guidance(rows: np.ndarray) -> np.ndarray | None:
        """The topics `rows` had under the reference in force before them: the previous
        reference's fit, with each later dump assigned on its own, as the user saw them."""
        earlier = [size for size in fits if size < len(rows)]
        if not cfg.history.guided_refit or not earlier:
            return None
        prev_rows, _, prev_labels = fits[max(earlier)]
        inside, members = set(prev_rows.tolist()), set(rows.tolist())
        later = [g for g in groups if len(g) and g[0] in members and g[0] not in inside]
        batches = [np.searchsorted(rows, g) for g in later]
        before = fit_topics(
            [texts[i] for i in rows], embeddings[rows], cfg, seed,
            reference=np.searchsorted(rows, prev_rows), batches=batches, cache=cache,
            labels=prev_labels,
        )  # fmt: skip
        return before.topics

    def fitted(rows: np.ndarray) -> np.ndarray:
        """The topics a model fitted on `rows` gives them (outliers re-assigned). Kept in the
        cache by their inputs: loading each reference's model and re-assigning its outliers
        on every run grew with the history (3.5 s of the topics stage at the 20th dump)."""
        rows = np.sort(rows)
        if len(rows) not in fits:
            labels = guidance(rows)
            sub = [texts[i] for i in rows]
            key = digest("reference topics", sub, embeddings[rows], cfg.model_dump(mode="json"),
                         seed, labels, library_versions())  # fmt: skip
            topics = store.get_or_make(
                "reference_topics",
                key,
                lambda: (
                    fit_topics(sub, embeddings[rows], cfg, seed, cache=cache, labels=labels).topics
                ),
            )
            fits[len(rows)] = (rows, topics, labels)
        return fits[len(rows)][1]

    def noise_share(ref: np.ndarray, rows: np.ndarray) -> float:
        # A paper fits no topic when its cosine to every topic centroid of the reference is
        # below `topics.outliers.threshold`: what outlier reduction would leave unassigned.
        # (HDBSCAN's approximate_predict alone calls nearly every new paper noise when the
        # reference is small: 100% of a 41-paper page against a 107-paper reference.)
        from pipeline.topics import align as ta

        ref = np.sort(ref)
        _, centroids = ta.topic_centroids(embeddings[ref], fitted(ref))
        if not len(centroids):
            return 1.0
        best = ta.cosine_matrix(embeddings[np.sort(rows)], centroids).max(axis=1)
        return float(np.mean(best < cfg.outliers.threshold))

    h = cfg.history
    history = replay(
        order, groups, noise_share, h.min_reference, h.refit_growth, h.refit_outlier_share,
        h.refit_at,
    )  # fmt: skip
    canon, lineage = stable_ids(history.references, fitted, embeddings, floor)
    if len(history.reference):
        fitted(history.reference)
        history.labels = fits[len(history.reference)][2]
    return history, canon, lineage
