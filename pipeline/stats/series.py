"""Trends across a series of snapshots: is a theme's (or topic's) share moving over the dumps?

A pair of 60-paper pages has little power; the series as a whole has much more. For every key
the share per snapshot is tested for a monotone trend over snapshot order with the
Cochran-Armitage test (a score test of a logistic regression on order), with
Benjamini-Hochberg across the keys of one series and view. Each result states its power: the
smallest change per snapshot the test would detect with 80% power at this series' sizes.

Two views: `listed` counts every paper a snapshot lists; `new` counts only the papers that no
earlier snapshot of the series listed (what arrived with it). Overlap between pages makes the
listed view's snapshots dependent, so its p-values are optimistic by a little; `new` is the
independent one and the one the digest leads with.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from pipeline.stats.textbook import bh_adjust, normal_ppf, normal_sf

POWER = 0.8


def cochran_armitage(counts: Sequence[int], totals: Sequence[int]) -> tuple[float, float]:
    """(z, two-sided p) for a linear trend in proportion over equally spaced snapshots."""
    k, n = np.asarray(counts, float), np.asarray(totals, float)
    keep = n > 0
    k, n = k[keep], n[keep]
    t = np.arange(len(n), dtype=float)
    big_n, p_bar = n.sum(), k.sum() / max(1.0, n.sum())
    s_tt = float((n * t * t).sum() - (n * t).sum() ** 2 / big_n) if big_n else 0.0
    var = p_bar * (1 - p_bar) * s_tt
    if len(n) < 3 or var <= 0:
        return 0.0, 1.0
    z = float((t * (k - n * p_bar)).sum() / math.sqrt(var))
    return z, 2 * normal_sf(abs(z))


def detectable_slope(totals: Sequence[int], p_bar: float, alpha: float) -> float | None:
    """Smallest change in share per snapshot the test detects with `POWER` (normal approx.)."""
    n = np.asarray([x for x in totals if x > 0], float)
    if len(n) < 3:
        return None
    t = np.arange(len(n), dtype=float)
    s_tt = float((n * (t - (n * t).sum() / n.sum()) ** 2).sum())
    p = min(max(p_bar, 1 / n.sum()), 1 - 1 / n.sum())  # a zero share still has a power
    z = normal_ppf(1 - alpha / 2) + normal_ppf(POWER)
    return float(z * math.sqrt(p * (1 - p) / s_tt))


def snapshot_views(order: Sequence[str], members: Mapping[str, set[str]]) -> dict:
    """Per snapshot: the ids it lists and the ids that are new to the series with it."""
    seen: set[str] = set()
    views = {"listed": {}, "new": {}}
    for sid in order:
        ids = members.get(sid, set())
        views["listed"][sid], views["new"][sid] = ids, ids - seen
        seen |= ids
    return views


def series_trends(
    order: Sequence[str],
    ids_of: Mapping[str, set[str]],
    keys_of: Callable[[str], list[str]],
    keys: Sequence[str],
    labels: Mapping[str, str],
    alpha: float,
) -> list[dict]:
    """One row per key: counts and shares per snapshot, trend z, p, BH q, verdict, power."""
    counts = {sid: Counter(k for p in ids_of[sid] for k in keys_of(p)) for sid in order}
    totals = [len(ids_of[sid]) for sid in order]
    rows = []
    for key in keys:
        ks = [counts[sid].get(key, 0) for sid in order]
        z, p = cochran_armitage(ks, totals)
        p_bar = sum(ks) / max(1, sum(totals))
        rows.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "counts": ks,
                "totals": totals,
                "shares": [round(k / n, 4) if n else None for k, n in zip(ks, totals, strict=True)],
                "z": round(z, 3),
                "p_value": p,
                "detectable_change_per_snapshot": _round(detectable_slope(totals, p_bar, alpha)),
            }
        )
    for row, q in zip(rows, bh_adjust([r["p_value"] for r in rows]), strict=True):
        row["q_value"] = q
        row["trend"] = ("rising" if row["z"] > 0 else "falling") if q <= alpha else "none"
    rows.sort(key=lambda r: (r["trend"] == "none", r["q_value"], r["key"]))
    return rows


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def describe_trend(row: dict, view: str) -> str:
    """'anomaly_detection rose across 8 snapshots: 2/59 ... 15/60 (trend z=4.1, q=0.0003)'."""
    first, last = (
        f"{row['counts'][0]}/{row['totals'][0]}",
        f"{row['counts'][-1]}/{row['totals'][-1]}",
    )
    span = f"{len(row['totals'])} snapshots ({view} papers): {first} first, {last} latest"
    if row["trend"] == "none":
        power = row["detectable_change_per_snapshot"]
        return (
            f"{row['label']}: no trend across {span} (q={row['q_value']:.2g}; a change of "
            f"{100 * power:.1f} points per snapshot would be detected with 80% power)"
            if power is not None
            else f"{row['label']}: too few snapshots for a trend test"
        )
    verb = "rose" if row["trend"] == "rising" else "fell"
    return (
        f"{row['label']} {verb} across {span} (trend z={row['z']:+.1f}, FDR q={row['q_value']:.2g})"
    )


def series_report(order, members, keysets: dict, alpha: float) -> dict:
    """Everything said about one series. `keysets`: kind ("themes", "topics") ->
    (keys_of(paper_id) -> keys, keys, labels)."""
    views = snapshot_views(order, members)
    out: dict = {"snapshots": list(order)}
    out["n_listed"] = [len(views["listed"][s]) for s in order]
    out["n_new"] = [len(views["new"][s]) for s in order]
    for kind, (keys_of, keys, labels) in keysets.items():
        doc = {}
        if len(order) >= 3:
            doc["trend"] = {
                view: series_trends(order, views[view], keys_of, keys, labels, alpha)
                for view in ("new", "listed")
            }
        if len(order) >= 2:
            doc.update(pairwise(order, views["listed"], keys_of, labels, alpha))
        out[kind] = doc
    return out


def pairwise(order, listed, keys_of, labels, alpha: float) -> dict:
    """First vs latest and latest vs previous (Fisher, pipeline.stats.shifts), and the keys no
    earlier snapshot of the series carried that the latest carries at least twice."""
    from pipeline.stats.shifts import share_shifts

    counts = {s: Counter(k for p in listed[s] for k in keys_of(p)) for s in order}
    n = {s: len(listed[s]) for s in order}

    def pair(a, b):
        return share_shifts(counts[a], n[a], counts[b], n[b], labels=labels, alpha=alpha)

    earlier: Counter = Counter()
    for sid in order[:-1]:
        earlier.update(counts[sid])
    latest = sorted(counts[order[-1]].items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "first_vs_latest": pair(order[0], order[-1]),
        "latest_vs_previous": pair(order[-2], order[-1]),
        "appeared_in_latest": [
            {"key": k, "label": labels.get(k, k), "count": c}
            for k, c in latest
            if c >= 2 and not earlier.get(k)
        ],
    }
