"""population(): conservation on the real FOLK1AM files; sex/age, projections and splits on constructed examples."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from klyngedata import registry
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.importing import import_file
from klyngedata.population import PopulationWarning, population
from klyngedata.sources import parse_statbank_csv

FOLK1AM_FILE = "dst_FOLK1AM_area_2021M10-2024M04.csv"
NORD = ["0860", "0810", "0813", "0825"]  # Klynge Nord (registry contract)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")


def _all(level, data_dir, **kw):
    with pytest.warns(PopulationWarning) if level == "cluster" else _nullctx():
        return population(level, period="all", data_dir=data_dir, **kw)


class _nullctx:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_country_equals_sum_of_municipalities_and_file(imported_data_dir, population_dir):
    mun = _all("municipality", imported_data_dir)
    dk = _all("country", imported_data_dir)
    assert len(dk) == 31
    s = mun.groupby("period")["population"].sum()
    assert (dk.set_index("period")["population"] == s).all()
    src = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    hele = src[src["area_level"] == "country"].set_index("period")["population"]
    assert (dk.set_index("period")["population"] == hele).all()
    assert dk.attrs["provenance"][0]["table"] == "FOLK1AM"


def test_regions_reproduce_file_region_rows(imported_data_dir, population_dir):
    reg = _all("region", imported_data_dir)
    src = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    rows = src[src["area_level"] == "region"][["area_code", "period", "population"]]
    merged = reg.merge(rows, left_on=["entity_id", "period"], right_on=["area_code", "period"])
    assert len(merged) == 5 * 31
    assert (merged["population_x"] == merged["population_y"]).all()
    assert set(reg["entity_name"]) >= {"Region Nordjylland", "Region Hovedstaden"}


def test_clusters_conserve_regions_and_members(imported_data_dir):
    cl = _all("cluster", imported_data_dir)
    reg = _all("region", imported_data_dir)
    mun = _all("municipality", imported_data_dir)
    by_region = cl.groupby(["region_code", "period"])["population"].sum()
    r = reg.set_index(["entity_id", "period"])["population"]
    r.index.names = ["region_code", "period"]
    pd.testing.assert_series_equal(by_region.sort_index(), r.sort_index(), check_names=False)
    # each (whole-municipality) cluster equals the sum of its members
    mem = registry.membership(cl.attrs["division"])
    whole = mem[mem["allocation"] == "whole"]
    for cid, members in whole.groupby("cluster_id"):
        if cid in set(mem.loc[mem["allocation"] != "whole", "cluster_id"]):
            continue
        expected = mun[mun["entity_id"].isin(members["municipality_code"])].groupby("period")["population"].sum()
        got = cl[cl["entity_id"] == cid].set_index("period")["population"]
        assert (got == expected).all(), cid
    nord = cl[cl["entity_id"] == "nordjylland-nord"].set_index("period")["population"]
    exp = mun[mun["entity_id"].isin(NORD)].groupby("period")["population"].sum()
    assert (nord == exp).all()
    # København is split by bydel and there is no bydel population: explicit row, nothing dropped
    kbh = cl[cl["entity_id"] == "0101:ikke-fordelt"].set_index("period")["population"]
    assert (kbh == mun[mun["entity_id"] == "0101"].set_index("period")["population"]).all()
    assert not cl.loc[cl["entity_id"] == "0101:ikke-fordelt", "is_cluster"].any()
    assert (cl[cl["entity_id"] == "0411:ingen-klynge"]["population"] > 0).all()


def test_period_selection(imported_data_dir):
    latest = population("region", data_dir=imported_data_dir)
    assert set(latest["period"].astype(str)) == {"2024-04"}
    two = population("country", period=["2023M01", "2024M01"], data_dir=imported_data_dir)
    assert two["period"].astype(str).tolist() == ["2023-01", "2024-01"]
    with pytest.raises(DataNotAvailable, match="2030M01"):
        population("country", period="2030M01", data_dir=imported_data_dir)
    with pytest.raises(DataNotAvailable, match="no breakdown by sex and age"):
        population("country", by=["sex"], data_dir=imported_data_dir)


def test_offline_empty_cache_says_how_to_get_data(tmp_path):
    with pytest.raises(DataNotAvailable) as err:
        population("country", data_dir=tmp_path)
    msg = str(err.value)
    assert "klyngedata data import" in msg and "klyngedata data fetch" in msg and "KLYNGEDATA_DATA_DIR" in msg


# Constructed example (invented counts) of a FOLK1A answer by sex and age for the Klynge Nord members.
def _constructed_folk1a_nord() -> str:
    """Constructed FOLK1A answer (invented counts) for Klynge Nord: every age 0-125 (a complete table)."""
    return _constructed_folk1a_nord_every_age()


def _constructed_folk1a_nord_selected_ages() -> str:
    """Constructed FOLK1A answer (invented counts) for a few selected ages only: no age group is complete."""
    lines = ["\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"]
    for i, code in enumerate(NORD):
        for sex in ("1", "2"):
            for j, age in enumerate(("17", "18", "64", "65", "79", "80", "99", "125")):
                lines.append(f"{int(code)};{sex};{age};TOT;2024K1;{(i + 1) * 10 + j + int(sex)}")
    return "\r\n".join(lines) + "\r\n"


def _constructed_folk1a_nord_every_age() -> str:
    """Constructed FOLK1A answer (invented counts) for the four Klynge Nord municipalities with every age 0-125."""
    lines = ["\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"]
    for i, code in enumerate(NORD):
        for sex in ("1", "2"):
            lines += [f"{int(code)};{sex};{a};TOT;2024K1;{(i + 1) * 10 + a + int(sex)}" for a in range(126)]
    return "\r\n".join(lines) + "\r\n"


def test_sex_age_cluster_80plus_is_sum_of_members(tmp_path):
    path = tmp_path / "FOLK1A_constructed.csv"
    path.write_text(_constructed_folk1a_nord(), encoding="utf-8")
    import_file(path, data_dir=tmp_path / "d")
    mun = population("municipality", by=["sex"], age_groups="broad", data_dir=tmp_path / "d")
    cl = population("cluster", by=["sex"], age_groups="broad", data_dir=tmp_path / "d")
    m80 = mun[(mun["age_group"] == "80+")].groupby("sex")["population"].sum()
    c80 = cl[(cl["entity_id"] == "nordjylland-nord") & (cl["age_group"] == "80+")].set_index("sex")["population"]
    assert (c80.sort_index() == m80.sort_index()).all()
    # by hand from the constructed table: ages 80 ... 125 of the four municipalities, men (sex code 1)
    expected_male = sum((i + 1) * 10 + a + 1 for i in range(4) for a in range(80, 126))
    assert int(c80["male"]) == expected_male
    assert list(cl["age_group"].cat.categories) == ["0-17", "18-64", "65-79", "80+"]


def test_age_groups_over_years_the_answer_lacks_are_missing_with_the_years(tmp_path):
    """An answer for a few selected ages (17, 18, 64, 65, 79, 80, 99, 125; constructed) has no complete broad age
    group: each is missing and says which years it lacks, never the sum of the years there are (issue 25)."""
    path = tmp_path / "FOLK1A_constructed.csv"
    path.write_text(_constructed_folk1a_nord_selected_ages(), encoding="utf-8")
    import_file(path, data_dir=tmp_path / "d")
    cl = population("cluster", by=["sex"], age_groups="broad", data_dir=tmp_path / "d")
    nord = cl[cl["entity_id"] == "nordjylland-nord"].set_index(["sex", "age_group"])
    assert nord["population"].isna().all()
    assert nord.loc[("male", "0-17"), "reason_da"] == (
        "I data mangler alder 0-16 år for Brønderslev, Frederikshavn, Hjørring og Læsø, så tallet for Klynge Nord "
        "kan ikke beregnes uden at gætte")
    assert nord.loc[("male", "80+"), "reason_da"].startswith("I data mangler alder 81-98 år og 100-124 år for ")
    single = population("cluster", by=["age"], data_dir=tmp_path / "d")
    assert single[single["entity_id"] == "nordjylland-nord"]["age"].tolist() == [17, 18, 64, 65, 79, 80, 99, 125]


# Constructed example (invented counts) of an FRKM126 answer: no both-sexes total, open top group 100-; every
# age 0-99 and 100- (counts at 79, 80 and 100-, the other ages 0).
CONSTRUCTED_FRKM126_CSV = "\ufeffKOMMUNEDK;KØN;ALDER;TID;INDHOLD\r\n" + "".join(
    f"{int(c)} x;{s};{a};2035;{n}\r\n".replace(" x", "")
    for c, n0 in zip(NORD, (100, 200, 300, 400), strict=True)
    for s, ds in (("M Mænd", 0), ("K Kvinder", 1))
    for a, da in [(f"{y} {y} år", None) for y in range(79)] + [("79 79 år", 0), ("80 80 år", 5)]
    + [(f"{y} {y} år", None) for y in range(81, 100)] + [("100- 100 år og derover", 9)]
    for n in [0 if da is None else n0 + ds + da]
)


def test_projection_80plus_in_a_cluster_is_one_call(tmp_path):
    path = tmp_path / "FRKM126_constructed.csv"
    path.write_text(CONSTRUCTED_FRKM126_CSV, encoding="utf-8")
    import_file(path, data_dir=tmp_path / "d")
    df = population("cluster", period="2035", kind="projection", age_groups=[0, 80], data_dir=tmp_path / "d")
    row = df[(df["entity_id"] == "nordjylland-nord") & (df["age_group"] == "80+")]
    expected = sum(2 * (n0 + 5) + 1 + 2 * (n0 + 9) + 1 for n0 in (100, 200, 300, 400))
    assert int(row["population"].iloc[0]) == expected
    assert df.attrs["provenance"][0]["table"] == "FRKM126"
    with pytest.raises(KlyngedataError, match="open age group"):
        population("cluster", period="2035", kind="projection", age_groups=[0, 80, 110], data_dir=tmp_path / "d")


def test_unit_split_uses_unit_population(tmp_path, population_dir):
    d = tmp_path / "d"
    import_file(population_dir, data_dir=d)
    mem = registry.membership("sundhedsklynger-2022")
    units = mem[mem["municipality_code"] == "0101"][["unit_code", "cluster_id"]]
    # constructed example: invented bydel counts for 2024M01 (the real bydel populations are not in shared data)
    rows = [f"0101,bydel,{u},2024M01,{1000 + 10 * i}" for i, u in enumerate(units["unit_code"])]
    (tmp_path / "units.csv").write_text("municipality_code,unit_type,unit_code,period,population\n"
                                        + "\n".join(rows) + "\n")
    import_file(tmp_path / "units.csv", data_dir=d)
    with pytest.warns(PopulationWarning, match="ikke hele kommunen i 1 periode;"):
        cl = population("cluster", period="2024M01", data_dir=d)
    mun = population("municipality", period="2024M01", data_dir=d)
    kbh_total = int(mun.loc[mun["entity_id"] == "0101", "population"].iloc[0])
    unit_sum = sum(1000 + 10 * i for i in range(len(units)))
    rest = cl.loc[cl["entity_id"] == "0101:ikke-fordelt", "population"]
    assert int(rest.iloc[0]) == kbh_total - unit_sum  # the unit data do not cover all of København here
    byen_units = units[units["cluster_id"] == "hovedstaden-byen"].index
    byen_from_units = sum(1000 + 10 * i for i, idx in enumerate(units.index) if idx in byen_units)
    byen_members = mem[(mem["cluster_id"] == "hovedstaden-byen") & (mem["allocation"] == "whole")]
    byen_whole = int(mun[mun["entity_id"].isin(byen_members["municipality_code"])]["population"].sum())
    assert int(cl.loc[cl["entity_id"] == "hovedstaden-byen", "population"].iloc[0]) == byen_whole + byen_from_units
    reg = population("region", period="2024M01", data_dir=d)
    assert cl.groupby("region_code")["population"].sum().to_dict() == dict(zip(reg["entity_id"], reg["population"],
                                                                                strict=True))


def test_share_split_is_conserved(tmp_path, population_dir, monkeypatch):
    d = tmp_path / "d"
    import_file(population_dir, data_dir=d)
    real = registry.membership("sundhedsklynger-2022")
    # constructed example: pretend Aalborg (0851) were split 1/3 : 2/3 between two clusters
    aal = real[real["municipality_code"] == "0851"].iloc[0]
    other = real[(real["region_code"] == "1081") & (real["cluster_id"] != aal["cluster_id"])].iloc[0]
    a, b = aal.copy(), aal.copy()
    a["allocation"], a["share"] = "share", 1 / 3
    b["allocation"], b["share"] = "share", 2 / 3
    b["cluster_id"], b["cluster_name"] = other["cluster_id"], other["cluster_name"]
    fake = pd.concat([real[real["municipality_code"] != "0851"], pd.DataFrame([a, b])], ignore_index=True)
    monkeypatch.setattr(registry, "membership", lambda division=None, date=None: fake)
    with pytest.warns(PopulationWarning):
        cl = population("cluster", period="all", data_dir=d)
    reg = population("region", period="all", data_dir=d)
    by_region = cl.groupby(["region_code", "period"])["population"].sum()
    r = reg.set_index(["entity_id", "period"])["population"]
    assert (by_region.sort_index().to_numpy() == r.sort_index().to_numpy()).all()  # exact after rounding


def test_quarter_maps_to_first_month_when_only_monthly_table_is_cached(imported_data_dir, shared_data):
    """FOLK1A 2024K1 and FOLK1AM 2024M01 share the reference date 1 January 2024."""
    raw = shared_data / "population" / "dst_FOLK1AM_area_2021M10-2024M04.csv"
    with raw.open(encoding="utf-8-sig", newline="") as fh:
        expected = [int(r["INDHOLD"]) for r in csv.DictReader(fh, delimiter=";")
                    if r["OMRÅDE"] == "Hele landet" and r["TID"] == "2024M01"]
    q = population("country", period="2024K1", data_dir=imported_data_dir)
    m = population("country", period="2024M01", data_dir=imported_data_dir)
    assert q["population"].tolist() == m["population"].tolist() == expected


def test_export_without_all_ages_rows_gets_totals_from_single_years(tmp_path):
    """Constructed example (invented counts): a FOLK1A export with sexes 1/2 and ages 0..125 but no IALT and no
    TOT rows, as a hand-picked StatBank selection gives. The totals are the sums over the complete age range."""
    lines = ["\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"]
    expected = 0
    for i, code in enumerate(NORD):
        for sex in (1, 2):
            for age in range(126):
                count = (i + 1) * sex + age % 7
                expected += count
                lines.append(f"{int(code)};{sex};{age};TOT;2024K1;{count}")
    path = tmp_path / "FOLK1A_constructed_no_ialt.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    import_file(path, data_dir=tmp_path / "d")
    cl = population("cluster", data_dir=tmp_path / "d")
    nord = cl[cl["entity_id"] == "nordjylland-nord"]
    assert nord["population"].tolist() == [expected]
    by_sex = population("cluster", by=["sex"], data_dir=tmp_path / "d")
    assert by_sex[by_sex["entity_id"] == "nordjylland-nord"]["population"].sum() == expected


# ---------------------------------------------------------------------------------------------
# issue 11: '..' is missing with a Danish reason; a file's own region and Denmark rows are used
# ---------------------------------------------------------------------------------------------
def _real_folk1am_with(population_dir, tmp_path, replace: dict[tuple[str, str], str]):
    """The real FOLK1AM export with some cells replaced (a constructed variation, written to tmp_path only)."""
    raw = (population_dir / FOLK1AM_FILE).read_bytes().decode("utf-8-sig")
    lines = raw.split("\r\n")
    for i, line in enumerate(lines):
        parts = line.split(";")
        if len(parts) == 3 and (parts[0], parts[1]) in replace:
            lines[i] = f"{parts[0]};{parts[1]};{replace[(parts[0], parts[1])]}"
    path = tmp_path / "FOLK1AM_constructed_variation.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines)).encode("utf-8"))
    return path


def test_unpublished_member_makes_the_cluster_missing_not_a_partial_sum(population_dir, tmp_path):
    """Issue 11: Aalborg '..' in 2024M04 made Klynge Midt 38,159 (the other members) instead of 261,341."""
    path = _real_folk1am_with(population_dir, tmp_path, {("Aalborg", "2024M04"): ".."})
    import_file(path, data_dir=tmp_path / "d")
    with pytest.warns(PopulationWarning):
        cl = population("cluster", period="2024M04", data_dir=tmp_path / "d").set_index("entity_id")
    midt = cl.loc["nordjylland-midt"]
    assert midt["entity_name"] == "Klynge Midt" and pd.isna(midt["population"])
    assert midt["reason_da"] == ("Danmarks Statistik har ikke offentliggjort befolkningstallet for Aalborg "
                                 "(markeret '..' i kilden), så tallet for Klynge Midt kan ikke beregnes uden at gætte")
    assert cl["population"].notna().sum() == len(cl) - 1  # only the cluster with Aalborg is missing
    # the region and Denmark are the file's own rows, not sums of whatever municipalities are there
    src = parse_statbank_csv(population_dir / FOLK1AM_FILE)
    own = src[src["period"] == pd.Period("2024-04", "M")].set_index("area_code")["population"]
    reg = population("region", period="2024M04", data_dir=tmp_path / "d").set_index("entity_id")
    assert int(reg.loc["1081", "population"]) == int(own["1081"]) == 592831
    dk = population("country", period="2024M04", data_dir=tmp_path / "d")
    assert int(dk["population"].iloc[0]) == int(own["DK"]) == 5967824
    mun = population("municipality", period="2024M04", data_dir=tmp_path / "d").set_index("entity_id")
    assert pd.isna(mun.loc["0851", "population"]) and "Aalborg" in mun.loc["0851", "reason_da"]
    # the months before are complete
    with pytest.warns(PopulationWarning):
        before = population("cluster", period="2024M03", data_dir=tmp_path / "d").set_index("entity_id")
    assert before["population"].notna().all() and before["reason_da"].isna().all()


def test_missing_count_reaches_the_key_figures_with_its_reason(population_dir, tmp_path):
    from klyngedata.keyfigures import key_figures, missing_figures

    path = _real_folk1am_with(population_dir, tmp_path, {("Aalborg", "2024M04"): ".."})
    import_file(path, data_dir=tmp_path / "d")
    kf = key_figures("nordjylland-midt", period="2024M04", data_dir=tmp_path / "d")
    miss = missing_figures(kf)
    pop = miss[(miss["figure_id"] == "population") & (miss["entity_id"].isin(["nordjylland-midt", "0851"]))]
    assert len(pop) == 2 and pop["reason_da"].str.contains("Aalborg").all()
    assert not ((kf["figure_id"] == "population") & (kf["entity_id"] == "nordjylland-midt")).any()
    region = kf[(kf["figure_id"] == "population") & (kf["entity_level"] == "region")]
    assert region["value"].tolist() == [592831.0]  # the file's own region row


def test_own_region_and_country_rows_are_used_not_a_partial_sum(tmp_path):
    """Constructed example: a file with three municipalities of Region Nordjylland plus its own region and Denmark
    rows (as a StatBank selection gives them)."""
    text = ("OMRÅDE;TID;INDHOLD\r\nHele landet;2024M01;1000\r\nRegion Nordjylland;2024M01;600\r\n"
            "Aalborg;2024M01;300\r\nHjørring;2024M01;200\r\nLæsø;2024M01;20\r\n")
    path = tmp_path / "FOLK1AM_constructed.csv"
    path.write_text(text, encoding="utf-8")
    import_file(path, data_dir=tmp_path / "d")
    reg = population("region", period="2024M01", data_dir=tmp_path / "d")
    assert reg["entity_id"].tolist() == ["1081"] and reg["population"].tolist() == [600]
    assert population("country", period="2024M01", data_dir=tmp_path / "d")["population"].tolist() == [1000]
    # a complete sum that disagrees with the file's own row is reported, and the file's row is kept
    lines = ["OMRÅDE;TID;INDHOLD", "Hele landet;2024M01;1"]
    lines += [f"{int(c)};2024M01;1" for c in registry.municipalities()["municipality_code"]] + ["411;2024M01;0"]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    import_file(path, data_dir=tmp_path / "e")
    with pytest.warns(PopulationWarning, match=r"summen af kommunerne \(98\) afviger fra kildens egen række \(1\)"):
        dk = population("country", period="2024M01", data_dir=tmp_path / "e")
    assert dk["population"].tolist() == [1]


def test_unpublished_age_makes_age_groups_and_totals_missing(tmp_path):
    """Constructed example: '..' for one year of age in Hjørring."""
    lines = ["\ufeffOMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"]
    for code in NORD:
        for sex in ("1", "2"):
            for age in range(0, 101):
                n = ".." if (code, sex, age) == ("0860", "2", 85) else str(age % 9 + 1)
                lines.append(f"{int(code)};{sex};{'100-' if age == 100 else age};TOT;2024K1;{n}")
    path = tmp_path / "FOLK1A_constructed.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    import_file(path, data_dir=tmp_path / "d")
    mun = population("municipality", by=["sex"], age_groups="broad", data_dir=tmp_path / "d")
    row = mun[(mun["entity_id"] == "0860") & (mun["sex"] == "female") & (mun["age_group"] == "80+")]
    assert pd.isna(row["population"].iloc[0]) and "Hjørring" in row["reason_da"].iloc[0]
    ok = mun[(mun["entity_id"] == "0860") & (mun["sex"] == "female") & (mun["age_group"] == "65-79")]
    assert int(ok["population"].iloc[0]) == sum(a % 9 + 1 for a in range(65, 80))
    cl = population("cluster", by=["sex"], age_groups="broad", data_dir=tmp_path / "d")
    nord = cl[(cl["entity_id"] == "nordjylland-nord") & (cl["sex"] == "female")].set_index("age_group")
    assert pd.isna(nord.loc["80+", "population"]) and nord.loc["0-17", "population"] == 4 * sum(
        a % 9 + 1 for a in range(18))
    # without a total row, the all-ages total of Hjørring women is missing too (never the sum of the other years)
    tot = population("municipality", by=["sex"], data_dir=tmp_path / "d")
    assert pd.isna(tot[(tot["entity_id"] == "0860") & (tot["sex"] == "female")]["population"].iloc[0])


def _real_file_without(population_dir, tmp_path, name: str, drop_first_field: str):
    """A real population file with every row of one municipality removed (constructed variation, tmp only)."""
    raw = (population_dir / name).read_bytes().decode("utf-8-sig")
    sep = ";" if name.startswith("dst_") else ","
    lines = [line for line in raw.splitlines() if line.split(sep, 1)[0] != drop_first_field]
    path = tmp_path / f"constructed_without_{drop_first_field}_{name}"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def test_absent_member_makes_the_cluster_missing_not_a_partial_sum(population_dir, tmp_path):
    """Issue 11, principle 2: a file without Aalborg's rows gave Klynge Midt 38,159 (Jammerbugt alone). The
    cluster is missing with the reason; region and Denmark come from the file's own rows (real values)."""
    path = _real_file_without(population_dir, tmp_path, FOLK1AM_FILE, "Aalborg")
    import_file(path, data_dir=tmp_path / "d")
    with pytest.warns(PopulationWarning, match="delt mellem sundhedsklyngerne"):  # no bydel populations here
        cl = population("cluster", period="2024M04", data_dir=tmp_path / "d").set_index("entity_id")
    midt = cl.loc["nordjylland-midt"]
    assert pd.isna(midt["population"])
    assert midt["reason_da"] == ("Befolkningstallet for Aalborg findes ikke i de indlæste data, så tallet for "
                                 "Klynge Midt kan ikke beregnes uden at gætte")
    assert cl.loc["nordjylland-nord", "population"] == 160246  # the clusters without Aalborg are unchanged
    reg = population("region", period="2024M04", data_dir=tmp_path / "d").set_index("entity_id")
    assert reg.loc["1081", "population"] == 592831 and pd.isna(reg.loc["1081", "reason_da"])
    assert population("country", period="2024M04", data_dir=tmp_path / "d")["population"].tolist() == [5967824]
    from klyngedata.keyfigures import key_figures, missing_figures

    kf = key_figures("nordjylland-midt", period="2024M04", data_dir=tmp_path / "d")
    assert not ((kf["entity_id"] == "nordjylland-midt") & (kf["figure_id"] == "population")).any()
    miss = missing_figures(kf)
    row = miss[(miss["entity_id"] == "nordjylland-midt") & (miss["figure_id"] == "population")]
    assert len(row) == 1 and "Aalborg findes ikke i de indlæste data" in row["reason_da"].iloc[0]


def test_absent_member_without_own_rows_makes_region_and_denmark_missing(population_dir, tmp_path):
    """The derived monthly file has no region or Denmark rows: without Aalborg both are missing, not sums of
    the other 98 areas; the other regions are real sums."""
    name = "derived_municipality_population_monthly_2021M10-2024M04.csv"
    path = _real_file_without(population_dir, tmp_path, name, "0851")
    import_file(path, data_dir=tmp_path / "d")
    reg = population("region", period="2024M04", data_dir=tmp_path / "d").set_index("entity_id")
    assert pd.isna(reg.loc["1081", "population"]) and "Aalborg findes ikke" in reg.loc["1081", "reason_da"]
    assert reg.loc["1082", "population"] == 1366507 and pd.isna(reg.loc["1082", "reason_da"])
    dk = population("country", period="2024M04", data_dir=tmp_path / "d")
    assert pd.isna(dk["population"].iloc[0]) and "Aalborg" in dk["reason_da"].iloc[0]
