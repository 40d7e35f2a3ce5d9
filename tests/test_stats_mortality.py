"""Standardised mortality (klyngedata.stats.mortality) against hand computations.

Every input here is CONSTRUCTED (named so). The exact Poisson limits of a count are taken from scipy's
chi-square quantiles in the test (Garwood: chi2(a/2, 2O)/2 and chi2(1-a/2, 2O+2)/2), independently of the
package's interval code.
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
from klyngedata.stats import mortality
from klyngedata.stats.mortality import (
    DSR_COLUMNS,
    ESP2013,
    SMR_COLUMNS,
    add_both_sexes,
    esp2013_weights,
    premature_mortality_rate,
    standardised_death_rate,
    standardised_mortality_ratio,
)

# --------------------------------------------------------------------------------------------------
# the standard
# --------------------------------------------------------------------------------------------------


def test_esp2013_is_eurostats_published_standard():
    # Eurostat 2013 (KS-RA-13-028): 0 and 1-4, then 5-year bands to 90-94, and 95+; 100,000 in all
    assert ESP2013["weight"].sum() == 100_000
    assert ESP2013["weight"].tolist() == [1000, 4000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
                                          7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 800, 200]
    assert ESP2013["age_start"].tolist() == [0, 1, *range(5, 100, 5)]
    assert pd.isna(ESP2013["age_end"].iloc[-1]) and ESP2013["age_end"].iloc[-2] == 94


def test_weights_of_the_usual_bands():
    # 0-4, 5-9, ..., 85-89, 90+: the 19-band form (0-4 = 0 + 1-4, 90+ = 90-94 + 95+)
    w = esp2013_weights([0, *range(5, 95, 5)])
    assert w["weight"].tolist() == [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000,
                                    5500, 5000, 4000, 2500, 1500, 1000]
    # 0 and 1-4 keep their own weights; an open 85+ gets 85-89 + 90-94 + 95+
    w = esp2013_weights([0, 1, 5, 85])
    assert w["weight"].tolist() == [1000, 4000, 5500 * 3 + 6000 * 2 + 6500 + 7000 * 4 + 6500 + 6000 + 5500 + 5000
                                    + 4000 + 2500, 2500]
    # bands above 95 are pooled into the standard's 95+
    w = esp2013_weights([0, 95, 100])
    assert w["stratum"].tolist() == [0, 95, 95] and w["weight"].tolist() == [99800, 200, 200]


def test_edges_that_do_not_fit_the_standard_are_refused_by_name():
    with pytest.raises(DataFormatError, match=r"edge\(s\) \[3, 8\]"):
        esp2013_weights([0, 3, 8, 10])
    with pytest.raises(DataFormatError, match=r"\[67\]"):
        esp2013_weights([0, 67])


# --------------------------------------------------------------------------------------------------
# directly standardised rate, by hand
# --------------------------------------------------------------------------------------------------
# Bands 0-4, 5-44, 45-64, 65-84, 85+. ESP 2013 weights (out of 100,000):
#   0-4 = 1000 + 4000 = 5000; 5-44 = 3 x 5500 + 2 x 6000 + 6500 + 2 x 7000 = 49000;
#   45-64 = 7000 + 7000 + 6500 + 6000 = 26500; 65-84 = 5500 + 5000 + 4000 + 2500 = 17000; 85+ = 1500 + 800 + 200
CONSTRUCTED_AREA = pd.DataFrame({
    "age_start": [0, 5, 45, 65, 85],
    "deaths": [2, 10, 60, 400, 500],
    "person_years": [5000, 40000, 25000, 15000, 3000],
})
SHARES = [0.05, 0.49, 0.265, 0.17, 0.025]
DSR_BY_HAND = (0.05 * 2 / 5000 + 0.49 * 10 / 40000 + 0.265 * 60 / 25000 + 0.17 * 400 / 15000
               + 0.025 * 500 / 3000)  # = 0.00947850 per person
VAR_BY_HAND = ((0.05 / 5000) ** 2 * 2 + (0.49 / 40000) ** 2 * 10 + (0.265 / 25000) ** 2 * 60
               + (0.17 / 15000) ** 2 * 400 + (0.025 / 3000) ** 2 * 500)


def _dobson(dsr: float, var: float, observed: float, conf: float) -> tuple[float, float]:
    a = 1 - conf
    o_low, o_high = sps.chi2.ppf(a / 2, 2 * observed) / 2, sps.chi2.ppf(1 - a / 2, 2 * observed + 2) / 2
    f = math.sqrt(var / observed)
    return dsr + f * (o_low - observed), dsr + f * (o_high - observed)


def test_dsr_by_hand():
    r = standardised_death_rate(CONSTRUCTED_AREA).iloc[0]
    assert list(r.index) == list(DSR_COLUMNS)
    assert DSR_BY_HAND * 1e5 == pytest.approx(947.85, abs=0.005)
    assert r["value"] == pytest.approx(DSR_BY_HAND * 1e5, rel=1e-12)
    low, high = _dobson(DSR_BY_HAND, VAR_BY_HAND, 972, 0.95)
    assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((low * 1e5, high * 1e5), rel=1e-12)
    low, high = _dobson(DSR_BY_HAND, VAR_BY_HAND, 972, 0.998)
    assert (r["ci998_low"], r["ci998_high"]) == pytest.approx((low * 1e5, high * 1e5), rel=1e-12)
    assert (r["deaths"], r["person_years"], r["per"], r["method"], r["note_da"]) == (972, 88000, 1e5, "dsr_dobson", "")
    assert r["crude_rate"] == pytest.approx(972 / 88000 * 1e5)


def test_dsr_gamma_interval_by_hand():
    r = standardised_death_rate(CONSTRUCTED_AREA, method="gamma").iloc[0]
    w_max = max(s / p for s, p in zip(SHARES, CONSTRUCTED_AREA["person_years"], strict=True))
    y, v = DSR_BY_HAND, VAR_BY_HAND
    low = sps.gamma.ppf(0.025, y * y / v, scale=v / y)
    high = sps.gamma.ppf(0.975, (y + w_max) ** 2 / (v + w_max**2), scale=(v + w_max**2) / (y + w_max))
    assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((low * 1e5, high * 1e5), rel=1e-9)


def test_dsr_by_sex_and_both_sexes():
    men = CONSTRUCTED_AREA.assign(sex="male")
    women = CONSTRUCTED_AREA.assign(sex="female", deaths=[1, 5, 40, 300, 600])
    data = add_both_sexes(pd.concat([men, women], ignore_index=True))
    r = standardised_death_rate(data, by=["sex"]).set_index("sex")
    assert list(r.index) == ["female", "male", "total"]
    assert r.loc["male", "value"] == pytest.approx(DSR_BY_HAND * 1e5)
    total_by_hand = (0.05 * 3 / 10000 + 0.49 * 15 / 80000 + 0.265 * 100 / 50000 + 0.17 * 700 / 30000
                     + 0.025 * 1100 / 6000)
    assert r.loc["total", "value"] == pytest.approx(total_by_hand * 1e5, rel=1e-12)
    assert r.loc["total", "deaths"] == 972 + 946


def test_add_both_sexes_never_sums_partially():
    men = CONSTRUCTED_AREA.assign(sex="male", area="A")
    women = CONSTRUCTED_AREA.assign(sex="female", area="A", deaths=[1, np.nan, 40, 300, 600])
    only_men = CONSTRUCTED_AREA.assign(sex="male", area="B")
    out = add_both_sexes(pd.concat([men, women, only_men], ignore_index=True))
    total = out[out["sex"] == "total"].set_index(["area", "age_start"])
    assert total.loc[("A", 5), "deaths"] != total.loc[("A", 5), "deaths"]  # NaN, not 10
    assert total.loc[("A", 0), "deaths"] == 3
    assert total.loc["B", "deaths"].isna().all()
    r = standardised_death_rate(out[out["sex"] == "total"], by=["area"])
    assert r["value"].isna().all() and r["note_da"].str.contains("mangler").all()


def test_dsr_not_shown_under_ten_deaths_or_without_person_years():
    few = standardised_death_rate(CONSTRUCTED_AREA.assign(deaths=[0, 0, 1, 3, 5])).iloc[0]
    assert math.isnan(few["value"]) and math.isnan(few["ci95_low"]) and few["deaths"] == 9
    assert "færre end 10 dødsfald" in few["note_da"]
    empty = standardised_death_rate(CONSTRUCTED_AREA.assign(deaths=[0, 10, 60, 400, 500],
                                                            person_years=[0, 40000, 25000, 15000, 3000])).iloc[0]
    assert math.isnan(empty["value"]) and "0-4 år" in empty["note_da"]


def test_dsr_groups_are_computed_apart_and_members_pooled():
    two = pd.concat([CONSTRUCTED_AREA.assign(area="A"), CONSTRUCTED_AREA.assign(area="B", deaths=[0, 0, 1, 3, 5])])
    r = standardised_death_rate(two, by=["area"]).set_index("area")
    assert r.loc["A", "value"] == pytest.approx(DSR_BY_HAND * 1e5) and math.isnan(r.loc["B", "value"])
    pooled = standardised_death_rate(two.assign(unit="AB"), by=["unit"]).iloc[0]
    summed = CONSTRUCTED_AREA.assign(deaths=[2, 10, 61, 403, 505], person_years=CONSTRUCTED_AREA["person_years"] * 2)
    assert pooled["value"] == pytest.approx(standardised_death_rate(summed)["value"].iloc[0])


def test_dsr_of_pooled_members_is_missing_when_a_member_count_is_missing_or_a_band_absent():
    members = pd.concat([CONSTRUCTED_AREA.assign(municipality="1"),
                         CONSTRUCTED_AREA.assign(municipality="2", deaths=[1, 2, np.nan, 5, 6])])
    r = standardised_death_rate(members.assign(unit="U"), by=["unit"]).iloc[0]
    assert math.isnan(r["value"]) and math.isnan(r["deaths"]) and "mangler" in r["note_da"]
    # bands 95-99 and 100+ pool into the standard's 95+; a unit without its 100+ row is missing, not partial
    old = pd.DataFrame({"age_start": [0, 5, 45, 65, 85, 95, 100], "deaths": [2, 10, 60, 400, 450, 45, 5],
                        "person_years": [5000, 40000, 25000, 15000, 2700, 270, 30]})
    both = pd.concat([old.assign(unit="A"), old.iloc[:6].assign(unit="B")])
    r = standardised_death_rate(both, by=["unit"]).set_index("unit")
    assert r.loc["A", "value"] == pytest.approx(DSR_BY_HAND * 1e5)
    assert math.isnan(r.loc["B", "value"]) and "mangler" in r.loc["B", "note_da"]


def test_dsr_refuses_bands_that_do_not_fit():
    with pytest.raises(DataFormatError, match=r"\[43\]"):
        standardised_death_rate(CONSTRUCTED_AREA.assign(age_start=[0, 5, 43, 65, 85]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(100, 100_000), min_size=5, max_size=5), st.floats(0.001, 0.05))
def test_equal_rates_at_every_age_give_that_rate_whatever_the_age_structure(py, rate):
    data = CONSTRUCTED_AREA.assign(person_years=py, deaths=[rate * p for p in py])
    r = standardised_death_rate(data, min_deaths=0).iloc[0]
    assert r["value"] == pytest.approx(rate * 1e5, rel=1e-9)
    assert r["ci95_low"] <= r["value"] <= r["ci95_high"]


# --------------------------------------------------------------------------------------------------
# premature mortality
# --------------------------------------------------------------------------------------------------
CONSTRUCTED_UNDER_75 = pd.DataFrame({
    "age_start": [0, 5, 45, 65, 75],
    "age_end": [4, 44, 64, 74, None],
    "deaths": [2, 10, 60, 150, 750],
    "person_years": [5000, 40000, 25000, 9000, 9000],
})


def test_premature_mortality_by_hand():
    # ESP 2013 ages 0-74: 5000 + 49000 + 26500 + (5500 + 5000) = 91000
    by_hand = (5000 * 2 / 5000 + 49000 * 10 / 40000 + 26500 * 60 / 25000 + 10500 * 150 / 9000) / 91000
    r = premature_mortality_rate(CONSTRUCTED_UNDER_75).iloc[0]
    assert r["value"] == pytest.approx(by_hand * 1e5, rel=1e-12)
    assert (r["deaths"], r["person_years"]) == (222, 79000)
    var = sum((w / 91000 / p) ** 2 * d for w, d, p in [(5000, 2, 5000), (49000, 10, 40000), (26500, 60, 25000),
                                                        (10500, 150, 9000)])
    low, high = _dobson(by_hand, var, 222, 0.95)
    assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((low * 1e5, high * 1e5), rel=1e-12)
    # the same as the DSR of the bands under 75 alone, closed at 74
    under = CONSTRUCTED_UNDER_75.iloc[:4]
    assert standardised_death_rate(under)["value"].iloc[0] == pytest.approx(r["value"])


def test_premature_mortality_refuses_a_band_across_75():
    with pytest.raises(DataFormatError, match="65-84 år"):
        premature_mortality_rate(CONSTRUCTED_AREA)


# --------------------------------------------------------------------------------------------------
# standardised mortality ratio, by hand
# --------------------------------------------------------------------------------------------------
CONSTRUCTED_REFERENCE = pd.DataFrame({
    "sex": ["male"] * 3 + ["female"] * 3,
    "age_start": [0, 45, 75] * 2,
    "deaths": [300, 2000, 9000, 200, 1200, 10000],
    "person_years": [1_000_000, 500_000, 100_000, 1_000_000, 520_000, 150_000],
})
CONSTRUCTED_UNIT = pd.DataFrame({
    "sex": ["male"] * 3 + ["female"] * 3,
    "age_start": [0, 45, 75] * 2,
    "deaths": [5, 50, 300, 3, 30, 280],
    "person_years": [20_000, 10_000, 3_000, 20_000, 10_500, 4_000],
})


def _exact(observed: float, conf: float = 0.95) -> tuple[float, float]:
    a = 1 - conf
    low = sps.chi2.ppf(a / 2, 2 * observed) / 2 if observed > 0 else 0.0
    return low, sps.chi2.ppf(1 - a / 2, 2 * observed + 2) / 2


def test_smr_both_sexes_by_hand():
    # E = sum over sex x band of reference rate x person-years
    expected = (300 / 1e6 * 20000 + 2000 / 5e5 * 10000 + 9000 / 1e5 * 3000
                + 200 / 1e6 * 20000 + 1200 / 5.2e5 * 10500 + 10000 / 1.5e5 * 4000)
    assert expected == pytest.approx(6 + 40 + 270 + 4 + 24.230769 + 266.666667, abs=1e-5)
    r = standardised_mortality_ratio(CONSTRUCTED_UNIT.assign(unit="U"), CONSTRUCTED_REFERENCE, by=["unit"],
                                     strata=["sex"]).iloc[0]
    assert list(r.index) == ["unit", *SMR_COLUMNS]
    assert (r["observed"], r["person_years"], r["note_da"], r["method"]) == (668, 67500, "", "smr")
    assert r["expected"] == pytest.approx(expected, rel=1e-12)
    assert r["value"] == pytest.approx(100 * 668 / expected, rel=1e-12)
    low, high = _exact(668)
    assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((100 * low / expected, 100 * high / expected), rel=1e-12)
    low, high = _exact(668, 0.998)
    assert (r["ci998_low"], r["ci998_high"]) == pytest.approx((100 * low / expected, 100 * high / expected),
                                                              rel=1e-12)


def test_smr_by_sex_by_hand():
    r = standardised_mortality_ratio(CONSTRUCTED_UNIT, CONSTRUCTED_REFERENCE, by=["sex"], strata=["sex"])
    men = r.set_index("sex").loc["male"]
    assert men["expected"] == pytest.approx(316.0) and men["observed"] == 355
    assert men["value"] == pytest.approx(100 * 355 / 316)
    assert men["ci95_low"] == pytest.approx(100 * _exact(355)[0] / 316)


def test_smr_of_the_reference_itself_is_100():
    r = standardised_mortality_ratio(CONSTRUCTED_REFERENCE, CONSTRUCTED_REFERENCE, strata=["sex"]).iloc[0]
    assert r["value"] == pytest.approx(100.0) and r["ci95_low"] < 100 < r["ci95_high"]


def test_smr_premature_and_missing_and_nothing_expected():
    under = standardised_mortality_ratio(CONSTRUCTED_UNIT, CONSTRUCTED_REFERENCE, strata=["sex"], max_age=75)
    assert under["observed"].iloc[0] == 88
    assert under["expected"].iloc[0] == pytest.approx(6 + 40 + 4 + 1200 / 5.2e5 * 10500)
    gap = CONSTRUCTED_UNIT.drop(index=4).assign(unit="U")
    r = standardised_mortality_ratio(gap, CONSTRUCTED_REFERENCE, by=["unit"], strata=["sex"]).iloc[0]
    assert math.isnan(r["value"]) and "mangler" in r["note_da"]
    nan = CONSTRUCTED_UNIT.assign(deaths=[5, 50, np.nan, 3, 30, 280])
    assert standardised_mortality_ratio(nan, CONSTRUCTED_REFERENCE, strata=["sex"])["value"].isna().all()
    none = standardised_mortality_ratio(CONSTRUCTED_UNIT, CONSTRUCTED_REFERENCE.assign(deaths=0),
                                        strata=["sex"]).iloc[0]
    assert math.isnan(none["value"]) and "forventes" in none["note_da"]


def test_smr_refuses_bands_that_differ_from_the_reference():
    with pytest.raises(DataFormatError, match="differ"):
        standardised_mortality_ratio(CONSTRUCTED_UNIT.assign(age_start=[0, 50, 75] * 2), CONSTRUCTED_REFERENCE,
                                     strata=["sex"])
    with pytest.raises(DataFormatError, match="not a band edge"):
        standardised_mortality_ratio(CONSTRUCTED_UNIT, CONSTRUCTED_REFERENCE, strata=["sex"], max_age=70)


def test_docstring_examples():
    assert doctest.testmod(mortality, raise_on_error=False).failed == 0
