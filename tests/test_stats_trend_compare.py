"""Benchmark outcomes and tests for trend (klyngedata.stats.compare / .trend / .annotate).

Every number here is a constructed example (named CONSTRUCTED_*) checked against an independent computation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from klyngedata.stats import FigureStats, add_trends, annotate, compare
from klyngedata.stats.trend import chi2_trend_proportions, ols_trend, poisson_trend, trend_label_da, trend_test

# ---------------------------------------------------------------------------------------------- compare


@pytest.mark.parametrize(("low", "high", "bench", "polarity", "expected"), [
    (20.1, 24.0, 18.5, "low_is_good", "worse"),
    (20.1, 24.0, 18.5, "high_is_good", "better"),
    (20.1, 24.0, 18.5, "neutral", "higher"),
    (20.1, 24.0, 25.0, "low_is_good", "better"),
    (20.1, 24.0, 25.0, "neutral", "lower"),
    (20.1, 24.0, 22.0, "low_is_good", "similar"),
    (20.1, 24.0, 24.0, "high_is_good", "similar"),  # on the edge: not significant
    (None, 24.0, 22.0, "neutral", "not_compared"),
    (20.1, 24.0, float("nan"), "neutral", "not_compared"),
])
def test_compare_table(low, high, bench, polarity, expected):
    assert compare(low, high, bench, polarity) == expected


@settings(max_examples=200, deadline=None)
@given(st.floats(-100, 100), st.floats(0, 50), st.floats(-200, 200),
       st.sampled_from(["high_is_good", "low_is_good", "neutral"]))
def test_never_similar_when_benchmark_outside_interval(low, width, bench, polarity):
    high = low + width
    out = compare(low, high, bench, polarity)
    if bench < low or bench > high:
        assert out != "similar"
        assert out in (("higher", "lower") if polarity == "neutral" else ("better", "worse"))
    else:
        assert out == "similar"


def test_unknown_polarity_is_an_error():
    with pytest.raises(ValueError, match="polarity"):
        compare(1, 2, 3, "up")


# ---------------------------------------------------------------------------------------------- trend


def test_chi2_trend_equals_n_r_squared_on_individual_data():
    # Armitage: the chi-square for trend equals N r^2, r = correlation of outcome (0/1) and score over persons.
    CONSTRUCTED = [(12, 150, 2010), (20, 160, 2013), (18, 140, 2017), (30, 155, 2021)]
    y = np.concatenate([np.r_[np.ones(o), np.zeros(n - o)] for o, n, _ in CONSTRUCTED])
    t = np.concatenate([np.full(n, yr) for _, n, yr in CONSTRUCTED]).astype(float)
    r = sps.pearsonr(y, t)[0]
    z, p = chi2_trend_proportions(*zip(*CONSTRUCTED, strict=True))
    assert z**2 == pytest.approx(len(y) * r * r, rel=1e-9)
    assert p == pytest.approx(sps.chi2.sf(len(y) * r * r, 1), rel=1e-6)
    assert z > 0


def test_poisson_trend_equals_matrix_score_test():
    # Score test for beta in log mu = a + b t + log N at the null MLE, written in matrix form: U' I^-1 U.
    counts = np.array([40.0, 52.0, 49.0, 71.0])
    exposure = np.array([10000.0, 10400.0, 9900.0, 10800.0])
    t = np.array([2019.0, 2020.0, 2021.0, 2022.0])
    mu = exposure * counts.sum() / exposure.sum()
    x = np.column_stack([np.ones(4), t])
    score = x.T @ (counts - mu)
    info = x.T @ np.diag(mu) @ x
    stat = float(score @ np.linalg.solve(info, score))
    z, p = poisson_trend(counts, exposure, t)
    assert z**2 == pytest.approx(stat, rel=1e-9)
    assert p == pytest.approx(sps.chi2.sf(stat, 1), rel=1e-6)


def test_ols_trend_matches_linregress():
    CONSTRUCTED_WAVES = [2010, 2013, 2017, 2021, 2025]
    CONSTRUCTED_VALUES = [17.2, 16.1, 15.0, 13.2, 12.9]
    slope, t, p = ols_trend(CONSTRUCTED_VALUES, CONSTRUCTED_WAVES)
    ref = sps.linregress(CONSTRUCTED_WAVES, CONSTRUCTED_VALUES)
    assert slope == pytest.approx(ref.slope) and p == pytest.approx(ref.pvalue)


def test_trend_test_directions_labels_and_minimum_periods():
    r = trend_test([2010, 2013, 2017, 2021, 2025], [17.2, 16.1, 15.0, 13.2, 12.9], method="ols")
    assert r.trend == "decreasing" and r.n_periods == 5 and r.p_value < 0.05
    assert trend_label_da(r.trend, "low_is_good") == "faldende og bedre"
    assert trend_label_da("increasing", "low_is_good") == "stigende og dårligere"
    assert trend_label_da("increasing", "high_is_good") == "stigende og bedre"
    assert trend_label_da("increasing", "neutral") == "stigende"
    short = trend_test([2021, 2025], [10.0, 11.0], method="ols", labels=["2021", "2025"])
    assert short.trend == "not_computed" and "mindst 3" in short.note_da and "2021, 2025" in short.note_da
    flat = trend_test([1, 2, 3], [10.0, 12.0, 10.5], method="ols")
    assert flat.trend == "no_significant_change"
    hidden = trend_test([1, 2, 3], [1.0, np.nan, 3.0], [1.0, np.nan, 3.0], [9.0, 9.0, 9.0],
                        method="chi2_proportion")
    assert hidden.trend == "not_computed" and "skjult" in hidden.note_da


def test_covid_wave_is_named_and_sensitivity_reported():
    # Constructed: a dip only in 2021 makes the series look significant; without 2021 it is not.
    waves = ["2010", "2013", "2017", "2021", "2025"]
    caveat = {"2021": "indsamlet under covid-19-restriktioner"}
    r = trend_test([int(w) for w in waves], [15.0, 15.2, 14.9, 11.0, 14.8], method="ols", labels=waves,
                   caveats=caveat, polarity="low_is_good")
    assert "2021: indsamlet under covid-19-restriktioner" in r.note_da
    without = trend_test([2010, 2013, 2017, 2025], [15.0, 15.2, 14.9, 14.8], method="ols")
    if without.trend != r.trend:
        assert "Uden 2021 ville resultatet være" in r.note_da
    else:
        assert "Resultatet er det samme uden 2021" in r.note_da


# ---------------------------------------------------------------------------------------------- frames


def test_annotate_suppressed_rows_get_nothing():
    CONSTRUCTED = pd.DataFrame({
        "entity_level": ["cluster", "municipality", "region", "country"],
        "entity_id": ["k", "0773", "1081", "DK"], "figure_id": "x", "period": "2024",
        "value": [7.5, np.nan, 9.0, 8.0], "numerator": [30.0, np.nan, 900.0, 8000.0],
        "denominator": [400.0, np.nan, 10000.0, 100000.0], "region_value": [9.0, 9.0, 9.0, np.nan],
        "country_value": 8.0, "suppressed": [False, True, False, False]})
    spec = {"x": FigureStats(polarity="low_is_good", ci_method="wilson", per=100)}
    out = annotate(CONSTRUCTED, spec).set_index("entity_id")
    assert out.loc["0773", ["ci95_low", "ci95_high", "ci998_low", "ci998_high"]].isna().all()
    assert out.loc["0773", "vs_region"] == "not_compared" and "skjult" in out.loc["0773", "vs_region_note_da"]
    assert out.loc["1081", "vs_region"] == "not_compared" and out.loc["1081", "vs_country"] in (
        "worse", "similar", "better")
    assert out.loc["DK", "vs_country"] == "not_compared" and out.loc["DK", "vs_region"] == "not_compared"
    lo, hi = out.loc["k", "ci95_low"], out.loc["k", "ci95_high"]
    ci = sps.binomtest(30, 400).proportion_ci(method="wilson")
    assert (lo, hi) == pytest.approx((100 * ci.low, 100 * ci.high))
    # 9.0 lies above the cluster's interval (5.3-10.5)? then similar/better must follow the rule
    expected = "better" if 9.0 > hi else "similar"
    assert out.loc["k", "vs_region"] == expected
    assert out.loc["k", "vs_country"] == ("better" if 8.0 > hi else "similar")


def test_add_trends_uses_the_rows_own_series_and_period():
    CONSTRUCTED = pd.DataFrame({"entity_level": "cluster", "entity_id": "k", "figure_id": "p",
                                "period": ["2021M04", "2022M04", "2023M04", "2024M04", "2024M01"],
                                "value": [1000.0, 1100.0, 1210.0, 1331.0, 1300.0]})
    CONSTRUCTED["numerator"] = CONSTRUCTED["value"]
    spec = {"p": FigureStats(trend_method="poisson", trend_exposure=False)}
    row = CONSTRUCTED[CONSTRUCTED["period"] == "2023M04"]
    out = add_trends(row, CONSTRUCTED, spec).iloc[0]
    z, p = poisson_trend([1000.0, 1100.0, 1210.0], None, [2021.25, 2022.25, 2023.25])
    assert out["trend"] == "increasing" and out["trend_p"] == pytest.approx(p)
    assert "april 2021-april 2023" in out["trend_note_da"]
    assert math.isfinite(z)
