"""Key figures of many units at once (keyfigures.many) and profiles on arrays (keyfigures.profiles), issue 14.

* :func:`key_figures_many` gives, for every unit of both divisions, the very table :func:`key_figures` gives
  (frame and ``attrs`` compared exactly): on the real shared files (totals by month) and on a CONSTRUCTED
  frame by sex and five-year age group with unpublished ('..') cells, a projection and an explicit period.
* :func:`profile_arrays` (one entity and period on arrays) equals the pandas computation it replaced (kept
  here as the reference) on random CONSTRUCTED rows: sexes summed, missing counts, totals only, open groups.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klyngedata import registry
from klyngedata.exceptions import DataFormatError, LookupFailed
from klyngedata.keyfigures import key_figures
from klyngedata.keyfigures.frame import MISSING_REASON, normalize_population_frame
from klyngedata.keyfigures.many import key_figures_many
from klyngedata.keyfigures.pooling import _load_frame
from klyngedata.keyfigures.profiles import _Profile, profile_arrays

DIVISIONS = ("sundhedsklynger-2022", "sundhedsraad-2027")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert json.dumps(a.attrs, default=str, sort_keys=True) == json.dumps(b.attrs, default=str, sort_keys=True)


def _unit_ids(division: str) -> list[str]:
    return list(registry.clusters(division=division)["cluster_id"])


#: (division, unit) of every unit of both divisions: one short test each (the key figures of all units at once
#: are computed once per division for the file, in ``many_real``)
REAL_UNITS = [(division, unit) for division in DIVISIONS for unit in _unit_ids(division)]


@pytest.fixture(scope="module")
def many_real(imported_data_dir):
    """{division: (population frame, unit ids, key_figures_many of every unit)} on the real files."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KLYNGEDATA_OFFLINE", "1")
    try:
        done = {}
        for division in DIVISIONS:
            population = _load_frame("observed", division, imported_data_dir)
            ids = _unit_ids(division)
            done[division] = population, ids, key_figures_many(ids, division=division, population=population)
    finally:
        mp.undo()
    return done


@pytest.mark.parametrize("division, unit", REAL_UNITS)
def test_many_equals_one_by_one_on_the_real_files(many_real, monkeypatch, division, unit):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    population, ids, many = many_real[division]
    assert list(many) == ids
    _same(many[unit], key_figures(unit, division=division, population=population))


@pytest.mark.parametrize("division", DIVISIONS)
def test_many_loads_by_itself_and_sums_whole_members_on_the_real_files(many_real, imported_data_dir, monkeypatch,
                                                                     division):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    _, ids, many = many_real[division]
    # loading by itself from the data dir gives the same as with the frame given
    _same(key_figures_many(ids[:1], division=division, data_dir=imported_data_dir)[ids[0]], many[ids[0]])
    # real figures: a unit's population is the sum of its member municipalities' (whole members)
    nord = many.get("nordjylland-nord")
    if nord is not None:
        pop = nord[nord["figure_id"] == "population"].set_index("entity_level")
        members = nord[(nord["figure_id"] == "population") & (nord["entity_level"] == "municipality")]
        assert pop.loc["cluster", "value"] == members["value"].sum() > 0


def _constructed(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CONSTRUCTED population (by sex and five-year group, yearly 2013-2025) and projection frames of
    every municipality and Christiansø; counts are random, a few are unpublished ('..'). Not data."""
    rng = np.random.default_rng(seed)
    codes = [*registry.municipalities()["municipality_code"], "0411"]
    groups = [f"{a}-{a + 4}" for a in range(0, 100, 5)] + ["100+"]

    def frame(periods: pd.PeriodIndex, missing_share: float) -> pd.DataFrame:
        m, s, g, q = (x.ravel() for x in np.meshgrid(np.arange(len(codes)), np.arange(2), np.arange(len(groups)),
                                                     np.arange(len(periods)), indexing="ij"))
        pop = pd.array(rng.integers(0, 3000, len(m)), dtype="Int64")
        pop[rng.random(len(m)) < missing_share] = pd.NA
        return pd.DataFrame({"level": "municipality", "entity_id": np.array(codes, dtype=object)[m],
                             "period": periods[q], "sex": np.array(["male", "female"], dtype=object)[s],
                             "age_group": np.array(groups, dtype=object)[g], "population": pop})

    population = frame(pd.period_range("2013", "2025", freq="Y"), 0.001)
    population.attrs["provenance"] = [{"table": "FOLK1A (KONSTRUERET)", "periods": ["2013", "2025"]}]
    projection = frame(pd.period_range("2025", "2040", freq="Y"), 0.0)
    projection.attrs["provenance"] = [{"table": "FRKM125 (KONSTRUERET)"}]
    return population, projection


def _constructed_ids(division: str) -> list[str]:
    """The units of two regions (one with a split municipality in each division): keeps the test short."""
    units = registry.clusters(division=division)
    return list(units.loc[units["region_code"].isin(sorted(set(units["region_code"].dropna()))[:2]), "cluster_id"])


CONSTRUCTED_CASES = {"projection": lambda projection: {"projection": projection},
                     "period": lambda _: {"period": "2019"}}


@pytest.fixture(scope="module")
def many_constructed():
    """{(division, case): (population, kwargs, ids, key_figures_many with an unknown unit, errors)} on the
    CONSTRUCTED frames."""
    population, projection = _constructed()
    done = {}
    for division in DIVISIONS:
        for case, make in CONSTRUCTED_CASES.items():
            kwargs = make(projection)
            ids = _constructed_ids(division)
            errors: dict[str, Exception] = {}
            many = key_figures_many([*ids, "ingen-saadan-enhed"], division=division, population=population,
                                    errors=errors, **kwargs)
            done[division, case] = population, kwargs, ids, many, errors
    return done


@pytest.mark.parametrize("case", CONSTRUCTED_CASES)
@pytest.mark.parametrize("division", DIVISIONS)
def test_many_by_sex_and_age_constructed_reports_unknown_units_and_keeps_the_order(many_constructed, division,
                                                                                  case):
    population, kwargs, ids, many, errors = many_constructed[division, case]
    assert set(errors) == {"ingen-saadan-enhed"} and isinstance(errors["ingen-saadan-enhed"], LookupFailed)
    assert list(many) == ids
    some = many[ids[0]]
    assert {"median_age", "share_65_plus"} <= set(some["figure_id"])
    if "projection" in kwargs:
        assert some["figure_id"].str.startswith("proj_").any()
    with pytest.raises(LookupFailed):
        key_figures_many(["ingen-saadan-enhed"], division=division, population=population)


@pytest.mark.parametrize("case", CONSTRUCTED_CASES)
@pytest.mark.parametrize("division, unit", [(d, u) for d in DIVISIONS for u in _constructed_ids(d)])
def test_many_equals_one_by_one_by_sex_and_age_constructed(many_constructed, division, unit, case):
    population, kwargs, _, many, _ = many_constructed[division, case]
    _same(many[unit], key_figures(unit, division=division, population=population, **kwargs))


# --- profiles on arrays vs the pandas computation they replaced (reference, kept verbatim in substance) ------

def _reference_first_reason(rows: pd.DataFrame) -> str:
    miss = rows[rows["population"].isna()]
    if "reason_da" in miss.columns and miss["reason_da"].notna().any():
        return str(miss["reason_da"].dropna().iloc[0])
    return MISSING_REASON


def _reference_sum_sexes(rows: pd.DataFrame) -> pd.DataFrame | None:
    if rows.empty:
        return None
    tot = rows[rows["sex"] == "total"]
    if not tot.empty:
        return tot
    if {"male", "female"} <= set(rows["sex"]):
        keys = ["age_lo", "age_hi", "age_total"]
        rows = rows.assign(_na=rows["population"].isna())
        g = rows.groupby(keys, dropna=False, sort=False)
        s = g["population"].sum().where(~g["_na"].any())
        cnt = g["sex"].nunique()
        out = pd.DataFrame({"population": s, "reason_da": g["reason_da"].first()})[cnt == 2]
        return out.reset_index()
    return None


def _reference_profile(rows: pd.DataFrame) -> _Profile:
    both = _reference_sum_sexes(rows)
    if both is None or both.empty:
        return _Profile(None, None, "ingen data for begge køn", "ingen data for begge køn")
    totals = both[both["age_total"]]
    ages = both[~both["age_total"]]
    bands = None
    reason = ""
    if ages["population"].isna().any():
        reason = _reference_first_reason(ages)
        ages = ages.iloc[0:0]
        if totals.empty:
            return _Profile(None, None, reason, reason)
    if totals["population"].isna().any():
        why = _reference_first_reason(totals)
        return _Profile(None, None, why, why)
    if not ages.empty:
        bands = sorted(((int(lo), None if pd.isna(hi) else int(hi), float(v))
                        for lo, hi, v in zip(ages["age_lo"], ages["age_hi"], ages["population"], strict=True)),
                       key=lambda b: b[0])
        prev_top = -1
        for lo, hi, _ in bands:
            if lo <= prev_top:
                raise DataFormatError(f"population frame: overlapping age groups at age {lo}")
            prev_top = math.inf if hi is None else hi
        # issue 25: every age from 0 to an open band (or to at least 100), else no age figure and no total from
        # the ages there are (the reason names what is not there)
        years = set()
        for lo, hi, _ in bands:
            years.update(range(lo, (hi if hi is not None else lo) + 1))
        top_open = bands[-1][1] is None
        top = bands[-1][0] if top_open else bands[-1][1]
        absent = [a for a in range(top + 1) if a not in years]
        if absent or not (top_open or top >= 100):
            from klyngedata.vocabulary import ages_da

            lacking = ages_da(absent, open_from=None if top_open or top >= 100 else top + 1)
            reason = (f"befolkningen findes i data kun fordelt på alder, og {lacking} mangler, så tallet kan ikke "
                      "beregnes uden at gætte")
            bands = None
            if totals.empty:
                return _Profile(None, None, reason, reason)
    elif not reason:
        reason = "data har kun befolkningstal i alt (ingen aldersfordeling)"
    total = float(totals["population"].sum()) if not totals.empty else (
        sum(b[2] for b in bands) if bands else None)
    return _Profile(total, bands, reason)


_ROW = st.tuples(st.sampled_from(["total", "male", "female"]), st.sampled_from([None, 0, 5, 65, 80, 100]),
                 st.one_of(st.none(), st.integers(0, 5000)), st.sampled_from([None, "grund A", "grund B"]),
                 st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(_ROW, max_size=12))
def test_profile_on_arrays_equals_the_pandas_reference_constructed(rows):
    """CONSTRUCTED rows of one entity and period: ages (None = all ages), counts (None = '..'), reasons."""
    frame = pd.DataFrame({
        "level": "country", "entity_id": "DK", "period": "2024K1",
        "sex": [r[0] for r in rows], "age_group": [None if r[1] is None else (f"{r[1]}+" if r[4] else
                                                                               f"{r[1]}-{r[1] + 4}")
                                                   for r in rows],
        "population": pd.array([r[2] for r in rows], dtype="Int64"),
        "reason_da": pd.array([r[3] if r[2] is None else None for r in rows], dtype="string"),
    }, columns=["level", "entity_id", "period", "sex", "age_group", "population", "reason_da"])
    norm = normalize_population_frame(frame)
    arrays = (norm["sex"].to_numpy(dtype=object), norm["age_lo"].to_numpy(dtype="float64", na_value=np.nan),
              norm["age_hi"].to_numpy(dtype="float64", na_value=np.nan), norm["age_total"].to_numpy(dtype=bool),
              norm["population"].to_numpy(dtype="float64", na_value=np.nan),
              norm["reason_da"].to_numpy(dtype=object, na_value=None))
    try:
        want = _reference_profile(norm)
    except DataFormatError as exc:  # overlapping age groups: the same error
        with pytest.raises(DataFormatError, match=str(exc)):
            profile_arrays(*arrays)
        return
    got = profile_arrays(*arrays)
    assert (got.total is None) == (want.total is None)
    if want.total is not None:
        assert got.total == want.total or (math.isnan(got.total) and math.isnan(want.total))
    assert got.bands == want.bands
    assert (got.reason_age, got.reason_total) == (want.reason_age, want.reason_total)
