"""Tests of klyngedata.keyfigures.

Two kinds of tests:

* constructed examples (variables named ``CONSTRUCTED_…``): small tables in the real tidy format, with the
  expected values worked out by hand in the test;
* the real Statistics Denmark monthly totals in ``../shared/data/population`` (read through the package's
  normal parsers in :mod:`klyngedata.sources`; the expected values are computed independently in the test
  from the raw CSV with the ``csv`` module).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from klyngedata import catalogue
from klyngedata import keyfigures as kf
from klyngedata.exceptions import DataFormatError, DataNotAvailable, LookupFailed

DERIVED = "derived_municipality_population_monthly_2021M10-2024M04.csv"
FOLK1AM = "dst_FOLK1AM_area_2021M10-2024M04.csv"
# Klynge Nord (nordjylland-nord) = Hjørring 0860, Brønderslev 0810, Frederikshavn 0813, Læsø 0825
KLYNGE_NORD = ["0860", "0810", "0813", "0825"]


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------

def _value(table: pd.DataFrame, level: str, entity_id: str, figure_id: str, column: str = "value"):
    sub = table[(table["entity_level"] == level) & (table["entity_id"] == entity_id)
                & (table["figure_id"] == figure_id)]
    assert len(sub) == 1, (level, entity_id, figure_id, len(sub))
    return sub.iloc[0][column]


def _frame(ages_by_entity: dict[tuple[str, str], dict[int, int]], period: str = "2024K1",
           sex: str = "total", complete: bool = True) -> pd.DataFrame:
    """CONSTRUCTED single-year frame; with ``complete`` every age 0-100 not listed has 0 persons (a table with
    every age, as StatBank writes one: key figures are computed only from a complete age distribution)."""
    rows = []
    for (level, eid), ages in ages_by_entity.items():
        if complete:
            ages = {**dict.fromkeys(range(max([100, *ages]) + 1), 0), **ages}
        for age, n in ages.items():
            rows.append({"level": level, "entity_id": eid, "entity_name": eid, "period": period, "sex": sex,
                         "age": age, "population": n})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# pure arithmetic (constructed examples, worked by hand)
# --------------------------------------------------------------------------------------------------

def test_median_age_constructed_five_persons():
    # CONSTRUCTED: five persons aged 20, 30, 30, 40, 50.
    # N = 5, N/2 = 2.5; 1 person is below 30 (K = 1) and 2 persons are aged 30 (n = 2):
    # median = 30 + (2.5 - 1) / 2 = 30.75
    CONSTRUCTED_AGES = {20: 1, 30: 2, 40: 1, 50: 1}
    assert kf.median_age(CONSTRUCTED_AGES) == pytest.approx(30.75)
    # the same as a Series and as unsorted bands give the same answer
    assert kf.median_age(pd.Series(CONSTRUCTED_AGES)) == pytest.approx(30.75)
    assert kf.median_age([(50, 50, 1), (20, 20, 1), (30, 30, 2), (40, 40, 1)]) == pytest.approx(30.75)


def test_median_age_constructed_bands_and_edge_cases():
    # CONSTRUCTED bands: 0-4: 10, 5-9: 10, 10+: 5 -> N = 25, N/2 = 12.5, K = 10 below 5, band width 5:
    # median = 5 + (12.5 - 10) / 10 * 5 = 6.25
    assert kf.median_age([(0, 4, 10), (5, 9, 10), (10, None, 5)]) == pytest.approx(6.25)
    # median inside an open top band cannot be computed
    assert kf.median_age([(0, 4, 1), (5, None, 10)]) is None
    assert kf.median_age({}) is None
    # 2 aged 10, 2 aged 20: N/2 = 2 reached at the end of age 10 -> 10 + (2 - 0) / 2 = 11
    assert kf.median_age({10: 2, 20: 2}) == pytest.approx(11.0)


def test_age_range_sum_and_dependency_ratio_constructed():
    # CONSTRUCTED: 20 aged 5, 10 aged 17, 30 aged 18, 20 aged 64, 10 aged 65, 6 aged 80, 4 aged 95 (100 in all)
    CONSTRUCTED_AGES = {5: 20, 17: 10, 18: 30, 64: 20, 65: 10, 80: 6, 95: 4}
    assert kf.age_range_sum(CONSTRUCTED_AGES, 0, 17) == 30  # 20 + 10
    assert kf.age_range_sum(CONSTRUCTED_AGES, 18, 64) == 50  # 30 + 20
    assert kf.age_range_sum(CONSTRUCTED_AGES, 65) == 20  # 10 + 6 + 4
    assert kf.age_range_sum(CONSTRUCTED_AGES, 80) == 10  # 6 + 4
    # 65+ per 100 aged 18-64: 100 * 20 / 50 = 40
    assert kf.old_age_dependency_ratio(CONSTRUCTED_AGES) == pytest.approx(40.0)
    # a five-year band 15-19 cannot be split at 18
    assert kf.age_range_sum([(15, 19, 10)], 0, 17) is None
    assert kf.old_age_dependency_ratio([(15, 19, 10), (65, None, 3)]) is None


def test_compute_figures_constructed_shares_and_median():
    CONSTRUCTED = _frame({("municipality", "0851"): {5: 20, 17: 10, 18: 30, 64: 20, 65: 10, 80: 6, 95: 4}})
    figs = kf.compute_figures(CONSTRUCTED).set_index("figure_id")
    assert figs.loc["population", "value"] == 100
    assert figs.loc["share_0_17", "value"] == pytest.approx(30.0)  # 30 / 100
    assert figs.loc["share_18_64", "value"] == pytest.approx(50.0)
    assert figs.loc["share_65_plus", "value"] == pytest.approx(20.0)
    assert figs.loc["share_80_plus", "value"] == pytest.approx(10.0)
    assert figs.loc["pop_80_plus", "value"] == 10
    assert figs.loc["old_age_dependency", "value"] == pytest.approx(40.0)
    # N/2 = 50; below 18: 30, aged 18: 30 -> cumulative reaches 50 in age 18: 18 + (50 - 30) / 30
    assert figs.loc["median_age", "value"] == pytest.approx(18 + 20 / 30)
    assert figs.loc["share_65_plus", "label_da"] == catalogue.label("share_65_plus")
    assert figs.loc["share_65_plus", "unit"] == "%"
    assert figs.loc["population", "period"] == "2024K1"


def test_sexes_are_added_when_there_is_no_total_row():
    # CONSTRUCTED: men 3 aged 30 and 1 aged 70, women 2 aged 30 and 4 aged 70 -> both: 5 aged 30, 5 aged 70
    CONSTRUCTED = pd.concat([_frame({("region", "1081"): {30: 3, 70: 1}}, sex="male"),
                             _frame({("region", "1081"): {30: 2, 70: 4}}, sex="female")])
    figs = kf.compute_figures(CONSTRUCTED).set_index("figure_id")
    assert figs.loc["population", "value"] == 10
    assert figs.loc["share_65_plus", "value"] == pytest.approx(50.0)
    # one sex only is not the population: figures are left out, never guessed
    only_men = _frame({("region", "1081"): {30: 3, 70: 1}}, sex="male")
    out = kf.compute_figures(only_men)
    assert out.empty
    assert "begge køn" in kf.missing_figures(out)["reason_da"].iloc[0]


def test_growth_constructed_and_short_history_is_reported_not_extrapolated():
    # CONSTRUCTED monthly totals: 2023M01 1800, 2024M01 1782 -> 1-year change -18 = -1.0 %
    CONSTRUCTED = pd.DataFrame({"level": "municipality", "entity_id": "0825", "entity_name": "Læsø",
                                "period": ["2022M06", "2023M01", "2024M01"], "population": [1850, 1800, 1782]})
    figs = kf.compute_figures(CONSTRUCTED, period="2024M01")
    v = figs.set_index("figure_id")
    assert v.loc["growth_1y", "value"] == -18
    assert v.loc["growth_1y_pct", "value"] == pytest.approx(-18 / 1800 * 100)
    assert v.loc["growth_1y", "base_period"] == "2023M01"
    assert "growth_5y" not in v.index and "growth_10y_pct" not in v.index
    miss = kf.missing_figures(figs).set_index("figure_id")
    assert "2019M01" in miss.loc["growth_5y", "reason_da"] and "2022M06" in miss.loc["growth_5y", "reason_da"]
    # totals only: age figures are listed as missing with the reason
    assert "aldersfordeling" in miss.loc["median_age", "reason_da"]
    # growth(): the explicit version raises instead of guessing
    g = kf.growth(CONSTRUCTED, from_period="2022M06", period="2024M01")
    assert g.iloc[0]["change"] == 1782 - 1850
    with pytest.raises(DataNotAvailable, match="2019M01"):
        kf.growth(CONSTRUCTED, 5, period="2024M01")


def test_quarterly_growth_uses_four_quarters():
    CONSTRUCTED = pd.DataFrame({"level": "country", "entity_id": "DK",
                                "period": ["2023K1", "2023K4", "2024K1"], "population": [100, 150, 110]})
    v = kf.compute_figures(CONSTRUCTED).set_index("figure_id")
    assert v.loc["growth_1y", "value"] == 10  # 2024K1 - 2023K1, not 2023K4
    assert v.loc["growth_1y_pct", "value"] == pytest.approx(10.0)


def test_projection_changes_constructed():
    # CONSTRUCTED projection for one region: 65+ = ages 70 and 85, 80+ = age 85
    # 2026: 70: 10, 85: 5 -> 65+ 15, 80+ 5;  2031: 70: 12, 85: 8 -> 65+ 20, 80+ 8;  2036: 70: 15, 85: 10 -> 25, 10
    CONSTRUCTED_PROJ = pd.concat([
        _frame({("region", "1081"): {30: 50, 70: 10, 85: 5}}, period="2026"),
        _frame({("region", "1081"): {30: 50, 70: 12, 85: 8}}, period="2031"),
        _frame({("region", "1081"): {30: 50, 70: 15, 85: 10}}, period="2036"),
    ])
    CONSTRUCTED_OBS = _frame({("region", "1081"): {30: 50, 70: 10, 85: 5}}, period="2026K1")
    v = kf.compute_figures(CONSTRUCTED_OBS, projection=CONSTRUCTED_PROJ).set_index("figure_id")
    assert v.loc["proj_65_plus_change_5y", "value"] == 5  # 20 - 15
    assert v.loc["proj_65_plus_change_5y_pct", "value"] == pytest.approx(5 / 15 * 100)
    assert v.loc["proj_65_plus_change_10y", "value"] == 10  # 25 - 15
    assert v.loc["proj_80_plus_change_5y_pct", "value"] == pytest.approx(60.0)  # (8 - 5) / 5
    assert v.loc["proj_80_plus_change_10y_pct", "value"] == pytest.approx(100.0)  # (10 - 5) / 5
    assert v.loc["proj_80_plus_change_10y", "base_period"] == "2026"
    assert v.loc["proj_80_plus_change_10y", "period"] == "2036"
    # a projection that stops at 2031 gives no 10-year change, with the reason
    short = CONSTRUCTED_PROJ[CONSTRUCTED_PROJ["period"] != "2036"]
    out = kf.compute_figures(CONSTRUCTED_OBS, projection=short)
    assert "proj_65_plus_change_10y" not in set(out["figure_id"])
    reason = kf.missing_figures(out).set_index("figure_id").loc["proj_65_plus_change_10y", "reason_da"]
    assert "2036" in reason and "2031" in reason


def test_age_groups_that_do_not_nest_leave_figures_out():
    CONSTRUCTED = pd.DataFrame({"level": "country", "entity_id": "DK", "period": "2024",
                                "age_group": ["0-14", "15-19", "20-64", "65-79", "80+"],
                                "population": [15, 5, 45, 25, 10]})
    v = kf.compute_figures(CONSTRUCTED).set_index("figure_id")
    assert v.loc["share_65_plus", "value"] == pytest.approx(35.0)  # (25 + 10) / 100
    assert v.loc["share_80_plus", "value"] == pytest.approx(10.0)
    assert "share_0_17" not in v.index and "old_age_dependency" not in v.index
    # the median (N/2 = 50) falls in 20-64, a 45-year band: not interpolated, left out with the reason
    assert "median_age" not in v.index
    assert kf.median_age([(0, 14, 15), (15, 19, 5), (20, 64, 45), (65, None, 35)]) is None
    # with max_width=None: 20 + (50 - 20) / 45 * 45 = 50
    assert kf.median_age([(0, 14, 15), (15, 19, 5), (20, 64, 45), (65, None, 35)], max_width=None) == 50.0
    reason = kf.missing_figures(kf.compute_figures(CONSTRUCTED)).set_index("figure_id").loc["median_age"]
    assert "femårsgrupper" in reason["reason_da"]


# --------------------------------------------------------------------------------------------------
# key_figures on a constructed cluster (registry: Klynge Nord)
# --------------------------------------------------------------------------------------------------

CONSTRUCTED_NORD = {
    ("municipality", "0810"): {10: 20, 40: 50, 70: 20, 85: 10},   # 100; 65+ 30 %
    ("municipality", "0813"): {10: 30, 40: 60, 70: 8, 85: 2},     # 100; 65+ 10 %
    ("municipality", "0825"): {10: 1, 40: 4, 70: 4, 85: 1},       # 10;  65+ 50 %
    ("municipality", "0860"): {10: 10, 40: 30, 70: 5, 85: 5},     # 50;  65+ 20 %
    ("region", "1081"): {10: 100, 40: 300, 70: 80, 85: 20},       # 500; 65+ 20 %
    ("country", "DK"): {10: 1000, 40: 2500, 70: 1000, 85: 500},   # 5000; 65+ 30 %
}


def test_key_figures_constructed_cluster_comparisons_and_ranks():
    CONSTRUCTED = _frame(CONSTRUCTED_NORD)
    table = kf.key_figures("nordjylland-nord", population=CONSTRUCTED)
    assert list(table.columns) == ["entity_level", "entity_id", "entity_name", "figure_id", "label_da", "value",
                                   "unit", "period", "base_period", "region_value", "country_value", "rank",
                                   "suppressed", "display", "note_da", "provenance", "numerator", "denominator",
                                   "ci95_low", "ci95_high", "ci998_low", "ci998_high", "ci_method", "polarity",
                                   "vs_region", "vs_country", "vs_region_note_da", "vs_country_note_da", "trend",
                                   "trend_da", "trend_p", "trend_note_da"]
    # cluster = sum of the four: ages 10: 61, 40: 144, 70: 37, 85: 18 -> 260 persons, 65+ = 55
    assert _value(table, "cluster", "nordjylland-nord", "population") == 260
    assert _value(table, "cluster", "nordjylland-nord", "share_65_plus") == pytest.approx(55 / 260 * 100)
    assert _value(table, "cluster", "nordjylland-nord", "old_age_dependency") == pytest.approx(100 * 55 / 144)
    # median: N/2 = 130, 61 below 40, 144 aged 40 -> 40 + (130 - 61) / 144
    assert _value(table, "cluster", "nordjylland-nord", "median_age") == pytest.approx(40 + 69 / 144)
    assert _value(table, "cluster", "nordjylland-nord", "share_65_plus", "region_value") == pytest.approx(20.0)
    assert _value(table, "cluster", "nordjylland-nord", "share_65_plus", "country_value") == pytest.approx(30.0)
    assert _value(table, "cluster", "nordjylland-nord", "population", "entity_name") == "Klynge Nord"
    # ranks within the cluster, 1 = highest share 65+: Læsø 50, Brønderslev 30, Hjørring 20, Frederikshavn 10
    ranks = {eid: _value(table, "municipality", eid, "share_65_plus", "rank") for eid in KLYNGE_NORD}
    assert ranks == {"0825": 1, "0810": 2, "0860": 3, "0813": 4}
    assert _value(table, "municipality", "0825", "population", "entity_name") == "Læsø"
    assert not table["suppressed"].any()
    assert _value(table, "cluster", "nordjylland-nord", "share_65_plus", "display") == "21,2 %"
    assert table["rank"][table["entity_level"] != "municipality"].isna().all()
    assert table["region_value"][table["entity_level"] == "country"].isna().all()
    # order: cluster, municipalities, region, country
    levels = table["entity_level"].drop_duplicates().tolist()
    assert levels == ["cluster", "municipality", "region", "country"]
    assert "brugerleveret" in table["provenance"].iloc[0]


def test_municipality_ranking_constructed():
    CONSTRUCTED = _frame(CONSTRUCTED_NORD)
    r = kf.municipality_ranking("nordjylland-nord", "population", population=CONSTRUCTED)
    # 0810 and 0813 tie at 100 -> both rank 1, then 0860 (50) rank 3, 0825 (10) rank 4
    assert dict(zip(r["entity_id"], r["rank"], strict=True)) == {"0810": 1, "0813": 1, "0860": 3, "0825": 4}
    assert (r["cluster_value"] == 260).all()
    low = kf.municipality_ranking("nordjylland-nord", "share_65_plus", population=CONSTRUCTED, ascending=True)
    assert low["entity_id"].tolist() == ["0813", "0860", "0810", "0825"]
    with pytest.raises(LookupFailed):
        kf.municipality_ranking("nordjylland-nord", "shares_65", population=CONSTRUCTED)
    with pytest.raises(DataNotAvailable, match="growth_5y"):
        kf.municipality_ranking("nordjylland-nord", "growth_5y", population=CONSTRUCTED)


def test_key_figures_projection_summed_for_cluster():
    # CONSTRUCTED projection for the four Klynge Nord municipalities (identical): 2026: 70: 10, 85: 5;
    # 2031: 70: 12, 85: 8; 2036: 70: 15, 85: 10. Cluster 65+: 60 -> 80 (+20, +33.3 %) -> 100 (+40)
    CONSTRUCTED_PROJ = pd.concat([
        _frame({("municipality", c): ages for c in KLYNGE_NORD}, period=year)
        for year, ages in (("2026", {70: 10, 85: 5}), ("2031", {70: 12, 85: 8}), ("2036", {70: 15, 85: 10}))
    ])
    table = kf.key_figures("nordjylland-nord", population=_frame(CONSTRUCTED_NORD), projection=CONSTRUCTED_PROJ)
    assert _value(table, "cluster", "nordjylland-nord", "proj_65_plus_change_5y") == 20
    assert _value(table, "cluster", "nordjylland-nord", "proj_65_plus_change_5y_pct") == pytest.approx(100 / 3)
    assert _value(table, "cluster", "nordjylland-nord", "proj_65_plus_change_10y") == 40
    assert _value(table, "cluster", "nordjylland-nord", "proj_80_plus_change_10y") == 20  # 40 - 20
    # the region and Denmark are not complete in this projection -> no comparison value (not guessed)
    assert pd.isna(_value(table, "cluster", "nordjylland-nord", "proj_65_plus_change_5y", "region_value"))
    missing = kf.missing_figures(table)
    assert ((missing["entity_level"] == "region") & (missing["figure_id"] == "proj_65_plus_change_5y")).any()
    assert _value(table, "municipality", "0825", "proj_65_plus_change_5y", "display") == "+5"


def test_age_pyramid_constructed_cluster():
    # CONSTRUCTED: each Klynge Nord municipality has men: 2 aged 3, 1 aged 7; women: 1 aged 4, 2 aged 102; every
    # other age 0-102 has 0 persons (a table with every age: a pyramid is never drawn from the ages there are)
    rows = []
    for c in KLYNGE_NORD:
        for sex, ages in (("male", {3: 2, 7: 1}), ("female", {4: 1, 102: 2})):
            for a, n in {**dict.fromkeys(range(103), 0), **ages}.items():
                rows.append({"level": "municipality", "entity_id": c, "period": "2024K1", "sex": sex, "age": a,
                             "population": n})
    CONSTRUCTED = pd.DataFrame(rows)
    pyr = kf.age_pyramid("nordjylland-nord", population=CONSTRUCTED)
    got = {(s, g): n for s, g, n in zip(pyr["sex"], pyr["age_group"], pyr["population"], strict=True) if n}
    assert got == {("male", "0-4"): 8, ("female", "0-4"): 4, ("male", "5-9"): 4, ("female", "100+"): 8}
    assert pyr["share_pct"].sum() == pytest.approx(100.0)
    women_100 = (pyr["age_group"] == "100+") & (pyr["sex"] == "female")
    assert pyr.loc[women_100, "share_pct"].iloc[0] == pytest.approx(8 / 24 * 100)
    assert set(pyr["sex_da"]) == {"Mænd", "Kvinder"}
    assert (pyr["entity_name"] == "Klynge Nord").all()
    # five-year bands in the input give the same pyramid; the median in a five-year band is interpolated
    # CONSTRUCTED bands: 0-4: 10, 5-9: 10, 10+: 5 -> 5 + (12.5 - 10) / 10 * 5 = 6.25
    bands = pd.DataFrame({"level": "country", "entity_id": "DK", "period": "2024K1",
                          "age_group": ["0-4", "5-9", "10+"], "population": [10, 10, 5]})
    assert kf.compute_figures(bands).set_index("figure_id").loc["median_age", "value"] == pytest.approx(6.25)
    # a single municipality by name
    pyr_l = kf.age_pyramid("Læsø", population=CONSTRUCTED)
    assert pyr_l["population"].sum() == 6
    # an age not in the data: no pyramid from the others (issue 25)
    with pytest.raises(DataNotAvailable, match="alder 38 år mangler"):
        kf.age_pyramid("Læsø", population=CONSTRUCTED[CONSTRUCTED["age"] != 38])
    # totals only: not available
    with pytest.raises(DataNotAvailable, match="sex and age"):
        kf.age_pyramid("Læsø", population=_frame({("municipality", "0825"): {30: 5}}))
    with pytest.raises(DataNotAvailable, match="five-year"):
        kf.age_pyramid("DK", population=pd.DataFrame({
            "level": "country", "entity_id": "DK", "period": "2024K1", "sex": ["male", "female"],
            "age_group": ["0-17", "0-17"], "population": [3, 4]}))


# --------------------------------------------------------------------------------------------------
# malformed input
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "column", "row"), [
    ({"level": ["municipality", "parish"]}, "level", 1),
    ({"entity_id": ["0851", "abc"]}, "entity_id", 1),
    ({"period": ["2024K1", "24-1"]}, "period", 1),
    ({"population": [5, -3]}, "population", 1),
    ({"population": [5, "many"]}, "population", 1),
    ({"age": [5, "ældre"]}, "age", 1),
    ({"sex": ["male", "x"]}, "sex", 1),
])
def test_malformed_frames_name_row_and_column(change, column, row):
    base = {"level": ["municipality", "municipality"], "entity_id": ["0851", "0851"],
            "period": ["2024K1", "2024K1"], "sex": ["male", "female"], "age": [5, 6], "population": [5, 6]}
    base.update(change)
    with pytest.raises(DataFormatError) as err:
        kf.compute_figures(pd.DataFrame(base))
    assert f"row {row}" in str(err.value) and f"'{column}'" in str(err.value)


def test_missing_columns_and_unknown_period():
    with pytest.raises(DataFormatError, match="missing column"):
        kf.compute_figures(pd.DataFrame({"entity_id": ["0851"], "population": [1]}))
    CONSTRUCTED = pd.DataFrame({"level": "country", "entity_id": "DK", "period": ["2024K1"], "population": [7]})
    with pytest.raises(DataNotAvailable, match="2020K1"):
        kf.compute_figures(CONSTRUCTED, period="2020K1")


def test_format_value_and_periods():
    assert kf.format_value(5961249, 0, "personer") == "5.961.249"
    # issue 24: one typography rule everywhere (the tables' and the summary's): true minus, never a non-zero 0,0
    assert kf.format_value(-0.04, 1, "%", signed=True) == "\u22120,04 %"
    assert kf.format_value(1.26, 1, "%", signed=True) == "+1,3 %"
    assert kf.format_value(1234.5678, 2, "år") == "1.234,57"
    assert kf.format_value(float("nan"), 1, "%") == ""


# --------------------------------------------------------------------------------------------------
# real data: Statistics Denmark FOLK1AM monthly totals (../shared/data/population)
# --------------------------------------------------------------------------------------------------

def _raw_municipalities(population_dir: Path) -> dict[tuple[str, str], int]:
    with open(population_dir / DERIVED, newline="", encoding="utf-8") as fh:
        return {(r["municipality_code"], r["period"]): int(r["population"]) for r in csv.DictReader(fh)}


def _raw_areas(population_dir: Path) -> dict[tuple[str, str], int]:
    with open(population_dir / FOLK1AM, newline="", encoding="utf-8-sig") as fh:
        return {(r["OMRÅDE"], r["TID"]): int(r["INDHOLD"]) for r in csv.DictReader(fh, delimiter=";")}


@pytest.fixture(scope="module")
def municipal_frame(population_dir: Path) -> pd.DataFrame:
    """The derived municipality file, read with the package's normal parser."""
    from klyngedata.sources import parse_tidy_municipality_csv

    return parse_tidy_municipality_csv(population_dir / DERIVED)


@pytest.fixture(scope="module")
def folk1am_frame(population_dir: Path) -> pd.DataFrame:
    """The FOLK1AM export (country, regions, municipalities), read with the package's normal parser."""
    from klyngedata.sources import parse_statbank_csv

    return parse_statbank_csv(population_dir / FOLK1AM)


def test_real_growth_klynge_nord_2022m01_2024m01_is_sum_of_members(population_dir, municipal_frame):
    raw = _raw_municipalities(population_dir)
    before = sum(raw[(c, "2022M01")] for c in KLYNGE_NORD)
    after = sum(raw[(c, "2024M01")] for c in KLYNGE_NORD)
    frame = kf.comparison_frame("nordjylland-nord", municipal_frame)
    g = kf.growth(frame, from_period="2022M01", period="2024M01", entity_ids=["nordjylland-nord"])
    assert len(g) == 1
    row = g.iloc[0]
    assert row["population_from"] == before
    assert row["population_to"] == after
    assert row["change"] == after - before
    assert row["change_pct"] == pytest.approx((after - before) / before * 100)
    # the members, one by one
    gm = kf.growth(frame, from_period="2022M01", period="2024M01", entity_ids=KLYNGE_NORD).set_index("entity_id")
    for c in KLYNGE_NORD:
        assert gm.loc[c, "change"] == raw[(c, "2024M01")] - raw[(c, "2022M01")]


@pytest.mark.parametrize("which", ["municipal", "folk1am"])
def test_real_key_figures_reproduce_region_and_country_rows(population_dir, municipal_frame, folk1am_frame, which):
    raw = _raw_municipalities(population_dir)
    areas = _raw_areas(population_dir)
    frame = municipal_frame if which == "municipal" else folk1am_frame
    table = kf.key_figures("nordjylland-nord", period="2024M01", population=frame)
    cluster_now = sum(raw[(c, "2024M01")] for c in KLYNGE_NORD)
    cluster_before = sum(raw[(c, "2023M01")] for c in KLYNGE_NORD)
    assert _value(table, "cluster", "nordjylland-nord", "population") == cluster_now
    assert _value(table, "cluster", "nordjylland-nord", "growth_1y") == cluster_now - cluster_before
    region_now, region_before = areas[("Region Nordjylland", "2024M01")], areas[("Region Nordjylland", "2023M01")]
    dk_now, dk_before = areas[("Hele landet", "2024M01")], areas[("Hele landet", "2023M01")]
    assert _value(table, "cluster", "nordjylland-nord", "population", "region_value") == region_now
    assert _value(table, "cluster", "nordjylland-nord", "population", "country_value") == dk_now
    assert _value(table, "cluster", "nordjylland-nord", "growth_1y", "region_value") == region_now - region_before
    assert _value(table, "cluster", "nordjylland-nord", "growth_1y_pct", "country_value") == pytest.approx(
        (dk_now - dk_before) / dk_before * 100)
    for c in KLYNGE_NORD:
        assert _value(table, "municipality", c, "population") == raw[(c, "2024M01")]
    prov = _value(table, "region", "1081", "population", "provenance")
    assert "FOLK1AM" in prov
    assert ("summeret" in prov) == (which == "municipal")
    # history too short for 5 and 10 years: left out, with the reason
    assert not table["figure_id"].isin(["growth_5y", "growth_10y", "growth_5y_pct"]).any()
    reason = kf.missing_figures(table).query("entity_id == 'nordjylland-nord' and figure_id == 'growth_5y'")
    assert "2019M01" in reason["reason_da"].iloc[0] and "2021M10" in reason["reason_da"].iloc[0]
    # totals only: no age figures, each listed as missing
    assert not table["figure_id"].isin(["median_age", "share_65_plus"]).any()


@pytest.mark.parametrize("region_code,region_name", [
    ("1081", "Region Nordjylland"), ("1082", "Region Midtjylland"), ("1083", "Region Syddanmark"),
    ("1084", "Region Hovedstaden"), ("1085", "Region Sjælland"),
])
def test_real_region_comparison_for_every_region(population_dir, municipal_frame, region_code, region_name):
    from klyngedata import registry

    areas = _raw_areas(population_dir)
    cluster_id = registry.clusters(region=region_code)["cluster_id"].iloc[0]
    table = kf.key_figures(cluster_id, period="2024M04", population=municipal_frame)
    # summed from municipalities (Christiansø 0411 counted in Hovedstaden, as DST does) = the file's region row
    assert _value(table, "region", region_code, "population") == areas[(region_name, "2024M04")]
    assert _value(table, "country", "DK", "population") == areas[("Hele landet", "2024M04")]


def test_real_ranking_klynge_nord(population_dir, municipal_frame):
    raw = _raw_municipalities(population_dir)
    expected = sorted(KLYNGE_NORD, key=lambda c: raw[(c, "2024M01")] - raw[(c, "2023M01")], reverse=True)
    r = kf.municipality_ranking("nordjylland-nord", "growth_1y", period="2024M01", population=municipal_frame)
    assert r["entity_id"].tolist() == expected
    assert r["rank"].tolist() == [1, 2, 3, 4]


def test_real_split_cluster_is_reported_missing(municipal_frame):
    table = kf.key_figures("hovedstaden-byen", population=municipal_frame)
    assert not (table["entity_level"] == "cluster").any()
    reason = kf.missing_figures(table).query("entity_level == 'cluster'")["reason_da"].iloc[0]
    assert "0101" in reason and "bydel" in reason
    # København itself is shown (whole municipality, with a note); Frederiksberg too
    assert set(table.loc[table["entity_level"] == "municipality", "entity_id"]) == {"0101", "0147"}
    assert "delt" in _value(table, "municipality", "0101", "population", "note_da")


def test_real_key_figures_through_population_module(imported_data_dir, population_dir, monkeypatch):
    """The normal path: files imported into a data dir, key_figures loads them itself."""
    pytest.importorskip("klyngedata.population", reason="klyngedata.population not written yet")
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")  # no StatBank calls from tests
    raw = _raw_municipalities(population_dir)
    areas = _raw_areas(population_dir)
    table = kf.key_figures("nordjylland-nord", period="2024M01", data_dir=imported_data_dir)
    assert _value(table, "cluster", "nordjylland-nord", "population") == sum(raw[(c, "2024M01")]
                                                                           for c in KLYNGE_NORD)
    assert _value(table, "cluster", "nordjylland-nord", "growth_1y", "region_value") == (
        areas[("Region Nordjylland", "2024M01")] - areas[("Region Nordjylland", "2023M01")])
    assert "FOLK1AM" in table["provenance"].iloc[0]
    # no projection cached: projection figures are listed as missing, nothing is fetched
    assert not table["figure_id"].str.startswith("proj_").any()
    # the split cluster: København's part is not allocated (no bydel data), so no cluster figures
    byen = kf.key_figures("hovedstaden-byen", data_dir=imported_data_dir)
    assert not (byen["entity_level"] == "cluster").any()
    assert "0101" in kf.missing_figures(byen).query("entity_level == 'cluster'")["reason_da"].iloc[0]
    # the real files have totals only: no age pyramid, with a message saying what is needed
    with pytest.raises(DataNotAvailable, match="sex and age"):
        kf.age_pyramid("nordjylland-nord", data_dir=imported_data_dir)


def test_split_cluster_with_unit_population(population_dir, tmp_path, monkeypatch):
    """København split by bydel: with unit populations the population layer allocates it, key_figures uses it."""
    pytest.importorskip("klyngedata.population", reason="klyngedata.population not written yet")
    from klyngedata import registry
    from klyngedata.importing import import_file

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    raw = _raw_municipalities(population_dir)
    import_file(population_dir / DERIVED, data_dir=tmp_path)
    members = registry.membership("sundhedsklynger-2022").query("municipality_code == '0101'")
    units = members["unit_code"].tolist()
    assert len(units) == 10
    # CONSTRUCTED unit populations (not real bydel figures) for 2024M01 that add up to the real København
    # total, so that the whole municipality is allocated: 9 bydele with 60000 each, the last one the rest.
    kbh = raw[("0101", "2024M01")]
    CONSTRUCTED_UNITS = {u: 60000 for u in units[:-1]}
    CONSTRUCTED_UNITS[units[-1]] = kbh - 9 * 60000
    lines = ["municipality_code,unit_type,unit_code,period,population"]
    lines += [f"0101,bydel,{u},2024M01,{n}" for u, n in CONSTRUCTED_UNITS.items()]
    unit_file = tmp_path / "constructed_bydel_population.csv"
    unit_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(unit_file, data_dir=tmp_path)
    byen_units = members.loc[members["cluster_id"] == "hovedstaden-byen", "unit_code"]
    expected = raw[("0147", "2024M01")] + sum(CONSTRUCTED_UNITS[u] for u in byen_units)
    table = kf.key_figures("hovedstaden-byen", period="2024M01", data_dir=tmp_path)
    assert _value(table, "cluster", "hovedstaden-byen", "population") == expected
    # other months have no unit data -> no 1-year growth for the cluster (left out, not guessed)
    assert not ((table["entity_level"] == "cluster") & (table["figure_id"] == "growth_1y")).any()


def test_age_pyramid_unknown_entity_names_both_lookups():
    CONSTRUCTED = _frame({("municipality", "0825"): {30: 5}})
    with pytest.raises(LookupFailed) as err:
        kf.age_pyramid("Atlantis", population=CONSTRUCTED)
    assert "neither a cluster" in str(err.value) and "municipality" in str(err.value)


# --------------------------------------------------------------------------------------------------
# properties over random age distributions (hypothesis)
# --------------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_age_tables = st.dictionaries(st.integers(0, 110), st.integers(0, 5000), min_size=1, max_size=60).filter(
    lambda d: sum(d.values()) > 0)


@settings(max_examples=150, deadline=None)
@given(_age_tables)
def test_median_splits_the_population_in_two_halves(ages):
    """With persons spread evenly within each year, exactly N/2 persons are younger than the median."""
    med = kf.median_age(ages)
    n = sum(ages.values())
    # persons aged a cover [a, a+1) evenly: the part of them below the median is clamp(med - a, 0, 1)
    below = sum(v * min(max(med - a, 0.0), 1.0) for a, v in ages.items())
    assert below == pytest.approx(n / 2)
    assert min(a for a, v in ages.items() if v > 0) <= med <= max(a for a, v in ages.items() if v > 0) + 1


@settings(max_examples=100, deadline=None)
@given(_age_tables)
def test_broad_shares_add_up_and_match_counts(ages):
    CONSTRUCTED = _frame({("country", "DK"): ages})
    v = kf.compute_figures(CONSTRUCTED).set_index("figure_id")["value"]
    n = sum(ages.values())
    assert v["share_0_17"] + v["share_18_64"] + v["share_65_plus"] == pytest.approx(100.0)
    assert v["share_65_plus"] == pytest.approx(100 * sum(c for a, c in ages.items() if a >= 65) / n)
    assert v["pop_80_plus"] == sum(c for a, c in ages.items() if a >= 80)
    working = sum(c for a, c in ages.items() if 18 <= a <= 64)
    if working:
        assert v["old_age_dependency"] == pytest.approx(100 * sum(c for a, c in ages.items() if a >= 65) / working)
    else:
        assert "old_age_dependency" not in v.index
