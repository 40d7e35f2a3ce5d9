"""Life expectancy and mortality of units (issue 23, data side): pooled life tables, standardised rates and SMR
checked against hand computations, on CONSTRUCTED deaths and a population whose municipality totals are the real
ones (../shared/data, FOLK1AM, read through the loaders) split by a CONSTRUCTED age structure
(tests/mortality_data.py). Every number below that is not a real total is CONSTRUCTED."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

import klyngedata as kd
from klyngedata import registry
from klyngedata.exceptions import ArgumentError, DataNotAvailable
from klyngedata.stats.lifetable import life_expectancies, life_expectancy, life_table
from tests.mortality_data import DEATH_BANDS, POP_BANDS, construct, fod207_export, real_totals

YEARS = [2022, 2023]
TOP = 90  # the open band the package uses when both tables have the edge (90+)
BANDS = [lo for lo, _ in DEATH_BANDS if lo < TOP] + [TOP]
# the European Standard Population 2013 (Eurostat 2013, KS-RA-13-028), written out again here: 0, 1-4, 5-9, …
ESP = {0: 1000, 1: 4000, 5: 5500, 10: 5500, 15: 5500, 20: 6000, 25: 6000, 30: 6500, 35: 7000, 40: 7000, 45: 7000,
       50: 7000, 55: 6500, 60: 6000, 65: 5500, 70: 5000, 75: 4000, 80: 2500, 85: 1500, 90: 800 + 200}


@pytest.fixture(scope="module")
def data(imported_data_dir):
    """CONSTRUCTED deaths 2022-2023 on the real municipality totals of 1 January 2022, 2023 and 2024."""
    return construct(real_totals(imported_data_dir, [*YEARS, YEARS[-1] + 1]), YEARS)


def band_of(lo: int) -> int:
    return max(b for b in BANDS if b <= lo)


def by_hand(data, codes, sexes, years):
    """Deaths and person-years of ``codes`` pooled by hand: band -> (deaths, person-years)."""
    d = dict.fromkeys(BANDS, 0.0)
    p = dict.fromkeys(BANDS, 0.0)
    for (code, sex, year, lo), v in data.deaths_of.items():
        if code in codes and sex in sexes and year in years:
            d[band_of(lo)] += v
    for code in codes:
        for sex in sexes:
            for year in years:
                for lo, _ in POP_BANDS:
                    stocks = data.stock_of[(code, sex, year, lo)], data.stock_of[(code, sex, year + 1, lo)]
                    p[band_of(lo)] += sum(stocks) / 2
    return d, p


def hand_table(d, p) -> pd.DataFrame:
    return pd.DataFrame({"age_start": BANDS, "deaths": [d[b] for b in BANDS], "person_years": [p[b] for b in BANDS]})


SEXES = {"total": ("male", "female"), "male": ("male",), "female": ("female",)}


@pytest.mark.parametrize("division", ["sundhedsklynger-2022", "sundhedsraad-2027"])
def test_a_units_life_expectancy_is_the_life_table_of_its_pooled_deaths_not_the_mean(data, division):
    """Done-when: every unit's life expectancy (at birth and at 65, every sex) equals the life table of the deaths
    and person-years of its member municipalities pooled by hand, and is not the mean of its members' values."""
    le = kd.life_expectancy("cluster", division=division, period="2023", window=1, deaths=data.deaths,
                            population=data.population)
    munis = kd.life_expectancy("municipality", division=division, period="2023", window=1, sex="total", ages=[0],
                               deaths=data.deaths, population=data.population).set_index("entity_id")["value"]
    differs = 0
    for cid, g in registry.membership(division).groupby("cluster_id"):
        rows = le[le["entity_id"] == cid]
        if (g["allocation"] != "whole").any():  # København split by bydel: no deaths by bydel
            assert rows["value"].isna().all() and rows["note_da"].str.contains("bydel").all()
            continue
        codes = set(g["municipality_code"])
        for sex, sexes in SEXES.items():
            bands = hand_table(*by_hand(data, codes, sexes, [2023]))
            table = life_table(bands)
            for age in (0, 65):
                row = rows[(rows["sex"] == sex) & (rows["age"] == age)].iloc[0]
                expected = life_expectancy(bands, age)  # the stability rule: too few person-years at 65+
                assert row["note_da"] == expected.note_da, (cid, sex, age)
                if expected.note_da:
                    assert np.isnan(row["value"]) and np.isnan(row["ci95_low"])
                    continue
                at = table.loc[table["age_start"] == age].iloc[0]
                assert row["value"] == pytest.approx(at["ex"], abs=1e-9), (cid, sex, age)
                assert row["ci95_low"] == pytest.approx(at["ci95_low"], abs=1e-9)
                assert row["period"] == "2023" and row["period_da"] == "2023" and not row["suppressed"]
        unit = rows[(rows["sex"] == "total") & (rows["age"] == 0)]["value"].iloc[0]
        members = munis.reindex(sorted(codes)).dropna()
        if len(codes) > 1 and len(members) > 1:
            assert abs(unit - members.mean()) > 1e-3, (cid, unit, members.mean())
            differs += 1
    assert differs >= 10


def test_region_and_country_are_pooled_and_compared(data):
    le = kd.life_expectancy("region", division="sundhedsraad-2027", period="2023", window=1, sex="female", ages=[0],
                            deaths=data.deaths, population=data.population)
    east = le[le["entity_id"] == "oestdanmark"].iloc[0]
    codes = {c for c, r in registry.municipality_regions(division="sundhedsraad-2027").items() if r == "oestdanmark"}
    table = life_table(hand_table(*by_hand(data, codes | {"0411"}, ("female",), [2023])))
    assert east["value"] == pytest.approx(table["ex"].iloc[0], abs=1e-9)  # Christiansø counts in Østdanmark
    dk = kd.life_expectancy("country", period="2023", window=1, sex="female", ages=[0], deaths=data.deaths,
                            population=data.population).iloc[0]
    assert east["country_value"] == pytest.approx(dk["value"])
    assert east["vs_region_note_da"] == "Tallet er regionens eget."
    assert east["vs_country"] in {"better", "similar", "worse"} and east["polarity"] == "high_is_good"


def test_standardised_rate_premature_mortality_and_smr_by_hand(data):
    """Done-when: the standardised death rate (ESP 2013, Dobson interval), premature mortality and the SMR of a
    unit equal hand computations."""
    m = kd.mortality("cluster", division="sundhedsklynger-2022", period="2023", window=1, deaths=data.deaths,
                     population=data.population).set_index(["entity_id", "figure_id", "sex"])
    codes = set(registry.cluster("midtjylland-vest").municipality_codes)
    for sex, sexes in SEXES.items():
        d, p = by_hand(data, codes, sexes, [2023])
        w = {b: ESP[b] / 100_000 for b in BANDS}
        y = sum(w[b] * d[b] / p[b] for b in BANDS)
        v = sum(w[b] ** 2 * d[b] / p[b] ** 2 for b in BANDS)
        o = sum(d.values())
        low = y + np.sqrt(v / o) * (chi2.ppf(0.025, 2 * o) / 2 - o)
        row = m.loc[("midtjylland-vest", "death_rate_standardised", sex)]
        assert row["value"] == pytest.approx(y * 1e5, rel=1e-12) and row["deaths"] == o
        assert row["ci95_low"] == pytest.approx(low * 1e5, rel=1e-9)
        assert row["crude_rate"] == pytest.approx(o / sum(p.values()) * 1e5)
        young = [b for b in BANDS if b < 75]
        premature = sum(ESP[b] * d[b] / p[b] for b in young) / sum(ESP[b] for b in young) * 1e5
        row = m.loc[("midtjylland-vest", "premature_mortality", sex)]
        assert row["value"] == pytest.approx(premature, rel=1e-12)
        assert np.isnan(row["deaths"]) and np.isnan(row["crude_rate"])  # deaths under 75 are not published
        everyone = {k[0] for k in data.stock_of}
        expected = 0.0
        for s in sexes:
            dd, dp = by_hand(data, everyone, (s,), [2023])
            _, up = by_hand(data, codes, (s,), [2023])
            expected += sum(dd[b] / dp[b] * up[b] for b in BANDS)
        row = m.loc[("midtjylland-vest", "standardised_mortality_ratio", sex)]
        assert row["expected"] == pytest.approx(expected, rel=1e-12)
        assert row["value"] == pytest.approx(100 * o / expected, rel=1e-12)
        assert row["ci95_high"] == pytest.approx(100 * chi2.ppf(0.975, 2 * o + 2) / 2 / expected, rel=1e-9)
        assert row["polarity"] == "low_is_good"


def test_small_units_get_no_value_and_a_danish_reason(data):
    le = kd.life_expectancy("municipality", period="2023", window=1, sex="total", ages=[0], deaths=data.deaths,
                            population=data.population).set_index("entity_id")
    assert np.isnan(le.loc["0825", "value"])  # Læsø: under 5,000 person-years
    assert le.loc["0825", "note_da"].startswith("Middellevetiden beregnes ikke, fordi befolkningen er for lille")
    assert le.loc["0851", "value"] > 70 and le.loc["0851", "note_da"] == ""
    shown = le["deaths"].dropna()
    assert ((shown == 0) | (shown >= 5)).all()  # a count of 1-4 is never shown (0 is)


def test_windows_and_arguments(data):
    kw = dict(deaths=data.deaths, population=data.population)
    with pytest.raises(DataNotAvailable, match="no 3-year window"):
        kd.life_expectancy("country", window=3, **kw)
    with pytest.raises(DataNotAvailable, match=r"window\(s\) \['2021'\] not published.*2022, 2023"):
        kd.life_expectancy("country", period=2021, window=1, **kw)
    with pytest.raises(ArgumentError, match="window must be one of"):
        kd.life_expectancy("country", window=2, **kw)
    both = kd.life_expectancy("country", period="all", window=1, sex="Kvinder", ages=[65], **kw)
    assert both["period"].tolist() == ["2022", "2023"] and set(both["sex"]) == {"female"}
    assert both["deaths"].isna().all()  # deaths at 65+ are not published
    assert both["trend"].eq("not_computed").all()  # two years: too few for a trend


def test_vectorised_life_expectancies_equal_one_table_at_a_time(data):
    """The arrays path of :func:`life_expectancies` gives, group by group, what :func:`life_expectancy` gives –
    values and Danish reasons – also for groups that break a rule."""
    rows = []
    for code in ["0825", "0851", "0411", "0101"]:
        d, p = by_hand(data, {code}, ("male", "female"), [2023])
        rows += [(code, b, d[b], p[b]) for b in BANDS]
    frame = pd.DataFrame(rows, columns=["area", "age_start", "deaths", "person_years"])
    frame.loc[(frame["area"] == "0101") & (frame["age_start"] == 5), "deaths"] = np.nan
    fast = life_expectancies(frame, by=["area"], ages=(0, 65))
    for r in fast.itertuples():
        one = life_expectancy(frame[frame["area"] == r.area].drop(columns="area"), r.age)
        assert (np.isnan(one.value) and np.isnan(r.value)) or one.value == pytest.approx(r.value, abs=1e-12)
        assert one.note_da == r.note_da and one.deaths == r.deaths or np.isnan(one.deaths)


def test_import_of_a_statbank_fod207_export_feeds_the_life_tables(tmp_path, data):
    """Done-when: a StatBank CSV export of FOD207 (Danish, text presentation, with '..' and the table's own
    irregular bands) imports through ``klyngedata data import`` with the rules of the population import, and the
    life tables read it from the cache: the '..' makes its municipality's and its units' figures missing with a
    Danish reason; the bands are read from the file."""
    from klyngedata.dst.health_store import load_health_table
    from klyngedata.importing import import_file

    path = tmp_path / "FOD207_2022_2023.csv"
    path.write_bytes(fod207_export(data, missing={("0860", "male", 2023, 40)}).encode("utf-8"))
    target = tmp_path / "data"
    [result] = import_file(path, data_dir=target)
    assert result.key == "health/FOD207"
    cached = load_health_table("FOD207", target)
    assert cached["value"].isna().sum() == 1 and len(cached) == len(data.deaths_of)
    le = kd.life_expectancy("cluster", division="sundhedsklynger-2022", period="2023", window=1, sex="male",
                            ages=[0], data_dir=target, population=data.population).set_index("entity_id")
    nord = le.loc["nordjylland-nord"]
    assert np.isnan(nord["value"]) and nord["note_da"].startswith("Hjørring (0860): Danmark")
    syd = le.loc["nordjylland-syd"]
    assert syd["value"] > 70 and syd["note_da"] == ""


def test_christiansoe_counts_where_the_deaths_table_has_it(data):
    """Christiansø (0411, no municipality) is summed into Region Hovedstaden and Denmark when the deaths table has
    it; a deaths table without it leaves the region computable (its population alone does not make a member)."""
    without = data.deaths[data.deaths["area_code"] != "0411"]
    args = dict(period="2023", window=1, sex="total", ages=[0], population=data.population)
    with_it = kd.life_expectancy("region", division="sundhedsklynger-2022", deaths=data.deaths, **args)
    no_it = kd.life_expectancy("region", division="sundhedsklynger-2022", deaths=without, **args)
    h1, h2 = (f.set_index("entity_id").loc["1084"] for f in (with_it, no_it))
    assert h1["value"] > 0 and h2["value"] > 0 and h1["person_years"] > h2["person_years"]
    codes = {c for c, r in registry.municipality_regions(division="sundhedsklynger-2022").items() if r == "1084"}
    expected = life_table(hand_table(*by_hand(data, codes, ("male", "female"), [2023])))["ex"].iloc[0]
    assert h2["value"] == pytest.approx(expected, abs=1e-9)
