"""The textbook tests the trends and compare stages use, written out with numpy and the stdlib.

Importing scipy.stats takes 0.7 to 1 s on 2 cores (most of it building its distributions'
docstrings), about 3% of a weekly `dvc repro`, in each of the two stages that needed only
these few functions from it (bench/RESULTS.md, "A weekly dump's fixed costs, fifth pass").
Each follows the algorithm of the library it replaces, named in its docstring, and
tests/test_textbook_stats.py checks it against that library on thousands of inputs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()
# Probabilities of two tables count as equal within this relative error, as in R's
# fisher.test: equal ones computed along different paths differ in their last digits.
_TIE = 1 + 1e-7


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z, accurate in the far tail (unlike 1 - cdf)."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def normal_ppf(p: float) -> float:
    """The standard normal quantile (Wichura's AS241, as scipy's ndtri)."""
    return _NORMAL.inv_cdf(p)


def fisher_exact_p(table: Sequence[Sequence[int]]) -> float:
    """Two-sided p of Fisher's exact test on a 2x2 table: the probability, given the margins,
    of every table no more likely than the observed one (scipy.stats.fisher_exact's
    definition). Probabilities come from the ratio of consecutive hypergeometric terms, in
    log space, so no factorial is formed and a 100,000-paper margin costs a numpy pass."""
    (a, b), (c, d) = table
    row1, row2, col1 = a + b, c + d, a + c
    if 0 in (row1, row2, col1, b + d):
        return 1.0
    lo, hi = max(0, col1 - row2), min(col1, row1)
    x = np.arange(lo, hi, dtype=np.float64)  # each term's ratio to the next
    step = np.log((row1 - x) * (col1 - x)) - np.log((x + 1) * (row2 - col1 + x + 1))
    log_p = np.concatenate([[0.0], np.cumsum(step)])
    log_p -= log_p.max()
    keep = log_p <= log_p[a - lo] + math.log(_TIE)
    p = np.exp(log_p)
    return float(min(1.0, p[keep].sum() / p.sum()))


def bh_adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values in the input order (scipy's
    false_discovery_control(method="bh"), operation for operation)."""
    ps = np.asarray(p_values, dtype=float)
    if ps.size == 0:
        return []
    order = np.argsort(ps)
    adjusted = ps[order] * (ps.size / np.arange(1, ps.size + 1))
    adjusted = np.minimum.accumulate(adjusted[::-1])[::-1].clip(0, 1)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return [float(q) for q in out]


def mann_kendall(y: Sequence[float]) -> tuple[float, float]:
    """(tau, two-sided p) of the Mann-Kendall trend test with the tie-corrected variance and
    the continuity correction (pymannkendall.original_test; its p is 2 * (1 - cdf), which
    loses the digits of a small p, so this one takes the tail itself)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    s = float(sum(np.sign(y[k + 1 :] - y[k]).sum() for k in range(n - 1)))
    ties = np.asarray(list(Counter(y.tolist()).values()), dtype=float)
    var_s = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18
    z = 0.0 if s == 0 else (s - math.copysign(1, s)) / math.sqrt(var_s)
    return s / (0.5 * n * (n - 1)), 2 * normal_sf(abs(z))


def theil_sen(y: Sequence[float], x: Sequence[float], confidence: float) -> tuple[float, ...]:
    """(slope, low, high): the median of pairwise slopes and Sen's (1968) interval
    (scipy.stats.theilslopes, its default method)."""
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    dx, dy = x[:, None] - x, y[:, None] - y
    slopes = np.sort(dy[dx > 0] / dx[dx > 0])
    z = normal_ppf((1 - confidence) / 2)
    ny, nt = len(y), len(slopes)
    var = ny * (ny - 1) * (2 * ny + 5)
    for values in (x, y):
        var -= sum(k * (k - 1) * (2 * k + 5) for k in Counter(values.tolist()).values() if k > 1)
    sigma = math.sqrt(1 / 18 * var)
    high = min(int(np.round((nt - z * sigma) / 2)), nt - 1)
    low = max(int(np.round((nt + z * sigma) / 2)) - 1, 0)
    return float(np.median(slopes)), float(slopes[low]), float(slopes[high])
