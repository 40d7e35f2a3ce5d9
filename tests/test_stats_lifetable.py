"""Abridged life tables (klyngedata.stats.lifetable) against a published example and a hand computation.

Every input here is CONSTRUCTED (named so); no real deaths or populations are used.

* CONSTRUCTED_PHE_EXAMPLE is the worked example of Public Health England's life expectancy calculator as
  published with UKHSA's R package PHEindicatormethods (tests/testthat/testLifeExpectancy.R, ``df1`` and
  ``answer1``; the method of ``phe_life_expectancy``: Chiang II, a0 = 0.1, 90+ open, Silcocks et al. for the
  open band's variance). The expected values below are that file's, not this package's output.
* CONSTRUCTED_HAND is a six-band table computed by hand (exact fractions, outside the package) with every
  column shown, including a band with no deaths and the open top band.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from klyngedata.exceptions import DataFormatError
from klyngedata.stats import lifetable
from klyngedata.stats.lifetable import (
    RESULT_COLUMNS,
    close_open_top,
    life_expectancies,
    life_expectancy,
    life_table,
)

# --------------------------------------------------------------------------------------------------
# the published example (PHE life expectancy calculator, via PHEindicatormethods' tests)
# --------------------------------------------------------------------------------------------------
CONSTRUCTED_PHE_EXAMPLE = pd.DataFrame({
    "age_start": [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
    "person_years": [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416, 46411,
                     39820, 37978, 37039, 33288, 23306, 11936, 11936],
    "deaths": [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937],
})
PHE_EX = [80.16960813, 79.36245674, 75.44193645, 70.47299936, 65.52909542, 60.67510088, 55.78835987, 50.92752727,
          46.06740425, 41.24505636, 36.49322717, 31.83343842, 27.26027992, 22.9719144, 18.76856852, 14.95858336,
          11.51684445, 8.618849241, 6.163942934, 6.16210635]
PHE_LOW = [79.88268548, 79.0898816, 75.17407307, 70.20675732, 65.26548673, 60.41876577, 55.53801579, 50.68279939,
           45.82666794, 41.00842831, 36.26223216, 31.60996318, 27.04337271, 22.76653134, 18.57570352, 14.77985004,
           11.34831778, 8.451134045, 5.978358351, 5.887683386]
PHE_HIGH = [80.45653078, 79.63503188, 75.70979983, 70.7392414, 65.79270412, 60.931436, 56.03870395, 51.17225516,
            46.30814055, 41.48168441, 36.72422219, 32.05691365, 27.47718713, 23.17729746, 18.96143352, 15.13731667,
            11.68537112, 8.786564437, 6.349527517, 6.436529314]


def test_reproduces_the_published_phe_example():
    t = life_table(CONSTRUCTED_PHE_EXAMPLE)
    assert t["ex"].to_numpy() == pytest.approx(PHE_EX, abs=1e-7)
    # the published limits are e +/- 1.96 se (the package uses the exact normal quantile 1.95996...):
    # the standard error agrees to 1e-7 years and the limits to 1e-4 years (PHEindicatormethods' own tolerance)
    se_published = (np.array(PHE_HIGH) - np.array(PHE_LOW)) / (2 * 1.96)
    assert np.sqrt(t["var_ex"].to_numpy()) == pytest.approx(se_published, abs=1e-7)
    assert t["ci95_low"].to_numpy() == pytest.approx(PHE_LOW, abs=1e-4)
    assert t["ci95_high"].to_numpy() == pytest.approx(PHE_HIGH, abs=1e-4)
    at_birth, at_65 = life_expectancy(CONSTRUCTED_PHE_EXAMPLE), life_expectancy(CONSTRUCTED_PHE_EXAMPLE, 65)
    def rounded(r):
        return round(r.value, 2), round(r.ci95_low, 2), round(r.ci95_high, 2)

    assert rounded(at_birth) == (80.17, 79.88, 80.46)
    assert rounded(at_65) == (18.77, 18.58, 18.96)
    # the counts a result reports are those it uses: all ages at birth, 65+ at 65
    assert (at_birth.deaths, at_birth.person_years) == (9357.0, 787954.0)
    assert (at_65.deaths, at_65.person_years) == (536 + 872 + 1390 + 1605 + 1936 + 1937,
                                                  37978 + 37039 + 33288 + 23306 + 11936 + 11936)


def test_band_order_does_not_matter():
    shuffled = CONSTRUCTED_PHE_EXAMPLE.sample(frac=1, random_state=3)
    assert life_table(shuffled)["ex"].to_numpy() == pytest.approx(PHE_EX, abs=1e-7)


# --------------------------------------------------------------------------------------------------
# a table computed by hand, every column shown
# --------------------------------------------------------------------------------------------------
# Band 5-14 has no deaths; 85+ is the open band. a0 = 0.1, otherwise a = n/2; open band a = 1/M, L = l/M.
#   q = n M / (1 + (n - a) M);  l(x+n) = l (1 - q);  d = l q;  L = n l(x+n) + a d;  T = sum of L from x;  e = T / l
#   var(q) = q^2 (1 - q) / D (0 when D = 0);  term = l^2 ((n - a) + e(x+n))^2 var(q);  open term = l^2 / (D M^2)
#   var(e_x) = (sum of terms from x) / l_x^2
CONSTRUCTED_HAND = pd.DataFrame({
    "age_start": [0, 1, 5, 15, 65, 85],
    "age_end": [0, 4, 14, 64, 84, None],
    "deaths": [3, 1, 0, 120, 900, 600],
    "person_years": [1000, 4000, 10000, 50000, 20000, 4000],
})
HAND = {  # computed by hand with exact fractions; 10 significant digits
    "n":      [1, 4, 10, 50, 20, np.nan],
    "mx":     [0.003, 0.00025, 0.0, 0.0024, 0.045, 0.15],
    "ax":     [0.1, 2.0, 5.0, 25.0, 10.0, 6.666666667],
    "qx":     [0.002991921811, 0.0009995002499, 0.0, 0.1132075472, 0.6206896552, 1.0],
    "lx":     [100000.0, 99700.80782, 99601.15684, 99601.15684, 88325.55418, 33502.79641],
    "dx":     [299.1921811, 99.65098233, 0.0, 11275.60266, 54822.75776, 33502.79641],
    "Lx":     [99730.72704, 398603.9293, 996011.5684, 4698167.775, 1218283.506, 223351.9761],
    "Tx":     [7634149.482, 7534418.755, 7135814.826, 6139803.257, 1441635.482, 223351.9761],
    "ex":     [76.34149482, 75.57028794, 71.64389503, 61.64389503, 16.32183908, 6.666666667],
    "var_qx": [2.97494e-06, 9.98002e-07, 0.0, 9.47091e-05, 0.000162368, np.nan],
    "term":   [173965589.5, 53802489.88, 0.0, 1604277725.0, 351861243.7, 83143508.7],
    "var_ex": [0.2267050556, 0.2105666094, 0.2055647395, 0.2055647395, 0.05575980671, 0.07407407407],
}


def test_hand_computed_table_every_column():
    t = life_table(CONSTRUCTED_HAND)
    assert list(t.columns) == list(lifetable.LIFE_TABLE_COLUMNS)
    for col in ("n", "mx", "ax", "qx", "lx", "dx", "Lx", "Tx", "ex", "var_ex"):
        assert t[col].to_numpy() == pytest.approx(HAND[col], rel=1e-8, nan_ok=True), col
    assert t["var_qx"].to_numpy()[:-1] == pytest.approx(HAND["var_qx"][:-1], rel=1e-5)
    # the variance of e_x is the sum of the band terms from x on, over l_x^2
    terms = np.array(HAND["term"])
    lx = np.array(HAND["lx"])
    assert t["var_ex"].to_numpy() == pytest.approx(np.cumsum(terms[::-1])[::-1] / lx**2, rel=1e-8)
    assert t["age_end"].tolist()[:-1] == [0, 4, 14, 64, 84] and pd.isna(t["age_end"].iloc[-1])
    # the open band: q = 1, L = l / M, e = 1 / M, variance 1 / (D M^2)
    assert t["ex"].iloc[-1] == pytest.approx(1 / 0.15)
    assert t["var_ex"].iloc[-1] == pytest.approx(1 / (600 * 0.15**2))


def test_hand_computed_life_expectancy_and_interval():
    r0, r65 = life_expectancy(CONSTRUCTED_HAND), life_expectancy(CONSTRUCTED_HAND, 65)
    z = 1.959963984540054
    assert r0.value == pytest.approx(76.34149482, abs=1e-7)
    assert r0.se == pytest.approx(math.sqrt(0.2267050556), rel=1e-8)
    assert (r0.ci95_low, r0.ci95_high) == pytest.approx((76.34149482 - z * math.sqrt(0.2267050556),
                                                         76.34149482 + z * math.sqrt(0.2267050556)), abs=1e-7)
    assert (round(r0.ci95_low, 2), round(r0.ci95_high, 2)) == (75.41, 77.27)
    assert r65.value == pytest.approx(16.32183908, abs=1e-7)
    assert r65.se == pytest.approx(math.sqrt(0.05575980671), rel=1e-8)
    assert (r65.deaths, r65.person_years, r65.note_da, r65.method) == (1500.0, 24000.0, "", "chiang_ii")
    assert list(r0.as_dict()) == list(RESULT_COLUMNS)
    z998 = sps.norm.ppf(0.999)
    assert (r0.ci998_low, r0.ci998_high) == pytest.approx((r0.value - z998 * r0.se, r0.value + z998 * r0.se))
    assert r0.ci95_low == pytest.approx(r0.value - sps.norm.ppf(0.975) * r0.se)


def test_zero_deaths_band_contributes_no_variance_and_full_survival():
    t = life_table(CONSTRUCTED_HAND).set_index("age_start")
    assert t.loc[5, "qx"] == 0 and t.loc[5, "dx"] == 0 and t.loc[5, "var_qx"] == 0
    assert t.loc[5, "lx"] == t.loc[15, "lx"]
    assert t.loc[5, "Lx"] == pytest.approx(10 * t.loc[5, "lx"])


def test_a0_is_a_parameter():
    t = life_table(CONSTRUCTED_HAND, a0=0.3)
    q0 = 0.003 / (1 + 0.7 * 0.003)
    assert t["qx"].iloc[0] == pytest.approx(q0)
    assert t["Lx"].iloc[0] == pytest.approx(100000 * (1 - q0) + 0.3 * 100000 * q0)


# --------------------------------------------------------------------------------------------------
# what cannot be computed, and the stability rule
# --------------------------------------------------------------------------------------------------
def _with(**changes: list) -> pd.DataFrame:
    return CONSTRUCTED_HAND.assign(**changes)


def test_zero_person_years_refused_with_the_band_named():
    bands = _with(person_years=[1000, 4000, 0, 50000, 20000, 4000], deaths=[3, 1, 0, 120, 900, 600])
    with pytest.raises(DataFormatError, match="5-14 år"):
        life_table(bands)
    r = life_expectancy(bands)
    assert math.isnan(r.value) and math.isnan(r.ci95_low) and "5-14 år" in r.note_da
    assert r.person_years == 79000.0
    # life expectancy at 65 does not use the younger bands and is still computed
    assert life_expectancy(bands, 65).value == pytest.approx(16.32183908, abs=1e-7)


def test_open_band_without_deaths_gives_no_value():
    r = life_expectancy(_with(deaths=[3, 1, 0, 120, 900, 0]))
    assert math.isnan(r.value) and "85 år og derover" in r.note_da


def test_missing_count_gives_no_value_never_a_partial_table():
    r = life_expectancy(_with(deaths=[3, 1, 0, np.nan, 900, 600]))
    assert math.isnan(r.value) and math.isnan(r.deaths) and "mangler" in r.note_da
    assert life_expectancy(_with(deaths=[3, 1, 0, np.nan, 900, 600]), 65).value == pytest.approx(16.32183908)


def test_impossible_death_count_gives_no_value():
    # a M > 1: 30 deaths in 10 person-years of a 10-year band (q would exceed 1)
    r = life_expectancy(_with(deaths=[3, 1, 30, 120, 900, 600], person_years=[1000, 4000, 10, 50000, 20000, 4000]))
    assert math.isnan(r.value) and "5-14 år" in r.note_da


def test_too_few_person_years_gives_no_value():
    small = _with(person_years=[100, 400, 1000, 2000, 1000, 400], deaths=[0, 0, 0, 5, 45, 60])
    r = life_expectancy(small)
    assert math.isnan(r.value) and "5.000 personår" in r.note_da and r.person_years == 4900.0
    assert not math.isnan(life_expectancy(small, min_person_years=4900).value)


def test_wide_interval_gives_no_value_and_min_deaths_is_applied():
    # CONSTRUCTED: 14,510 person-years but 3 deaths in all, one of them in the open band: the open band's
    # variance 1 / (D M^2) = 100 alone makes the 95 % interval about 38 years wide
    sparse = pd.DataFrame({"age_start": [0, 1, 5, 65, 85], "deaths": [0, 0, 0, 2, 1],
                           "person_years": [500, 2000, 11000, 1000, 10]})
    r = life_expectancy(sparse)
    assert math.isnan(r.value) and math.isnan(r.ci95_low) and "bredere end 20 år" in r.note_da
    assert (r.deaths, r.person_years) == (3.0, 14510.0)
    shown = life_expectancy(sparse, max_ci_width=math.inf)
    assert 30 < shown.ci95_high - shown.ci95_low < 45
    assert math.isnan(life_expectancy(CONSTRUCTED_HAND, max_ci_width=1.5).value)
    assert "dødsfald" in life_expectancy(CONSTRUCTED_HAND, min_deaths=2000).note_da


@pytest.mark.parametrize(("bands", "message"), [
    (pd.DataFrame({"age_start": [1, 5], "deaths": [1, 2], "person_years": [10, 20]}), "start at age 0"),
    (pd.DataFrame({"age_start": [0, 0, 5], "deaths": [1, 1, 2], "person_years": [10, 10, 20]}), "twice"),
    (pd.DataFrame({"age_start": [0, 5], "age_end": [3, None], "deaths": [1, 2], "person_years": [10, 20]}),
     "contiguous"),
    (pd.DataFrame({"age_start": [0, 5], "age_end": [4, 9], "deaths": [1, 2], "person_years": [10, 20]}),
     "contiguous"),
    (pd.DataFrame({"age_start": [0, 5], "deaths": [1, -2], "person_years": [10, 20]}), "negative deaths"),
    (pd.DataFrame({"age_start": [0, 5], "deaths": [1, 2]}), "person_years"),
])
def test_malformed_bands_are_refused(bands, message):
    with pytest.raises(DataFormatError, match=message):
        life_expectancy(bands)


def test_age_must_be_a_band_start():
    with pytest.raises(ValueError, match="not the start of a band"):
        life_expectancy(CONSTRUCTED_HAND, 60)


# --------------------------------------------------------------------------------------------------
# grouping, pooling, closing the open band
# --------------------------------------------------------------------------------------------------
def test_pooled_area_is_not_the_mean_of_its_members():
    # CONSTRUCTED: a large area with low mortality and a small one with high mortality
    area_a = CONSTRUCTED_HAND.assign(area="A", deaths=CONSTRUCTED_HAND["deaths"] * 3,
                                     person_years=CONSTRUCTED_HAND["person_years"] * 4)
    area_b = CONSTRUCTED_HAND.assign(area="B", deaths=[2, 1, 1, 60, 300, 150],
                                     person_years=[300, 1200, 3000, 12000, 4000, 700])
    both = pd.concat([area_a, area_b], ignore_index=True)
    per_area = life_expectancies(both, by=["area"], ages=[0, 65])
    assert list(per_area.columns) == ["area", *RESULT_COLUMNS]
    e_a, e_b = per_area.loc[per_area["age"] == 0, "value"].tolist()
    pooled = life_expectancy(both.groupby("age_start", as_index=False)[["deaths", "person_years"]].sum())
    # the unit's value is the life table of the pooled deaths and person-years
    unit = life_expectancies(both.assign(unit="AB"), by=["unit"], ages=[0]).iloc[0]
    assert unit["value"] == pytest.approx(pooled.value)
    assert unit["deaths"] == both["deaths"].sum()
    assert abs(pooled.value - (e_a + e_b) / 2) > 0.5
    assert min(e_a, e_b) < pooled.value < max(e_a, e_b)


def test_close_open_top_pools_the_oldest_bands():
    ninety_five = CONSTRUCTED_PHE_EXAMPLE.copy()
    ninety_five.loc[19, ["deaths", "person_years"]] = [1200, 9000]
    extra = pd.DataFrame({"age_start": [95], "deaths": [737], "person_years": [2936]})
    split = pd.concat([ninety_five, extra], ignore_index=True)
    closed = close_open_top(split, 90)
    assert closed["age_start"].tolist() == CONSTRUCTED_PHE_EXAMPLE["age_start"].tolist()
    assert life_table(closed)["ex"].to_numpy() == pytest.approx(PHE_EX, abs=1e-7)
    with_nan = split.assign(deaths=split["deaths"].where(split["age_start"] != 95))
    assert close_open_top(with_nan, 90)["deaths"].isna().tolist() == [False] * 19 + [True]
    with pytest.raises(ValueError, match="not a band start"):
        close_open_top(split, 92)


def test_close_open_top_keeps_age_end_and_groups():
    two = pd.concat([CONSTRUCTED_HAND.assign(area=a) for a in ("A", "B")], ignore_index=True)
    closed = close_open_top(two, 65, by=["area"])
    assert closed.groupby("area").size().tolist() == [5, 5]
    assert closed["age_end"].isna().tolist() == [False] * 4 + [True] + [False] * 4 + [True]
    one = closed[closed["area"] == "A"]
    assert one.loc[one["age_start"] == 65, "deaths"].item() == 1500
    # with 65+ as the open band, life expectancy at 65 is 1 / M = 24,000 person-years / 1,500 deaths
    assert life_expectancy(one, 65, min_person_years=0).value == pytest.approx(24000 / 1500)


# --------------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------------
_STARTS = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]


@st.composite
def _tables(draw):
    py = draw(st.lists(st.floats(500, 50_000), min_size=20, max_size=20))
    rates = draw(st.lists(st.floats(0, 0.05), min_size=19, max_size=19))
    top = draw(st.floats(0.05, 0.5))
    deaths = [r * p for r, p in zip([*rates, top], py, strict=True)]
    return pd.DataFrame({"age_start": _STARTS, "deaths": deaths, "person_years": py})


@settings(max_examples=60, deadline=None)
@given(_tables(), st.floats(1.01, 3.0))
def test_higher_mortality_at_every_age_lowers_every_life_expectancy(bands, factor):
    base = life_table(bands)
    worse = life_table(bands.assign(deaths=bands["deaths"] * factor))
    assert (worse["ex"].to_numpy() < base["ex"].to_numpy()).all()


@settings(max_examples=40, deadline=None)
@given(_tables(), st.floats(1.5, 10.0))
def test_more_person_years_same_rates_same_value_smaller_variance(bands, k):
    base = life_table(bands)
    bigger = life_table(bands.assign(deaths=bands["deaths"] * k, person_years=bands["person_years"] * k))
    assert bigger["ex"].to_numpy() == pytest.approx(base["ex"].to_numpy(), rel=1e-9)
    assert bigger["var_ex"].to_numpy() == pytest.approx(base["var_ex"].to_numpy() / k, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(_tables())
def test_life_expectancy_at_a_band_start_is_the_tables_row(bands):
    t = life_table(bands).set_index("age_start")
    for age in (0, 65, 90):
        r = life_expectancy(bands, age, min_person_years=0, max_ci_width=math.inf)
        assert r.value == pytest.approx(t.loc[age, "ex"], rel=1e-12)
        assert r.se == pytest.approx(math.sqrt(t.loc[age, "var_ex"]), rel=1e-12)


def test_docstring_examples():
    assert doctest.testmod(lifetable, raise_on_error=False).failed == 0
