"""Disclosure control of the deaths behind life expectancy and mortality, tested as an attacker would, and the
member view (computed beside published life expectancy). CONSTRUCTED deaths 2018-2024 with small counts put in on
purpose, on a population whose municipality totals are the real ones of 1 January 2022 (../shared/data, read
through the loaders) with a CONSTRUCTED growth of 0.3 % a year and a CONSTRUCTED age structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

import klyngedata as kd
from klyngedata import registry
from klyngedata.mortality import figures
from klyngedata.mortality.members import COMPUTED_DA, NOT_PUBLISHED_DA, PUBLISHED_DA
from tests.mortality_data import construct, real_totals

YEARS = list(range(2018, 2025))
DIVISIONS = ("klyngestyregrupper-2019", "sundhedsklynger-2022", "sundhedsraad-2027")
LEVELS = ("municipality", "cluster", "region", "country")
# CONSTRUCTED small counts (deaths at all ages in a year): Læsø's men in 2021 and women in 2023, Frederiksberg's
# men in 2022 (in a split cluster in 2022, a whole council in 2027), Bornholm's women in 2020 (a unit of its own),
# Samsø's men in 2022
SMALL = {("0825", "male", 2021): 3, ("0825", "female", 2023): 2, ("0147", "male", 2022): 1,
         ("0400", "female", 2020): 4, ("0741", "male", 2022): 7}  # Samsø's 7: small only under threshold 10


@pytest.fixture(scope="module")
def data(imported_data_dir):
    real = real_totals(imported_data_dir, [2022])
    totals = {(c, y): int(round(n * (1 + 0.003 * (y - 2022)))) for (c, _), n in real.items()
              for y in [*YEARS, YEARS[-1] + 1]}  # CONSTRUCTED growth around the real 2022 totals
    return construct(totals, YEARS, small=SMALL)


def kw(data) -> dict:
    return dict(deaths=data.deaths, population=data.population)


def publish_everything(data, divisions=DIVISIONS, levels=LEVELS, windows=(1, 3, 5)) -> pd.DataFrame:
    """Every life expectancy at birth row kd publishes from the data: all divisions, levels, windows, sexes."""
    parts = []
    for division in divisions:
        for level in levels:
            for window in windows:
                le = kd.life_expectancy(level, division=division, period="all", window=window, ages=[0], **kw(data))
                parts.append(le.assign(division=division))
    return pd.concat(parts, ignore_index=True)


def members(division: str, level: str, entity: str, codes: list[str]) -> list[str]:
    """The municipalities a published row is the sum of, worked out by the attacker from the registry."""
    if level == "municipality":
        return [entity]
    if level == "country":
        return codes
    if level == "region":
        regions = registry.municipality_regions(division=division)
        east = entity in ("1084", "oestdanmark")  # Christiansø counts in Hovedstaden / Østdanmark
        return [c for c in codes if regions.get(c) == entity or (c == "0411" and east)]
    return sorted(set(registry.cluster(entity).municipality_codes))


def window_years(period: str) -> list[int]:
    first, _, last = period.partition(":")
    return list(range(int(first), int(last or first) + 1))


def attack(data, published: pd.DataFrame) -> list[tuple]:
    """What the shown deaths pin: every count of 1-4 of a municipality (by sex and both sexes, every year) and
    every hidden published count of 1-4; returns those whose largest value consistent with everything shown and
    non-negative cells is below 5."""
    codes = sorted({k[0] for k in data.deaths_of})
    var = {(c, s, y): i for i, (c, s, y) in enumerate((c, s, y) for c in codes for s in ("male", "female")
                                                      for y in YEARS)}

    def row(division, level, entity, sex, period):
        cols = [var[(c, s, y)] for c in members(division, level, entity, codes)
                for s in (("male", "female") if sex == "total" else (sex,)) for y in window_years(period)]
        return cols

    def truth(cols):
        inv = {i: k for k, i in var.items()}
        return sum(sum(data.deaths_of[(*inv[i], lo)] for lo in {k[3] for k in data.deaths_of}) for i in cols)

    shown = published[published["deaths"].notna()].drop_duplicates(["division", "entity_level", "entity_id", "sex",
                                                                     "period"])
    r, c, rhs = [], [], []
    for k, x in enumerate(shown.itertuples()):
        cols = row(x.division, x.entity_level, x.entity_id, x.sex, x.period)
        r += [k] * len(cols)
        c += cols
        rhs.append(x.deaths)
    a_eq = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rhs), len(var)))
    targets = []
    for code in codes:
        for year in YEARS:
            for sex in ("male", "female", "total"):
                cols = row("sundhedsklynger-2022", "municipality", code, sex, str(year))
                if 1 <= truth(cols) <= 4:
                    targets.append(((code, sex, year), cols))
    for x in published[published["suppressed"]].itertuples():
        cols = row(x.division, x.entity_level, x.entity_id, x.sex, x.period)
        if 1 <= truth(cols) <= 4:
            targets.append(((x.entity_id, x.sex, x.period), cols))
    assert targets, "the construction has small counts"
    pinned = []
    for name, cols in targets:
        cost = np.zeros(len(var))
        cost[cols] = -1.0
        res = linprog(cost, A_eq=a_eq, b_eq=np.array(rhs), bounds=(0, None), method="highs")
        assert res.status in (0, 3)  # 3: unbounded (nothing pins it)
        if res.status == 0 and -res.fun < 5 - 1e-6:
            pinned.append((name, truth(cols), round(-res.fun, 3)))
    return pinned


def test_no_small_death_count_can_be_worked_out_from_everything_published(data):
    published = publish_everything(data)
    assert attack(data, published) == []
    laeso = published[(published["entity_id"] == "0825") & (published["sex"] == "male")
                      & (published["period"] == "2021")]
    assert laeso["suppressed"].all() and (laeso["display"] == "<5").all() and laeso["value"].isna().all()
    assert laeso["note_da"].str.contains("diskretionshensyn").all()
    # a hidden count has no interval, comparison or trend; every shown count is 0 or at least 5
    hidden = published[published["suppressed"]]
    assert hidden[["value", "ci95_low", "deaths", "person_years"]].isna().all().all()
    assert (hidden["vs_country"] == "not_compared").all()
    shown = published["deaths"].dropna()
    assert ((shown == 0) | (shown >= 5)).all()


def test_the_attacker_finds_the_leak_without_disclosure_control(data, monkeypatch):
    """The attack above is not vacuous: with the control switched off the small counts are pinned."""
    original = figures.controlled_deaths

    def everything_shown(mb, **options):
        out = original(mb, **options)
        return out.assign(suppressed=False, primary=False, display="")

    monkeypatch.setattr(figures, "controlled_deaths", everything_shown)
    pinned = attack(data, publish_everything(data, ["sundhedsklynger-2022"], ["municipality", "cluster"], [1]))
    assert (("0825", "male", 2021), 3, 3.0) in pinned


def test_mortality_shows_the_same_counts_under_the_same_control(data):
    le = kd.life_expectancy("cluster", division="sundhedsklynger-2022", period="all", window=1, ages=[0],
                            **kw(data))
    m = kd.mortality("cluster", division="sundhedsklynger-2022", period="all", window=1, **kw(data))
    keys = ["entity_id", "sex", "period"]
    for fid in ("death_rate_standardised", "standardised_mortality_ratio"):
        both = le.merge(m[m["figure_id"] == fid], on=keys, suffixes=("", "_m"))
        assert len(both) == len(le)
        assert (both["suppressed"] == both["suppressed_m"]).all()
        same = both["deaths"].isna() == both["deaths_m"].isna()
        assert same.all() and np.allclose(both["deaths"].dropna(), both["deaths_m"].dropna())
    assert m.loc[m["figure_id"] == "premature_mortality", "deaths"].isna().all()


def test_threshold_above_five_hides_more(data):
    five = kd.life_expectancy("municipality", period="all", window=1, ages=[0], **kw(data))
    ten = kd.life_expectancy("municipality", period="all", window=1, ages=[0], threshold=10, **kw(data))
    assert (ten["suppressed"] | ~five["suppressed"]).all()  # the patterns are nested
    samsoe = (ten["entity_id"] == "0741") & (ten["sex"] == "male") & (ten["period"] == "2022")
    assert ten.loc[samsoe, "display"].eq("<10").all() and not five.loc[samsoe, "suppressed"].any()


def test_member_view_puts_computed_and_published_side_by_side(data):
    """CONSTRUCTED HISBK values for Klynge Nord's members (Læsø absent, as HISBK may leave a small municipality
    out): each member has a computed row (klyngedata's life table) and a published row, labelled."""
    codes = ["0810", "0813", "0860"]
    hisbk = pd.DataFrame({"area_level": "municipality", "area_code": codes * 3,
                          "sex": np.repeat(["total", "male", "female"], 3), "measure": "life_expectancy_0",
                          "period": "2020:2024", "value": [80.1, 79.5, 81.2, 78.0, 77.1, 79.3, 82.0, 81.8, 83.1],
                          "reason_da": pd.NA})
    view = kd.member_life_expectancy("nordjylland-nord", period="latest", hisbk=hisbk, **kw(data))
    assert set(view["entity_id"]) == {"0810", "0813", "0825", "0860"} and set(view["period"]) == {"2020:2024"}
    assert len(view) == 4 * 3 * 2 and set(view["kind_da"]) == {COMPUTED_DA, PUBLISHED_DA}
    published = view[view["kind"] == "published"].set_index(["entity_id", "sex"])
    assert published.loc[("0813", "male"), "value"] == 77.1 and published.loc[("0813", "male"), "display"] == "77,1"
    assert np.isnan(published.loc[("0825", "total"), "value"])
    assert published.loc[("0825", "total"), "note_da"] == NOT_PUBLISHED_DA
    computed = view[view["kind"] == "computed"].set_index(["entity_id", "sex"])
    le = kd.life_expectancy("municipality", division="sundhedsklynger-2022", period="2020:2024", ages=[0],
                            **kw(data)).set_index(["entity_id", "sex"])
    for key in [("0810", "total"), ("0860", "female")]:
        assert computed.loc[key, "value"] == le.loc[key, "value"] and computed.loc[key, "ci95_low"] > 70
