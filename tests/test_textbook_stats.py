"""pipeline/stats/textbook.py against the libraries whose algorithms it follows."""

from __future__ import annotations

import numpy as np
import pymannkendall
import pytest
from scipy import stats

from pipeline.stats import textbook

RNG = np.random.default_rng(7)


def tables():
    """Small, lopsided, tied (equal margins make mirror-image tables equally likely), zero
    margins, and margins of the size a 100,000-paper comparison has."""

    def table(a, n1, c, n2):
        return [[int(a), int(n1 - a)], [int(c), int(n2 - c)]]

    for _ in range(3000):
        n1, n2 = RNG.integers(0, 80, size=2)
        yield table(RNG.integers(0, n1 + 1), n1, RNG.integers(0, n2 + 1), n2)
    for n in (10, 20, 60, 61):
        for a in range(n + 1):
            yield table(a, n, n - a, n)
    for _ in range(200):
        n1, n2 = RNG.integers(20_000, 120_000, size=2)
        share = RNG.uniform(0.001, 0.3)
        a, c = RNG.binomial(n1, share), RNG.binomial(n2, share * RNG.uniform(0.9, 1.1))
        yield table(a, n1, c, n2)


def test_fisher_exact_gives_scipys_p():
    worst = 0.0
    for table in tables():
        ours = textbook.fisher_exact_p(table)
        theirs = stats.fisher_exact(table).pvalue
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-300), table
        worst = max(worst, abs(ours - theirs))
    assert worst < 1e-10


def test_fisher_exact_on_textbook_tables():
    assert textbook.fisher_exact_p([[3, 1], [1, 3]]) == pytest.approx(0.4857142857)
    assert textbook.fisher_exact_p([[0, 5], [0, 7]]) == 1.0  # a zero column: nothing to test
    assert textbook.fisher_exact_p([[10, 0], [0, 10]]) == pytest.approx(2 / 184756)


def test_normal_tail_and_quantile_give_scipys():
    z = np.concatenate([np.linspace(-8, 8, 801), [0.0, 1e-9, 20.0, 37.0]])
    for v in z:
        assert textbook.normal_sf(v) == pytest.approx(stats.norm.sf(v), rel=1e-13, abs=1e-300)
    for p in np.concatenate([np.linspace(1e-6, 1 - 1e-6, 999), [1e-12, 0.025, 0.975, 0.8]]):
        assert textbook.normal_ppf(p) == pytest.approx(stats.norm.ppf(p), rel=1e-12)


def test_bh_adjust_gives_scipys_q_values_exactly():
    for n in (1, 2, 5, 40, 300):
        ps = RNG.uniform(size=n) ** 3
        ps[: n // 4] = ps[0]  # ties
        ours = textbook.bh_adjust(ps.tolist())
        assert ours == stats.false_discovery_control(ps, method="bh").tolist()
    assert textbook.bh_adjust([]) == []


def series():
    for n in range(4, 40):
        yield RNG.uniform(size=n)
        yield np.round(RNG.uniform(size=n), 1)  # ties
        yield RNG.integers(0, 3, size=n).astype(float)  # mostly ties
        yield np.arange(n) * 0.01 + RNG.normal(scale=0.02, size=n)  # a trend


def test_mann_kendall_gives_pymannkendalls_tau_and_p():
    for y in series():
        if np.ptp(y) == 0:
            continue  # the caller reports a flat series itself (its variance is zero)
        tau, p = textbook.mann_kendall(y)
        ref = pymannkendall.original_test(y)
        assert tau == pytest.approx(ref.Tau, rel=1e-12)
        # pymannkendall's 2 * (1 - cdf) loses a small p's digits; ours takes the tail.
        assert p == pytest.approx(ref.p, rel=1e-9, abs=1e-14)


def test_theil_sen_gives_scipys_slope_and_interval():
    for y in series():
        x = np.arange(len(y), dtype=float)
        keep = RNG.uniform(size=len(y)) > 0.2  # gaps: periods left out
        if keep.sum() < 2:
            continue
        for conf in (0.9, 0.95):
            ours = textbook.theil_sen(y[keep], x[keep], confidence=conf)
            ref = stats.theilslopes(y[keep], x[keep], alpha=conf)
            assert ours == (ref.slope, ref.low_slope, ref.high_slope)
