"""RUKS (issue 22 item 5): reading, importing, replacing, pooling and disclosure control of Sundhedsdatastyrelsen's
release workbook, on CONSTRUCTED workbooks in the documented layout (tests/ruks_workbook.py). Every number in
these workbooks is constructed for the test; none is real data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ruks_workbook import CRUDE, NORD, SEX_AGE_STD, age_text, count_rows, write_workbook
from scipy.optimize import linprog

import klyngedata as kd
from klyngedata import registry
from klyngedata import vocabulary as v
from klyngedata.exceptions import DataFormatError, UnknownValue
from klyngedata.ruks import import_ruks, load_ruks, read_ruks, ruks_figures, ruks_meta
from klyngedata.ruks.pooling import pool_counts

BANDS = ["0-64", "65-84", "85+"]
YEARS = [2023, 2024]
NORD_NAMES = list(registry.municipalities(region="1081")["name"])
COUNT = "Antal"


def construct(seed: int = 7, small: dict | None = None) -> dict[tuple[str, str, str], list[int]]:
    """CONSTRUCTED finest counts: Nordjylland's municipalities x male/female x band, per year."""
    rng = np.random.default_rng(seed)
    truth = {(n, s, b): [int(rng.integers(5, 60)) for _ in YEARS] for n in NORD_NAMES for s in ("male", "female")
             for b in BANDS}
    truth.update(small or {})
    return truth


def total(truth, names, sex, band) -> list[int]:
    sexes = ("male", "female") if sex == "total" else (sex,)
    bands = BANDS if band == "total" else (band,)
    return [sum(truth[(n, s, b)][k] for n in names for s in sexes for b in bands) for k in range(len(YEARS))]


def workbook(path: Path, truth, *, blank_small: bool = True, shown: set = frozenset(), dk_factor: int = 20,
             years_shift: int = 0, disease: str = "Type 2-diabetes") -> Path:
    """A CONSTRUCTED workbook of Nordjylland's municipalities, the region row and a Denmark row; counts of 1-4
    are left blank (as the publisher does) unless listed in ``shown``."""
    cells = {}
    for n in NORD_NAMES:
        for s in ("total", "male", "female"):
            for b in ["total", *BANDS]:
                vals = total(truth, [n], s, b)
                cells[(n, s, b, COUNT)] = [x if (not blank_small or not 1 <= x <= 4 or (n, s, b) in shown)
                                           else None for x in vals]
    for s in ("total", "male", "female"):
        for b in ["total", *BANDS]:
            region = total(truth, NORD_NAMES, s, b)
            cells[(NORD, s, b, COUNT)] = region
            cells[("DK", s, b, COUNT)] = [x * dk_factor for x in region]
    years = [y + years_shift for y in YEARS]
    return write_workbook(path, count_rows(cells, disease=disease), years)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


# -- vocabulary ----------------------------------------------------------------------------------------------
def test_vocabulary_reads_the_ruks_forms():
    assert [v.parse_measure(x) for x in ("Prævalens", "Incidens", "nye tilfælde")] == [
        "prevalence", "incidence", "incidence"]
    assert v.parse_rate_unit(COUNT) == ("antal", "none")
    assert v.parse_rate_unit(CRUDE) == ("pr. 100.000", "none")
    assert v.parse_rate_unit("Aldersstandardiseret pr. 100.000 borgere") == ("pr. 100.000", "age")
    assert v.parse_rate_unit(SEX_AGE_STD) == ("pr. 100.000", "sex_age")
    assert v.parse_age("85+ år") == v.AgeBand(85, None) and v.parse_age("0-4 år") == v.AgeBand(0, 4)
    assert v.parse_age("I alt") is None and v.parse_sex("Mænd") == "male" and v.parse_level("Kommune") == "municipality"
    assert v.parse_rate("1234,5") == 1234.5 and v.parse_rate(0) == 0.0 and v.parse_rate("..") is None
    for bad in ("1.234", "-3", "12a", float("nan"), True):
        with pytest.raises(UnknownValue):
            v.parse_rate(bad)
    for bad in ("Dødelighed", ""):
        with pytest.raises(UnknownValue):
            v.parse_measure(bad)
    with pytest.raises(UnknownValue, match="standardisation other"):
        v.parse_rate_unit("Uddannelsesstandardiseret pr. 100.000")


# -- reading and importing -----------------------------------------------------------------------------------
def test_import_reads_the_documented_layout_and_keeps_blanks_suppressed(tmp_path, data_dir):
    truth = construct(small={("Læsø", "male", "85+"): [3, 0]})
    path = workbook(tmp_path / "RUKS_2026.xlsx", truth)
    [res] = kd.import_file(path, data_dir=data_dir)  # the dispatcher recognises the workbook by its sheet
    assert res.kind == "ruks" and "no earlier release was cached" in res.message
    frame = load_ruks(data_dir)
    laeso = frame[(frame["area_code"] == "0825") & (frame["sex"] == "male") & (frame["age_group"] == "85+")]
    blank, zero = laeso[laeso["year"] == 2023].iloc[0], laeso[laeso["year"] == 2024].iloc[0]
    assert bool(blank["suppressed"]) and pd.isna(blank["value"])  # blank: suppressed, never 0
    assert not bool(zero["suppressed"]) and zero["value"] == 0  # a 0 stays a 0
    aalborg = frame[(frame["area_code"] == "0851") & (frame["sex"] == "female") & (frame["age_group"] == "65-84")]
    assert aalborg["value"].tolist() == total(truth, ["Aalborg"], "female", "65-84")
    assert set(frame["area_level"]) == {"country", "region", "municipality"}
    assert frame.loc[frame["area_level"] == "region", "area_code"].unique().tolist() == ["1081"]
    assert set(frame["age_group"]) == {"total", *BANDS} and set(frame["sex"]) == {"total", "male", "female"}
    meta = ruks_meta(data_dir)
    assert meta["file"] == "RUKS_2026.xlsx" and meta["years"] == [2023, 2024]
    assert meta["release"].startswith("Opdateret 12. marts 2026") and meta["imported_at"]


def test_not_published_stays_apart_from_blank_and_zero(tmp_path):
    rows = count_rows({("Aalborg", "total", "total", COUNT): [None, "..", 0]})
    frame = read_ruks(write_workbook(tmp_path / "r.xlsx", rows, [2022, 2023, 2024]))
    assert frame["suppressed"].tolist() == [True, False, False]
    assert frame["value"].isna().tolist() == [True, True, False]


def test_a_new_release_replaces_the_previous_one_and_says_so(tmp_path, data_dir):
    truth = construct()
    first = import_ruks(workbook(tmp_path / "RUKS_2025.xlsx", truth), data_dir)
    again = import_ruks(tmp_path / "RUKS_2025.xlsx", data_dir)
    assert "the same file" in again.message
    second = import_ruks(workbook(tmp_path / "RUKS_2026.xlsx", construct(seed=8), years_shift=1), data_dir)
    assert "a new release replaces the previous one" in second.message
    assert f"before RUKS_2025.xlsx (2023-2024, {first.rows:,} rows" in second.message
    assert f"now RUKS_2026.xlsx (2024-2025, {second.rows:,} rows" in second.message
    frame = load_ruks(data_dir)
    assert sorted(frame["year"].unique()) == [2024, 2025] and len(frame) == second.rows  # nothing merged


@pytest.mark.parametrize("cell, value, problem", [
    ((4, 9), 12.5, "not a whole count"),
    ((4, 9), "12,0", "not a whole count"),
    ((4, 7), "Drenge og piger", "unknown sex"),
    ((4, 8), "voksne", "unknown age"),
    ((4, 3), "Sogn", "unknown level"),
    ((4, 5), "Atlantis", "unknown municipality"),
    ((4, 6), "Promille", "unknown unit"),
    ((3, 9), "alle år", "expected a year as header"),
])
def test_unreadable_cells_are_refused_naming_file_sheet_row_and_column(tmp_path, cell, value, problem):
    from openpyxl import load_workbook

    path = workbook(tmp_path / "bad.xlsx", construct())
    wb = load_workbook(path)
    wb["Hovedresultater"].cell(row=cell[0], column=cell[1], value=value)
    wb.save(path)
    with pytest.raises(DataFormatError) as err:
        read_ruks(path)
    letter = "ABCDEFGHIJ"[cell[1] - 1]
    assert re.search(rf"bad\.xlsx: sheet 'Hovedresultater', row {cell[0]}, column {letter} ", str(err.value))
    assert problem in str(err.value)
    with pytest.raises(DataFormatError, match=problem):  # the import refuses it before anything is cached
        kd.import_file(path, data_dir=tmp_path / "d")
    assert ruks_meta(tmp_path / "d") is None


def test_a_municipality_in_the_wrong_region_is_refused(tmp_path):
    rows = count_rows({("Aalborg", "total", "total", COUNT): [10]})
    rows[0][3] = "Region Sjælland"
    with pytest.raises(DataFormatError, match=r"row 4, column D .*Aalborg is in Region Nordjylland"):
        read_ruks(write_workbook(tmp_path / "r.xlsx", rows, [2024]))


# -- pooling -------------------------------------------------------------------------------------------------
def test_pooling_to_units_regions_and_denmark_equals_a_hand_computation(tmp_path):
    truth = construct()
    frame = read_ruks(workbook(tmp_path / "r.xlsx", truth, blank_small=False))
    for division in ("sundhedsklynger-2022", "sundhedsraad-2027"):
        pooled = pool_counts(frame, division).set_index(["entity_level", "entity_id", "sex", "age_group", "year"])
        for cid in registry.clusters(division, region="1081")["cluster_id"]:
            names = [registry.municipality(c).name for c in registry.cluster(cid, division=division).municipality_codes]
            hand = total(truth, names, "female", "85+")  # the sum of the members, by hand
            got = [pooled.loc[("cluster", cid, "female", "85+", y), "count"] for y in YEARS]
            assert got == hand, cid
    pooled = pool_counts(frame, "sundhedsraad-2027").set_index(["entity_level", "entity_id", "sex", "age_group",
                                                                  "year"])
    assert pooled.loc[("region", "1081", "total", "total", 2024), "count"] == total(truth, NORD_NAMES, "total",
                                                                                     "total")[1]
    assert pooled.loc[("country", "DK", "male", "65-84", 2023), "count"] == 20 * total(truth, NORD_NAMES, "male",
                                                                                        "65-84")[0]
    # Region Østdanmark: not in this file (no Hovedstaden/Sjælland rows or municipalities): missing, not partial
    east = pooled.loc[("region", "oestdanmark", "total", "total", 2024)]
    assert pd.isna(east["count"]) and "findes ikke i filen" in east["reason_da"]


def test_a_sum_over_a_blank_member_is_suppressed_never_partial(tmp_path):
    truth = construct(small={("Læsø", "female", "0-64"): [2, 2]})
    frame = read_ruks(workbook(tmp_path / "r.xlsx", truth))
    cid = registry.membership("sundhedsklynger-2022").query("municipality_code == '0825'")["cluster_id"].iloc[0]
    pooled = pool_counts(frame, "sundhedsklynger-2022", levels=["cluster"])
    row = pooled[(pooled["entity_id"] == cid) & (pooled["sex"] == "female") & (pooled["age_group"] == "0-64")
                 & (pooled["year"] == 2024)].iloc[0]
    assert bool(row["suppressed"]) and pd.isna(row["count"])
    assert "Læsø" in row["reason_da"] and "delsum" in row["reason_da"]


def test_copenhagen_split_by_bydel_gives_no_value_and_oestdanmark_sums_its_regions(tmp_path):
    rows = []
    for region, muni, n in (("Region Hovedstaden", None, 900), ("Region Sjælland", None, 400),
                            ("Region Hovedstaden", "København", 500), ("Region Hovedstaden", "Frederiksberg", 60)):
        level = "Kommune" if muni else "Region"
        rows.append(["Prævalens", "Demens", level, region, muni, COUNT, "I alt", age_text("total"), n])
    frame = read_ruks(write_workbook(tmp_path / "r.xlsx", rows, [2024]))
    c22 = pool_counts(frame, "sundhedsklynger-2022", levels=["cluster"]).set_index("entity_id")
    byen = c22.loc["hovedstaden-byen"]
    assert pd.isna(byen["count"]) and not bool(byen["suppressed"]) and "bydel" in byen["reason_da"]
    r27 = pool_counts(frame, "sundhedsraad-2027", levels=["region"]).set_index("entity_id")
    assert r27.loc["oestdanmark", "count"] == 900 + 400  # the file's rows of Hovedstaden and Sjælland


# -- published figures ---------------------------------------------------------------------------------------
def constructed_population(truth_names: list[str], factor: int = 1000) -> pd.DataFrame:
    """CONSTRUCTED municipality population by sex and the RUKS bands, first quarter of each year."""
    rows = []
    for i, n in enumerate(truth_names):
        code = registry.municipality(n).code
        for s in ("male", "female"):
            for j, b in enumerate(BANDS):
                for y in YEARS:
                    rows.append({"entity_id": code, "sex": s, "age_group": b, "period": pd.Period(f"{y}Q1"),
                                 "population": factor * (i + 1) + 10 * j + (s == "male")})
    return pd.DataFrame(rows)


def test_cluster_rates_from_pooled_counts_and_population(tmp_path, data_dir):
    truth = construct()
    import_ruks(workbook(tmp_path / "r.xlsx", truth, blank_small=False), data_dir)
    pop = constructed_population(NORD_NAMES)
    out = ruks_figures("cluster", division="sundhedsklynger-2022", data_dir=data_dir, population=pop)
    cid = "nordjylland-nord"
    codes = registry.cluster(cid, division="sundhedsklynger-2022").municipality_codes
    names = [registry.municipality(c).name for c in codes]
    row = out.query("entity_id == @cid and sex == 'male' and age_group == '65-84' and year == 2024").iloc[0]
    hand_count = total(truth, names, "male", "65-84")[1]
    hand_pop = int(pop[pop["entity_id"].isin(codes) & (pop["sex"] == "male") & (pop["age_group"] == "65-84")
                       & (pop["period"] == pd.Period("2024Q1"))]["population"].sum())
    assert row["count"] == hand_count and row["population"] == hand_pop
    assert row["rate"] == pytest.approx(hand_count / hand_pop * 100_000)
    assert out.attrs["provenance"]["file"] == "r.xlsx"


def test_without_population_the_rate_is_missing_with_a_danish_reason(tmp_path, data_dir):
    import_ruks(workbook(tmp_path / "r.xlsx", construct(), blank_small=False), data_dir)
    out = ruks_figures("cluster", division="sundhedsklynger-2022", data_dir=data_dir)
    shown = out[out["count"].notna()]
    assert len(shown) and shown["rate"].isna().all()
    assert shown["rate_method_da"].str.contains("folketallet efter køn og alder").all()


def test_standardised_rates_only_where_no_age_specific_count_is_hidden(tmp_path, data_dir):
    truth = construct(small={("Læsø", "male", "85+"): [3, 3]})
    path = workbook(tmp_path / "r.xlsx", truth)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["Hovedresultater"]
    for name in ("Læsø", "Aalborg"):
        ws.append(["Prævalens", "Type 2-diabetes", "Kommune", NORD, name, SEX_AGE_STD, "I alt", "I alt", 1500.5, 1510])
    wb.save(path)
    import_ruks(path, data_dir)
    out = ruks_figures("municipality", data_dir=data_dir).query("sex == 'total' and age_group == 'total'")
    by = out.set_index(["entity_id", "year"])["rate_sex_age_std"]
    assert pd.isna(by[("0825", 2024)])  # Læsø: an age-specific count is blank, so its standardised rate is not shown
    assert by[("0851", 2024)] == 1510


# -- disclosure attacks --------------------------------------------------------------------------------------
def published_everything(data_dir: Path) -> pd.DataFrame:
    parts = []
    for division in ("klyngestyregrupper-2019", "sundhedsklynger-2022", "sundhedsraad-2027"):
        for level in ("municipality", "cluster", "region", "country"):
            parts.append(ruks_figures(level, division=division, data_dir=data_dir).assign(division=division))
    return pd.concat(parts, ignore_index=True)


def attack(truth, published: pd.DataFrame) -> list[tuple]:
    """An attacker who knows how the CONSTRUCTED data were made (finest cells: municipality x sex x band x year;
    the region row is exactly the sum of its municipalities; Denmark is that plus unknown other regions) reads
    every published count and asks a linear program for the largest value of every count of 1-4 of a
    municipality (every cell and every sum of cells). Returns the counts pinned below 5."""
    cells = sorted(truth)
    var = {(n, s, b, k): i for i, (n, s, b, k) in enumerate((n, s, b, k) for (n, s, b) in cells
                                                            for k in range(len(YEARS)))}
    other = {(s, b, k): len(var) + i for i, (s, b, k) in enumerate(
        (s, b, k) for s in ("male", "female") for b in BANDS for k in range(len(YEARS)))}
    n_vars = len(var) + len(other)
    code_name = {registry.municipality(n).code: n for n in NORD_NAMES}

    def selector(names, sex, band, k, with_other=False):
        row = np.zeros(n_vars)
        for n in names:
            for s in (("male", "female") if sex == "total" else (sex,)):
                for b in (BANDS if band == "total" else (band,)):
                    row[var[(n, s, b, k)]] = 1
                    if with_other:
                        row[other[(s, b, k)]] = 1
        return row

    eq, rhs = [], []
    shown = published[published["count"].notna()]
    for r in shown.itertuples():
        k = YEARS.index(int(r.year))
        if r.entity_level == "municipality":
            names = [code_name[r.entity_id]]
        elif r.entity_level == "cluster":
            names = [code_name[c] for c in registry.cluster(r.entity_id).municipality_codes if c in code_name]
        else:
            names = NORD_NAMES
        eq.append(selector(names, r.sex, r.age_group, k, with_other=r.entity_level == "country"))
        rhs.append(float(r.count))
    pinned = []
    for n in NORD_NAMES:
        for s in ("total", "male", "female"):
            for b in ["total", *BANDS]:
                for k in range(len(YEARS)):
                    value = total(truth, [n], s, b)[k]
                    if not 1 <= value <= 4:
                        continue
                    c = -selector([n], s, b, k)
                    res = linprog(c, A_eq=np.array(eq), b_eq=np.array(rhs), bounds=(0, None), method="highs")
                    assert res.status == 0
                    if -res.fun < 5 - 1e-6:
                        pinned.append((n, s, b, YEARS[k], value, round(-res.fun, 3)))
    return pinned


def test_attack_region_minus_the_other_municipalities(tmp_path, data_dir):
    """Læsø's 3 men aged 85+ are blank in the file, but the region row minus the ten other municipalities
    would give them: something more must be hidden."""
    truth = construct(small={("Læsø", "male", "85+"): [3, 4]})
    import_ruks(workbook(tmp_path / "r.xlsx", truth), data_dir)
    published = published_everything(data_dir)
    assert attack(truth, published) == []
    laeso = published.query("entity_id == '0825' and sex == 'male' and age_group == '85+'")
    assert laeso["suppressed"].all() and laeso["count"].isna().all()


def test_attack_the_publisher_shows_a_total_and_one_sex(tmp_path, data_dir):
    """The file shows Aalborg's total and its women but leaves the men (2) blank: republishing both would give
    the men; disclosure control hides one of them."""
    truth = construct(small={("Aalborg", "male", "0-64"): [2, 7]})
    import_ruks(workbook(tmp_path / "r.xlsx", truth), data_dir)
    published = published_everything(data_dir)
    assert attack(truth, published) == []


def test_attack_a_small_count_the_file_shows_is_never_republished(tmp_path, data_dir):
    """A count of 1-4 the file does show (constructed) is hidden, and neither a unit total minus its other
    members nor the region row gives it back."""
    truth = construct(small={("Brønderslev", "female", "85+"): [4, 9], ("Hjørring", "female", "85+"): [1, 30]})
    import_ruks(workbook(tmp_path / "r.xlsx", truth, shown={("Brønderslev", "female", "85+"),
                                                              ("Hjørring", "female", "85+")}), data_dir)
    published = published_everything(data_dir)
    row = published.query("entity_id == '0810' and sex == 'female' and age_group == '85+' and year == 2023")
    assert row["suppressed"].all() and (row["display"] == "x").all()
    assert attack(truth, published) == []


def test_the_attacker_finds_the_leak_without_disclosure_control(tmp_path, data_dir, monkeypatch):
    """The attacks above are not vacuous: with the engine switched off (every row shown as pooled), the region
    row minus the other municipalities pins Læsø's blank 3."""
    from klyngedata.ruks import control, figures

    def shown_as_pooled(table, **_kw):
        return table.assign(suppressed=False, display="")

    monkeypatch.setattr(control, "suppress_published", shown_as_pooled)
    monkeypatch.setattr(figures, "_CONTROLLED", type(figures._CONTROLLED)())
    truth = construct(small={("Læsø", "male", "85+"): [3, 4]})
    import_ruks(workbook(tmp_path / "r.xlsx", truth), data_dir)
    pinned = attack(truth, published_everything(data_dir))
    assert ("Læsø", "male", "85+", 2023, 3, 3.0) in pinned
