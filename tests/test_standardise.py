"""Tests for klyngedata.standardise: hand-checked worked examples (constructed data, arithmetic below)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from klyngedata.exceptions import DataFormatError
from klyngedata.standardise import direct_standardise, indirect_standardise, poisson_interval

# Constructed example: two age strata, events d, population at risk n, standard population s.
CONSTRUCTED_STRATA = pd.DataFrame(
    {"age_group": ["0-64", "65+"], "numerator": [10, 40], "denominator": [10000, 5000]}
)
CONSTRUCTED_STANDARD = pd.DataFrame({"age_group": ["0-64", "65+"], "population": [6000, 4000]})

# Hand arithmetic (per person):
#   S = 6000 + 4000 = 10000; weights w_i = s_i / (S n_i):
#   w_1 = 6000 / (10000 * 10000) = 6e-5 ; w_2 = 4000 / (10000 * 5000) = 8e-5
#   DSR y = 10 * 6e-5 + 40 * 8e-5 = 0.0006 + 0.0032 = 0.0038  -> 3.8 per 1000
#   v = 10 * (6e-5)^2 + 40 * (8e-5)^2 = 3.6e-8 + 2.56e-7 = 2.92e-7
#   crude = 50 / 15000 = 0.0033333 -> 3.3333 per 1000
Y, V, WM = 0.0038, 2.92e-7, 8e-5


def test_direct_normal_hand_checked():
    r = direct_standardise(CONSTRUCTED_STRATA, CONSTRUCTED_STANDARD, strata=["age_group"], per=1000,
                           method="normal").iloc[0]
    assert r["rate"] == pytest.approx(3.8)
    assert r["crude_rate"] == pytest.approx(50 / 15000 * 1000)
    # sqrt(2.92e-7) = 5.40370e-4 ; x 1.959964 = 1.059106e-3 -> +-1.059106 per 1000
    assert r["lower"] == pytest.approx(3.8 - 1.059106, abs=1e-5)
    assert r["upper"] == pytest.approx(3.8 + 1.059106, abs=1e-5)
    assert r["observed"] == 50 and r["population"] == 15000


def test_direct_gamma_fay_feuer_hand_checked():
    r = direct_standardise(CONSTRUCTED_STRATA, CONSTRUCTED_STANDARD, strata=["age_group"], per=1000).iloc[0]
    # lower: Gamma(shape = y^2/v = 1.444e-5/2.92e-7 = 49.452..., scale = v/y = 7.684e-5) at 2.5%
    shape_lo = Y * Y / V
    assert shape_lo == pytest.approx(49.4520548, rel=1e-6)
    lo = stats.gamma.ppf(0.025, shape_lo, scale=V / Y)
    # upper: shape = (y+wM)^2/(v+wM^2) = (0.00388)^2 / (2.92e-7 + 6.4e-9) = 1.50544e-5 / 2.984e-7 = 50.4504...
    shape_hi = (Y + WM) ** 2 / (V + WM * WM)
    assert shape_hi == pytest.approx(50.4504021, rel=1e-6)
    hi = stats.gamma.ppf(0.975, shape_hi, scale=(V + WM * WM) / (Y + WM))
    assert r["lower"] == pytest.approx(lo * 1000)
    assert r["upper"] == pytest.approx(hi * 1000)
    # the interval is asymmetric around 3.8 and a bit wider above (Poisson skew)
    assert 2.7 < r["lower"] < 3.8 < r["upper"] < 5.1
    assert "gammametoden" in r["method_da"]


def test_direct_dobson_hand_checked():
    r = direct_standardise(CONSTRUCTED_STRATA, CONSTRUCTED_STANDARD, strata=["age_group"], per=1000,
                           method="dobson").iloc[0]
    o_l = stats.chi2.ppf(0.025, 100) / 2  # exact Poisson limits of O = 50
    o_u = stats.chi2.ppf(0.975, 102) / 2
    f = math.sqrt(V / 50)
    assert r["lower"] == pytest.approx((Y + f * (o_l - 50)) * 1000)
    assert r["upper"] == pytest.approx((Y + f * (o_u - 50)) * 1000)


def test_direct_by_groups_and_missing_stratum():
    two = pd.concat([CONSTRUCTED_STRATA.assign(entity_id="A"),
                     CONSTRUCTED_STRATA.assign(entity_id="B", numerator=[20, 20])])
    r = direct_standardise(two, CONSTRUCTED_STANDARD, strata=["age_group"], by=["entity_id"], per=1000)
    # B: 0.6 * 20/10000 + 0.4 * 20/5000 = 0.0012 + 0.0016 = 0.0028 -> 2.8 per 1000
    assert r.set_index("entity_id")["rate"].to_dict() == pytest.approx({"A": 3.8, "B": 2.8})
    with pytest.raises(DataFormatError, match="no population for stratum"):
        direct_standardise(CONSTRUCTED_STRATA.iloc[:1], CONSTRUCTED_STANDARD, strata=["age_group"])


def test_poisson_interval_matches_tables():
    # Garwood exact limits for 10 events: 4.795 - 18.390 (standard tables)
    lo, hi = poisson_interval(10)
    assert lo == pytest.approx(4.795, abs=1e-3) and hi == pytest.approx(18.390, abs=1e-3)
    assert poisson_interval(0)[0] == 0.0


def test_indirect_hand_checked():
    # Constructed example: Denmark's (reference) rates by age: 300/10000 = 3 % (65-79), 200/2000 = 10 % (80+)
    # Cluster population 2000 and 500 -> expected E = 0.03*2000 + 0.10*500 = 60 + 50 = 110
    # observed O = 70 + 51 = 121 -> ratio 121/110 = 1.1
    constructed_cluster = pd.DataFrame(
        {"sex": ["total", "total"], "age_group": ["65-79", "80+"], "numerator": [70, 51],
         "denominator": [2000, 500]}
    )
    constructed_reference = pd.DataFrame(
        {"sex": ["total", "total"], "age_group": ["65-79", "80+"], "numerator": [300, 200],
         "denominator": [10000, 2000]}
    )
    r = indirect_standardise(constructed_cluster, constructed_reference).iloc[0]
    assert r["expected"] == pytest.approx(110.0)
    assert r["ratio"] == pytest.approx(1.1)
    assert r["lower"] == pytest.approx(stats.chi2.ppf(0.025, 242) / 2 / 110)
    assert r["upper"] == pytest.approx(stats.chi2.ppf(0.975, 244) / 2 / 110)
    # the same with the reference given as rates
    rates = constructed_reference.assign(rate=[0.03, 0.10])
    r2 = indirect_standardise(constructed_cluster, rates, reference_rate="rate").iloc[0]
    assert r2["expected"] == pytest.approx(110.0)


def test_indirect_missing_reference_stratum():
    with pytest.raises(DataFormatError, match="no reference rate"):
        indirect_standardise(
            pd.DataFrame({"age_group": ["90+"], "numerator": [1], "denominator": [10]}),
            pd.DataFrame({"age_group": ["80+"], "numerator": [1], "denominator": [10]}),
            strata=["age_group"],
        )


# Constructed example in the StatBank FOLK1A export format (sex x age: Denmark's own rows and two municipalities,
# as a selection of "Hele landet" and two areas gives them); imported through the normal import path so that the
# default standard population (Denmark in a reference period) is used. Denmark is taken from its own rows: a sum
# of two municipalities would be a partial sum (missing, issue 11).
_CONSTRUCTED_COUNTS = {("Hele landet", "Mænd"): (300, 150), ("Hele landet", "Kvinder"): (270, 180),
                       ("Aalborg", "Mænd"): (100, 50), ("Aalborg", "Kvinder"): (90, 60),
                       ("Morsø", "Mænd"): (200, 100), ("Morsø", "Kvinder"): (180, 120)}
# CONSTRUCTED: persons aged 10 and 70 (the counts above); every other age 0-100 has 0 persons (a table with every
# age, as StatBank writes one: an age group is never built from the ages a table happens to have)
CONSTRUCTED_FOLK1A_CSV = "OMRÅDE;KØN;ALDER;TID;INDHOLD\n" + "".join(
    f"{area};{sex};{'100 år og derover' if a == 100 else f'{a} år'};2024K1;"
    f"{young if a == 10 else old if a == 70 else 0}\n"
    for (area, sex), (young, old) in _CONSTRUCTED_COUNTS.items() for a in range(101))


def test_direct_default_standard_is_denmark_in_reference_period(tmp_path, monkeypatch):
    from klyngedata.importing import import_file

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    src = tmp_path / "FOLK1A_constructed.csv"
    src.write_text(CONSTRUCTED_FOLK1A_CSV, encoding="utf-8")
    import_file(src, data_dir=tmp_path / "data")
    # Standard (Denmark's own rows): male 0-64 300, male 65+ 150, female 0-64 270, female 65+ 180;
    # total 900 -> weights 1/3, 1/6, 0.3, 0.2
    data = pd.DataFrame({"sex": ["female", "female", "male", "male"], "age_group": ["0-64", "65+"] * 2,
                         "numerator": [2, 10, 3, 12], "denominator": [1000, 500, 1000, 400]})
    r = direct_standardise(data, None, strata=["sex", "age_group"], per=1000, standard_period="2024K1",
                           data_dir=tmp_path / "data", standard_age_groups=[0, 65]).iloc[0]
    # DSR = 0.3*0.002 + 0.2*0.02 + (1/3)*0.003 + (1/6)*0.03 = 0.0006 + 0.004 + 0.001 + 0.005 = 0.0106
    assert r["rate"] == pytest.approx(10.6)
