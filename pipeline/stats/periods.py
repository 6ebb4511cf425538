"""Period series and trend tests: how many papers of each theme/topic per period, and whether
their share has been rising over the recent window.

Counts are of unique papers (the caller passes one row per paper); the share is a key's count
over all dated papers of the period, so it stays comparable when the corpus grows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from pipeline.date_precision import placeable, to_period
from pipeline.stats.textbook import bh_adjust, mann_kendall, theil_sen

SERIES_COLUMNS = ["period", "key", "count", "total", "share", "partial", "small"]
# Fewer usable periods than this and a slope or a rank test says nothing worth reporting.
MIN_TEST_POINTS = 4


def unplaced(papers: pd.DataFrame, freq: str) -> int:
    """Papers with a date too coarse for `freq`'s periods (a year alone in a monthly series)."""
    dated = papers["date"].notna()
    return int((dated & ~placeable(papers["date_precision"], freq)).sum())


def period_series(
    papers: pd.DataFrame,
    members: pd.DataFrame,
    keys: list[str],
    freq: str,
    now: str,
    min_period_papers: int,
) -> pd.DataFrame:
    """Count and share per (period, key), on a full grid of periods x keys.

    `papers` has one row per paper (`paper_id`, `date`, `date_precision`); `members` has
    (`paper_id`, `key`) rows, a paper in several keys listed once per key. Periods run from the
    first to the last placed paper without gaps; those at or after `now`'s period are
    `partial`, those with fewer than `min_period_papers` placed papers are `small` (their
    share is too noisy to read). A paper dated too coarsely for `freq` is in no period.
    """
    papers = papers.drop_duplicates("paper_id")
    period = to_period(papers["date"], freq, papers["date_precision"])
    dated = pd.DataFrame({"paper_id": papers["paper_id"], "period": period}).dropna()
    if dated.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    as_periods = pd.PeriodIndex(dated["period"], freq=freq)
    grid_periods = [str(p) for p in pd.period_range(as_periods.min(), as_periods.max(), freq=freq)]
    totals = dated.groupby("period").size().reindex(grid_periods, fill_value=0)

    m = members.drop_duplicates(["paper_id", "key"]).merge(dated, on="paper_id")
    counts = m.groupby(["period", "key"]).size()
    grid = pd.MultiIndex.from_product([grid_periods, list(keys)], names=["period", "key"])
    out = counts.reindex(grid, fill_value=0).rename("count").reset_index()
    out["total"] = out["period"].map(totals).astype(int)
    out["share"] = (out["count"] / out["total"].where(out["total"] > 0)).round(6)
    now_period = pd.Period(now, freq=freq)
    out["partial"] = [pd.Period(p, freq=freq) >= now_period for p in out["period"]]
    out["small"] = out["total"] < min_period_papers
    return out[SERIES_COLUMNS].reset_index(drop=True)


def recent_window(series: pd.DataFrame, n_periods: int) -> list[str]:
    """The last `n_periods` complete (not partial) periods, oldest first."""
    complete = series.loc[~series["partial"].astype(bool), "period"].drop_duplicates()
    return sorted(complete)[-n_periods:]


def trend_test(values: list[float | None], alpha: float) -> dict[str, Any]:
    """Theil-Sen slope (per period, with its 1-alpha interval) and the Mann-Kendall test.

    `values` are in period order; None/NaN marks a period left out (too small), so the slope
    is fitted against the true period positions and gaps do not compress time.
    """
    y = np.array([np.nan if v is None else v for v in values], dtype=float)
    x = np.arange(len(y), dtype=float)
    ok = ~np.isnan(y)
    result: dict[str, Any] = {"n_used": int(ok.sum())}
    if ok.sum() < MIN_TEST_POINTS:
        return {
            **result,
            "direction": "insufficient data",
            "slope": None,
            "slope_low": None,
            "slope_high": None,
            "p_value": None,
            "tau": None,
        }
    if np.ptp(y[ok]) == 0:
        # A flat series (often all zeros): no trend, and MK's variance would be zero.
        return {
            **result,
            "direction": "no trend",
            "slope": 0.0,
            "slope_low": 0.0,
            "slope_high": 0.0,
            "p_value": 1.0,
            "tau": 0.0,
        }
    slope, low, high = theil_sen(y[ok], x[ok], confidence=1 - alpha)
    tau, p = mann_kendall(y[ok])
    direction = "no trend"
    if p < alpha:
        direction = "rising" if slope > 0 else "falling" if slope < 0 else "no trend"
    return {
        **result,
        "direction": direction,
        "slope": _r(slope),
        "slope_low": _r(low),
        "slope_high": _r(high),
        "p_value": _r(p),
        "tau": _r(tau),
    }


def window_stats(series: pd.DataFrame, window: list[str], alpha: float) -> dict[str, dict]:
    """Trend test of each key's share over `window`, small periods left out."""
    stats: dict[str, dict] = {}
    sub = series[series["period"].isin(window)]
    for key, g in sub.groupby("key", sort=True):
        g = g.set_index("period").reindex(window)
        usable = ~g["small"].astype(bool) & g["total"].gt(0)
        shares = [float(s) if u else None for s, u in zip(g["share"], usable, strict=True)]
        half = max(1, len(window) // 2)
        first, last = g.iloc[:half], g.iloc[-half:]
        stats[str(key)] = {
            **trend_test(shares, alpha),
            "window": [window[0], window[-1]] if window else None,
            "first_half": _half(first),
            "last_half": _half(last),
        }
    return stats


def adjust_p(stats: dict[str, dict], method: str) -> None:
    """Add `q_value` (Benjamini-Hochberg across the keys tested together) in place."""
    tested = [k for k, s in stats.items() if s["p_value"] is not None]
    if method == "none" or not tested:
        for s in stats.values():
            s["q_value"] = s["p_value"]
        return
    q = bh_adjust([stats[k]["p_value"] for k in tested])
    for s in stats.values():
        s["q_value"] = None
    for k, v in zip(tested, q, strict=True):
        stats[k]["q_value"] = _r(v)


def rising(stats: dict[str, dict], alpha: float, labels: dict[str, str]) -> list[dict]:
    """Keys whose share rose with q < alpha and a Theil-Sen interval above zero, steepest first."""
    out = []
    for key, s in stats.items():
        if s["q_value"] is None or s["q_value"] >= alpha or not s["slope_low"] > 0:
            continue
        f, last = s["first_half"], s["last_half"]
        evidence = (
            f"share rose from {f['count']} of {f['total']} papers to {last['count']} of "
            f"{last['total']} between the window's halves; Theil-Sen slope "
            f"{s['slope'] * 100:+.2f} pp/period (CI {s['slope_low'] * 100:+.2f} to "
            f"{s['slope_high'] * 100:+.2f}), Mann-Kendall p={s['p_value']:.3g}, "
            f"q={s['q_value']:.3g}, over {s['n_used']} periods"
        )
        out.append({"key": key, "label": labels.get(key, key), **s, "evidence": evidence})
    return sorted(out, key=lambda r: (-r["slope"], r["key"]))


def _half(g: pd.DataFrame) -> dict[str, Any]:
    count, total = int(g["count"].fillna(0).sum()), int(g["total"].fillna(0).sum())
    return {"count": count, "total": total, "share": _r(count / total) if total else None}


def _r(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) else round(v, 6)
