"""Interval methods of klyngedata.stats.intervals against values computed independently in the test.

Constructed counts (named CONSTRUCTED_*) only; the real files are tested in test_stats_outcomes.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps

from klyngedata.standardise import direct_standardise
from klyngedata.stats.intervals import (
    byar_interval,
    exact_binomial_interval,
    figure_interval,
    gamma_interval,
    poisson_interval,
    wilson_interval,
)

CONSTRUCTED_PROPORTIONS = [(0, 10), (1, 10), (3, 7), (30, 400), (400, 400), (54389, 62723), (12, 5000)]


def _wilson_by_hand(x: float, n: float, conf: float) -> tuple[float, float]:
    z = sps.norm.ppf(1 - (1 - conf) / 2)
    p = x / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / denom, (centre + half) / denom


@pytest.mark.parametrize(("x", "n"), CONSTRUCTED_PROPORTIONS)
@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_wilson_matches_hand_formula_and_scipy(x, n, conf):
    lo, hi = wilson_interval(x, n, conf)
    hand = _wilson_by_hand(x, n, conf)
    assert lo == pytest.approx(max(hand[0], 0.0), abs=1e-12)
    assert hi == pytest.approx(min(hand[1], 1.0), abs=1e-12)
    ci = sps.binomtest(x, n).proportion_ci(confidence_level=conf, method="wilson")
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-9)


@pytest.mark.parametrize(("x", "n"), CONSTRUCTED_PROPORTIONS)
def test_exact_binomial_matches_scipy_clopper_pearson(x, n):
    ci = sps.binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    assert exact_binomial_interval(x, n) == pytest.approx((ci.low, ci.high), abs=1e-9)


def _poisson_by_root(x: int, conf: float) -> tuple[float, float]:
    """Garwood limits found by solving P(X >= x; mu) = a/2 and P(X <= x; mu) = a/2 (no chi-square)."""
    a = 1 - conf
    lo = 0.0 if x == 0 else optimize.brentq(lambda m: sps.poisson.sf(x - 1, m) - a / 2, 1e-12, 10 * x + 50)
    hi = optimize.brentq(lambda m: sps.poisson.cdf(x, m) - a / 2, 1e-12, 10 * x + 50)
    return lo, hi


@pytest.mark.parametrize("x", [0, 1, 4, 10, 57, 300])
@pytest.mark.parametrize("conf", [0.95, 0.998])
def test_exact_poisson_matches_root_solving(x, conf):
    assert poisson_interval(x, conf) == pytest.approx(_poisson_by_root(x, conf), rel=1e-7, abs=1e-9)


def test_byar_by_hand_and_close_to_exact():
    z = sps.norm.ppf(0.975)
    o = 25
    lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    assert byar_interval(o) == pytest.approx((lo, hi))
    assert byar_interval(o) == pytest.approx(poisson_interval(o), rel=0.01)


def test_gamma_one_stratum_reduces_to_exact_poisson():
    # Fay & Feuer with a single stratum (constant weight w) is the exact Poisson interval scaled by w.
    w, d = 1 / 5000, 37
    lo, hi = gamma_interval(w * d, w * w * d, w)
    plo, phi = poisson_interval(d)
    assert (lo, hi) == pytest.approx((w * plo, w * phi), rel=1e-9)


def test_direct_standardise_uses_the_same_gamma_interval():
    import pandas as pd

    CONSTRUCTED = pd.DataFrame({"age_group": ["0-64", "65+"], "numerator": [10, 40],
                                "denominator": [10000, 5000]})
    std = pd.DataFrame({"age_group": ["0-64", "65+"], "population": [6000, 4000]})
    r = direct_standardise(CONSTRUCTED, std, strata=["age_group"], per=1000).iloc[0]
    w = np.array([0.6 / 10000, 0.4 / 5000])
    d = np.array([10, 40])
    lo, hi = gamma_interval(float((w * d).sum()), float((w * w * d).sum()), float(w.max()))
    assert (r["lower"], r["upper"]) == pytest.approx((lo * 1000, hi * 1000))


def test_figure_interval_scales_to_the_value():
    lo, hi = figure_interval("wilson", 30, 400, per=100)
    w = wilson_interval(30, 400)
    assert (lo, hi) == pytest.approx((100 * w[0], 100 * w[1]))
    lo, hi = figure_interval("poisson", 12, 3000, per=1000)
    p = poisson_interval(12)
    assert (lo, hi) == pytest.approx((p[0] / 3000 * 1000, p[1] / 3000 * 1000))
    # vectorised, missing input -> NaN
    lo, hi = figure_interval("wilson", np.array([30.0, np.nan]), np.array([400.0, 10.0]), per=100)
    assert math.isnan(lo[1]) and math.isnan(hi[1]) and lo[0] == pytest.approx(100 * w[0])
    with pytest.raises(ValueError, match="unknown interval method"):
        figure_interval("normal", 1, 2)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2000), st.integers(1, 2000))
def test_wilson_contains_the_estimate_and_nests(x, n):
    x = min(x, n)
    lo95, hi95 = wilson_interval(x, n, 0.95)
    lo998, hi998 = wilson_interval(x, n, 0.998)
    assert 0 <= lo998 <= lo95 <= x / n <= hi95 <= hi998 <= 1
