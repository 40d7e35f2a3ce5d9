"""Intervals, outcomes and trends on published rows: the real files through the normal loaders, and
constructed examples (named CONSTRUCTED_*) for what the real data cannot show (small counts, age data).

Expected values are computed independently here from the raw CSV rows (``csv`` module) and textbook
formulas / scipy.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import klyngedata as kd
from klyngedata.indicators import INDICATORS, read_indicator_file, standardised_figures
from klyngedata.outcomes import PUBLISHED_COLUMNS

DIVISION = "sundhedsklynger-2022"
DERIVED = "derived_municipality_population_monthly_2021M10-2024M04.csv"
VEST = ["0773", "0787"]  # Klynge Vest: Morsø, Thisted


@pytest.fixture(scope="module")
def data_dir(shared_data: Path, full_data_dir: Path) -> Path:
    """The real population and indicator files (with the boundaries), imported once for the run (conftest)."""
    if not (shared_data / "indicators").is_dir():
        pytest.skip("indicators folder missing in the shared data")
    return full_data_dir


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _pop(shared: Path, period: str) -> dict[str, int]:
    return {r["municipality_code"]: int(r["population"]) for r in _rows(shared / "population" / DERIVED)
            if r["period"] == period}


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_indicator_rows_have_the_published_columns(data_dir):
    out = kd.indicator_figures(cluster="nordjylland-vest", division=DIVISION, data_dir=data_dir)
    for col in PUBLISHED_COLUMNS:
        assert col in out.columns, col
    assert set(out["polarity"]) <= {"high_is_good", "low_is_good", "neutral"}
    assert set(out["vs_region"]) | set(out["vs_country"]) <= {"better", "similar", "worse", "higher", "lower",
                                                              "not_compared"}
    # a Danish reason wherever something is not compared or not computed, and none where it is
    for which in ("vs_region", "vs_country"):
        nc = out[which] == "not_compared"
        assert (out.loc[nc, f"{which}_note_da"].str.len() > 20).all()
        assert (out.loc[~nc, f"{which}_note_da"] == "").all()
    assert (out.loc[out["trend"] == "not_computed", "trend_note_da"].str.len() > 20).all()


def test_gp_contact_interval_is_the_binomial_interval_of_its_counts(shared_data, data_dir):
    # laegekontakt_raw (% of residents, DST SYGP1 2024) -> count = share x population of 1 January 2024.
    share = {r["kommune_kode"].zfill(4): float(r["laegekontakt_raw"])
             for r in _rows(shared_data / "indicators" / "laegekontakt_scores.csv")}
    pop = _pop(shared_data, "2024M01")
    num = sum(share[c] * pop[c] / 100 for c in VEST)
    den = sum(pop[c] for c in VEST)
    row = kd.indicator_figures(cluster="nordjylland-vest", indicators=["laegekontakt_pct"], division=DIVISION,
                               data_dir=data_dir).iloc[0]
    assert row["numerator"] == pytest.approx(num) and row["denominator"] == den
    lo95, hi95 = _wilson(num, den, sps.norm.ppf(0.975))
    lo998, hi998 = _wilson(num, den, sps.norm.ppf(0.999))
    assert (row["ci95_low"], row["ci95_high"]) == pytest.approx((100 * lo95, 100 * hi95), rel=1e-10)
    assert (row["ci998_low"], row["ci998_high"]) == pytest.approx((100 * lo998, 100 * hi998), rel=1e-10)
    # scipy's binomial test with the count rounded to whole persons gives the same interval to 0.01 pp
    ci = sps.binomtest(round(num), den).proportion_ci(method="wilson")
    assert (row["ci95_low"], row["ci95_high"]) == pytest.approx((100 * ci.low, 100 * ci.high), abs=0.01)
    assert row["ci_method"] == "wilson" and row["polarity"] == "neutral"
    # neutral: higher/lower, never better/worse; the outcome follows the interval
    for which, bench in (("vs_region", row["region_value"]), ("vs_country", row["country_value"])):
        expected = "higher" if bench < row["ci95_low"] else "lower" if bench > row["ci95_high"] else "similar"
        assert row[which] == expected


@pytest.mark.parametrize("level", ["municipality", "cluster", "region"])
def test_never_similar_when_the_benchmark_lies_outside_the_interval(data_dir, level):
    out = kd.indicator_figures(level=level, division=DIVISION, data_dir=data_dir)
    kf = kd.key_figures("nordjylland-vest", division=DIVISION, data_dir=data_dir)
    for table in (out, kf):
        for which, bench in (("vs_region", "region_value"), ("vs_country", "country_value")):
            b = pd.to_numeric(table[bench], errors="coerce")
            outside = (b < table["ci95_low"]) | (b > table["ci95_high"])
            compared = table[which] != "not_compared"
            assert not (outside & (table[which] == "similar")).any()
            inside = compared & ~outside
            assert (table.loc[inside, which] == "similar").all()
            assert (table.loc[compared, "ci95_low"] <= table.loc[compared, "value"]).all()
            assert (table.loc[compared, "value"] <= table.loc[compared, "ci95_high"]).all()
    compared = out[out["vs_country"] != "not_compared"]
    assert len(compared) > 0  # the register-based indicators are compared
    neutral = compared["polarity"] == "neutral"
    assert compared.loc[neutral, "vs_country"].isin(["higher", "lower", "similar"]).all()
    assert compared.loc[~neutral, "vs_country"].isin(["better", "worse", "similar"]).all()


def test_survey_shares_are_not_compared_without_sample_size(data_dir):
    out = kd.indicator_figures(cluster="nordjylland-vest", division=DIVISION, data_dir=data_dir)
    survey = out[out["figure_id"].str.startswith("sundhedsprofil_")]
    assert len(survey) == 9
    assert survey[["ci95_low", "ci95_high"]].isna().all().all()
    assert (survey["vs_country"] == "not_compared").all()
    assert survey["vs_country_note_da"].str.contains("svarpersoner").all()


def _pooled_wave(shared: Path, indicator: str, year: str) -> float:
    # population weights as the documented pooling rule picks them: 1 January of the year, else the latest
    # earlier month, else the nearest later one (the population file covers 2021M10-2024M04)
    pop_period = {"2025": "2024M04"}.get(year, "2021M10")
    pop = _pop(shared, pop_period)
    vals = {r["kommune_kode"].zfill(4): float(r["raw_value"])
            for r in _rows(shared / "indicators" / "sundhedsprofil_historik.csv")
            if r["indicator_id"] == indicator and r["aar"] == year}
    return sum(vals[c] * pop[c] for c in VEST) / sum(pop[c] for c in VEST)


@pytest.mark.parametrize("indicator", ["rygning", "svaer_overvaegt", "selvvurderet_helbred"])
def test_health_profile_trend_is_the_slope_test_over_the_waves(shared_data, data_dir, indicator):
    waves = ["2010", "2013", "2017", "2021", "2025"]
    values = [_pooled_wave(shared_data, indicator, w) for w in waves]
    ref = sps.linregress([int(w) for w in waves], values)
    row = kd.indicator_figures(cluster="nordjylland-vest", indicators=[f"sundhedsprofil_{indicator}"],
                               division=DIVISION, data_dir=data_dir).iloc[0]
    assert row["value"] == pytest.approx(values[-1])
    assert row["trend_p"] == pytest.approx(ref.pvalue)
    expected = ("increasing" if ref.slope > 0 else "decreasing") if ref.pvalue < 0.05 else "no_significant_change"
    assert row["trend"] == expected
    assert "2021" in row["trend_note_da"] and "covid-19" in row["trend_note_da"]
    polarity = INDICATORS[f"sundhedsprofil_{indicator}"].higher_is_better
    if expected != "no_significant_change":
        good = (expected == "increasing") == bool(polarity)
        assert row["trend_da"].endswith("bedre" if good else "dårligere")


def test_every_health_profile_indicator_with_three_waves_has_a_trend(data_dir):
    out = kd.indicator_figures(division=DIVISION, data_dir=data_dir)
    survey = out[out["figure_id"].str.startswith("sundhedsprofil_") & out["value"].notna()]
    many = survey[~survey["figure_id"].isin(["sundhedsprofil_ensomhed", "sundhedsprofil_fysisk_aktivitet",
                                             "sundhedsprofil_social_stoette"])]
    assert len(many) == 6 * 20  # 6 indicators with 5 waves x 20 computable clusters (København split: 2 not)
    assert many["trend"].isin(["increasing", "decreasing", "no_significant_change"]).all()
    assert many["trend_p"].notna().all()
    few = survey[survey["figure_id"] == "sundhedsprofil_ensomhed"]
    assert (few["trend"] == "not_computed").all() and few["trend_note_da"].str.contains("mindst 3").all()


def test_population_trend_is_a_poisson_test_for_trend(shared_data, data_dir):
    kf = kd.key_figures("nordjylland-vest", division=DIVISION, data_dir=data_dir)
    row = kf[(kf["entity_level"] == "cluster") & (kf["figure_id"] == "population")].iloc[0]
    counts = np.array([sum(_pop(shared_data, p)[c] for c in VEST) for p in ("2022M04", "2023M04", "2024M04")],
                      dtype=float)
    t = np.array([2022.25, 2023.25, 2024.25])
    u = float(np.sum(t * (counts - counts.mean())))
    v = float(counts.mean() * np.sum((t - t.mean()) ** 2))
    p = 2 * sps.norm.sf(abs(u / math.sqrt(v)))
    assert row["trend_p"] == pytest.approx(p)
    assert row["trend"] == (("increasing" if u > 0 else "decreasing") if p < 0.05 else "no_significant_change")
    assert row["trend_da"] in ("stigende", "faldende", "ingen sikker ændring")  # neutral: no good/bad words
    assert row["vs_region"] == "not_compared" and "antal" in row["vs_region_note_da"]
    growth = kf[(kf["entity_level"] == "cluster") & (kf["figure_id"] == "growth_1y_pct")].iloc[0]
    assert growth["vs_country"] == "not_compared" and growth["trend"] == "not_computed"


# ------------------------------------------------------------------------------------------------ constructed


def _constructed_counts(tmp_path: Path, numerators: dict[str, int], denominators: dict[str, int],
                        periods: tuple[str, ...] = ("2024",)) -> pd.DataFrame:
    lines = ["municipality,period,indicator,numerator,denominator"]
    for period in periods:
        for code, num in numerators.items():
            lines.append(f"{code},{period},genindlaeggelser_somatik_30d,{num},{denominators[code]}")
    path = tmp_path / "constructed_counts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_indicator_file(path)


NORDJYLLAND = ["0773", "0787", "0810", "0813", "0825", "0860", "0849", "0851", "0820", "0840", "0846"]


def test_suppressed_rows_carry_no_interval_outcome_or_trend(tmp_path):
    # CONSTRUCTED: Morsø 3 readmissions of 500 (primary), Thisted then hidden as secondary, three periods
    num = dict.fromkeys(NORDJYLLAND, 60) | {"0773": 3}
    den = dict.fromkeys(NORDJYLLAND, 500)
    data = _constructed_counts(tmp_path, num, den, ("2022", "2023", "2024"))
    munis = kd.indicator_figures("nordjylland-vest", level="municipality", data=data, division=DIVISION)
    hidden = munis[munis["suppressed"]]
    assert set(hidden["entity_id"]) == {"0773", "0787"}
    numeric = [c for c in PUBLISHED_COLUMNS if pd.api.types.is_numeric_dtype(munis[c])]
    assert set(numeric) >= {"ci95_low", "ci95_high", "ci998_low", "ci998_high", "trend_p"}
    assert hidden[numeric].isna().all().all()
    assert (hidden["vs_region"] == "not_compared").all() and (hidden["trend"] == "not_computed").all()
    # no published number equals the hidden count or anything built from it
    assert not munis.drop(columns=["display"]).isin([3.0, 3 / 500 * 100]).any().any()
    shown = kd.indicator_figures(level="municipality", data=data, division=DIVISION).set_index("entity_id")
    row = shown.loc["0851"]  # 60 of 500 in each of three years: a flat series
    lo, hi = _wilson(60, 500, sps.norm.ppf(0.975))
    assert (row["ci95_low"], row["ci95_high"]) == pytest.approx((100 * lo, 100 * hi))
    assert row["trend"] == "no_significant_change" and row["polarity"] == "low_is_good"


def test_standardised_figures_carry_gamma_intervals_and_outcomes(tmp_path):
    # CONSTRUCTED strata as in test_indicators (all 98 municipalities: Denmark is the reference): Klynge Syd has
    # higher rates than the rest
    from klyngedata import registry

    lines = ["municipality,period,indicator,numerator,denominator,sex,age_group"]
    for code in registry.municipalities()["municipality_code"]:
        a = (10, 2000, 40, 1000) if code in {"0820", "0840", "0846"} else (20, 4000, 30, 1000)
        lines.append(f"{code},2024,forebyggelige_indlaeggelser_65,{a[0]},{a[1]},total,65-79")
        lines.append(f"{code},2024,forebyggelige_indlaeggelser_65,{a[2]},{a[3]},total,80+")
    path = tmp_path / "constructed_strata.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = read_indicator_file(path)
    d = standardised_figures("forebyggelige_indlaeggelser_65", method="direct", data=data, strata=["age_group"],
                             division=DIVISION).set_index("entity_id")
    syd = d.loc["nordjylland-syd"]
    assert (syd["ci95_low"], syd["ci95_high"]) == (syd["lower"], syd["upper"])
    assert syd["ci998_low"] < syd["ci95_low"] and syd["ci998_high"] > syd["ci95_high"]
    assert syd["ci_method"] == "gamma" and syd["polarity"] == "low_is_good"
    expected = "worse" if syd["country_value"] < syd["ci95_low"] else "similar"
    assert syd["vs_country"] == expected


def test_constructed_age_shares_get_wilson_intervals_and_outcomes():
    # CONSTRUCTED StatBank-format population by age for Klynge Nord's municipalities, region and Denmark
    ages = {("municipality", "0810"): {10: 200, 40: 500, 70: 200, 85: 100},
            ("municipality", "0813"): {10: 300, 40: 600, 70: 80, 85: 20},
            ("municipality", "0825"): {10: 10, 40: 40, 70: 40, 85: 10},
            ("municipality", "0860"): {10: 100, 40: 300, 70: 50, 85: 50},
            ("region", "1081"): {10: 1000, 40: 3000, 70: 800, 85: 200},
            ("country", "DK"): {10: 10000, 40: 25000, 70: 10000, 85: 5000}}
    # (every other age 0-100 has 0 persons: a table with every age, as StatBank writes one)
    CONSTRUCTED = pd.DataFrame([{"level": lv, "entity_id": e, "entity_name": e, "period": "2024K1",
                                 "sex": "total", "age": a, "population": n}
                                for (lv, e), d in ages.items()
                                for a, n in {**dict.fromkeys(range(101), 0), **d}.items()])
    table = kd.key_figures("nordjylland-nord", population=CONSTRUCTED, division=DIVISION)
    row = table[(table["entity_level"] == "cluster") & (table["figure_id"] == "share_65_plus")].iloc[0]
    old, total = 200 + 100 + 80 + 20 + 40 + 10 + 50 + 50, 2600
    assert row["numerator"] == old and row["denominator"] == total
    lo, hi = _wilson(old, total, sps.norm.ppf(0.975))
    assert (row["ci95_low"], row["ci95_high"]) == pytest.approx((100 * lo, 100 * hi))
    assert row["region_value"] == pytest.approx(20.0) and row["country_value"] == pytest.approx(30.0)
    assert row["vs_region"] == ("higher" if 20.0 < 100 * lo else "similar")
    assert row["vs_country"] == ("lower" if 30.0 > 100 * hi else "similar")
    dep = table[(table["entity_level"] == "cluster") & (table["figure_id"] == "old_age_dependency")].iloc[0]
    assert dep["ci_method"] == "poisson" and dep["numerator"] == old and dep["denominator"] == 1440
    chi_lo = sps.chi2.ppf(0.025, 2 * old) / 2
    assert dep["ci95_low"] == pytest.approx(chi_lo / 1440 * 100)
    assert row["trend"] == "not_computed" and "mindst 3" in row["trend_note_da"]
