"""Disclosure control tested as an attacker would: everything the public functions publish, at every level,
in every division and for every period, checked by linear programming (see ``disclosure_attacker.py``).

All data here are constructed examples (invented counts in the documented long format, read through
:func:`klyngedata.indicators.read_indicator_file`), named as such. Each attack below was found against the
per-slice suppression that klyngedata used before (and succeeds against it); the tests assert that no hidden
count can be pinned to a value or an interval within 1-4 any more.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from disclosure_attacker import (
    BYEN_UNITS,
    SYD_UNITS,
    Construction,
    attack,
    file_rows,
    unit_population_csv,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from klyngedata import registry
from klyngedata.cache import Cache
from klyngedata.disclosure import format_number_da
from klyngedata.exceptions import KlyngedataError
from klyngedata.indicators import indicator_figures, read_indicator_file

MAIN = "sundhedsklynger-2022"
LEVELS = ("municipality", "cluster", "region", "country")
NORD = ["0773", "0787", "0810", "0813", "0825", "0860", "0849", "0851", "0820", "0840", "0846"]
KBH = ["0101", "0147", "0153", "0155", "0161", "0165", "0167", "0169", "0183", "0185", "0187"]
LAESOE, FREDERIKSHAVN, FREDERIKSBERG = "0825", "0813", "0147"
SEX_ROWS = [(m, s, "total", "2024") for m in NORD for s in ("total", "male", "female")]


def publish_all(data: pd.DataFrame, data_dir: Path | None = None, period: object = "all",
                **kw) -> list[tuple[str, pd.DataFrame]]:
    """Everything indicator_figures publishes from ``data``: every level, the clusters and regions of every
    division (municipalities and Denmark are the same in every division)."""
    out = []
    for div in registry.divisions()["division"]:
        for lv in (LEVELS if div == MAIN else ("cluster", "region")):
            out.append((div, indicator_figures(level=lv, data=data, division=div, data_dir=data_dir,
                                               period=period, **kw)))
    return out


def constructed_cells(indicator: str, munis: list[str], ages: list[str], atoms: dict[str, list[str]],
                      special: dict[tuple[str, str, str, str], tuple[int, int]] | None = None,
                      bounded: bool = False, seed: int = 0) -> Construction:
    """Constructed finest cells: invented counts (numerator 20-80, denominator 300-900), some overridden."""
    rng = np.random.default_rng(seed)
    rows = []
    for m, sex, age in itertools.product(munis, ["male", "female"], ages):
        for atom in itertools.chain.from_iterable(atoms.values()):
            num, den = special.get((m, sex, age, atom), (None, None)) if special else (None, None)
            if num is None:
                num = int(rng.integers(20, 80))
                den = num + int(rng.integers(300, 900))
            rows.append(dict(municipality_code=m, sex=sex, age=age, atom=atom, numerator=num, denominator=den))
    return Construction(indicator, bounded, pd.DataFrame(rows), ages, atoms)


def read_constructed(tmp_path: Path, cons: Construction, rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    path = tmp_path / "constructed_indicator.csv"
    path.write_text(file_rows(cons, rows), encoding="utf-8")
    return read_indicator_file(path)


def assert_safe(cons: Construction, published: list[tuple[str, pd.DataFrame]]) -> list:
    findings, problems = attack(cons, published)
    assert problems == []
    pinned = [f for f in findings if f.pinned_small]
    assert pinned == [], pinned[:5]
    return findings


def find(findings: list, level: str, entity: str, quantity: str = "numerator", **slice_) -> object:
    out = [f for f in findings if f.row["level"] == level and f.row["id"] == entity and f.quantity == quantity
           and all(f.row[k] == v for k, v in slice_.items())]
    assert len(out) >= 1, (level, entity, quantity, slice_)
    return out[0]


def row_of(published, level: str, entity: str, **slice_) -> pd.Series:
    for _div, frame in published:
        sel = (frame["entity_level"] == level) & (frame["entity_id"] == entity)
        for k, v in slice_.items():
            sel &= frame[k] == v
        if sel.any():
            return frame[sel].iloc[0]
    raise AssertionError((level, entity, slice_))


# ------------------------------------------------------------------------------------------------
# the attacks (constructed files)
# ------------------------------------------------------------------------------------------------


def test_attack_sex_strata_total_minus_other_sex(tmp_path):
    # Constructed: Læsø's preventable admissions 65+: men 3 (of 400), women 192 (of 500), total 195.
    # Before: "Læsø male 3 = published total 195 - female 192".
    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ["all"], {"2024": ["2024"]},
                             {(LAESOE, "male", "all", "2024"): (3, 400), (LAESOE, "female", "all", "2024"): (192, 500)})
    rows = [(m, s, "total", "2024") for m in NORD for s in ("total", "male", "female")]
    published = publish_all(read_constructed(tmp_path, cons, rows))
    men = row_of(published, "municipality", LAESOE, sex="male")
    assert men["display"] == "<5" and pd.isna(men["numerator"]) and pd.isna(men["value"])
    findings = assert_safe(cons, published)
    f = find(findings, "municipality", LAESOE, sex="male")
    assert f.truth == 3 and f.high >= 5  # 3 can no longer be told from a count of 5 or more


def test_attack_sex_by_age_strata_and_small_denominator(tmp_path):
    # Constructed: Læsø men 75+: 2 admissions of 3 citizens; the file has the total and the four sex x age
    # strata. Before: "male 75+ = 2 from the total and the three other strata; its denominator 3 too".
    ages = ["65-74", "75+"]
    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ages, {"2024": ["2024"]},
                             {(LAESOE, "male", "75+", "2024"): (2, 3)}, seed=1)
    rows = [(m, "total", "total", "2024") for m in NORD]
    rows += [(m, s, a, "2024") for m in NORD for s in ("male", "female") for a in ages]
    published = publish_all(read_constructed(tmp_path, cons, rows))
    assert row_of(published, "municipality", LAESOE, sex="male", age_group="75+")["display"] == "<5"
    findings = assert_safe(cons, published)
    for q in ("numerator", "denominator"):
        f = find(findings, "municipality", LAESOE, q, sex="male", age="75+")
        assert f.high >= 5, (q, f)


def test_attack_member_without_a_row(tmp_path):
    # Constructed: Læsø has no row, so Klynge Nord is not computed; Frederikshavn has 3. Before: only one cell
    # was hidden and "region - shown municipalities = 3".
    munis = [m for m in NORD if m != LAESOE]
    cons = constructed_cells("forebyggelige_indlaeggelser_65", munis, ["all"], {"2024": ["2024"]},
                             {(FREDERIKSHAVN, "male", "all", "2024"): (1, 900),
                              (FREDERIKSHAVN, "female", "all", "2024"): (2, 1100)}, seed=2)
    rows = [(m, "total", "total", "2024") for m in munis]
    published = publish_all(read_constructed(tmp_path, cons, rows))
    nord = row_of(published, "cluster", "nordjylland-nord")
    assert pd.isna(nord["value"]) and not nord["suppressed"]  # not computable, not hidden
    findings = assert_safe(cons, published)
    f = find(findings, "municipality", FREDERIKSHAVN)
    assert f.truth == 3 and f.high >= 5


def test_attack_two_successive_releases(tmp_path):
    """What earlier releases published counts as published (issue 25). Constructed: all 98 municipalities; the
    first weekly file has no row for Læsø, the next adds it with 3 (1 man, 2 women). Before: week 1 published
    Region Nordjylland and Denmark as the sums of the municipalities with rows, week 2 the sums with Læsø; each
    week passed the check alone, and the difference of the pair was Læsø's suppressed 3. Now a region or
    Denmark without a member's figure is missing with the reason, so the pair reveals nothing."""
    from klyngedata.importing import import_file
    from klyngedata.publication_ledger import LEDGER_KEY

    every = sorted(registry.municipalities()["municipality_code"])
    cons = constructed_cells("forebyggelige_indlaeggelser_65", every, ["all"], {"2024": ["2024"]},
                             {(LAESOE, "male", "all", "2024"): (1, 200), (LAESOE, "female", "all", "2024"): (2, 200)},
                             seed=7)
    data_dir = tmp_path / "data"  # one data directory, imported into week by week (the weekly run)
    weeks = []
    for week, munis in (("1", [m for m in every if m != LAESOE]), ("2", every)):
        path = tmp_path / f"constructed_week{week}.csv"
        path.write_text(file_rows(cons, [(m, "total", "total", "2024") for m in munis]), encoding="utf-8")
        import_file(path, data_dir=data_dir)
        weeks.append([(div, frame, week) for div, frame in publish_all(None, data_dir=data_dir)])
    week1, week2 = weeks
    assert Cache(data_dir).exists(LEDGER_KEY)  # what week 1 showed is recorded
    for level, entity, name in (("region", "1081", "Region Nordjylland"), ("country", "DK", "Hele landet")):
        row = row_of([(d, f) for d, f, _ in week1], level, entity)
        assert pd.isna(row["value"]) and pd.isna(row["numerator"]) and not row["suppressed"]
        assert row["method_da"] == (f"Der er ingen tal for Læsø i data, så tallet for {name} kan ikke beregnes "
                                    "uden at gætte.")
    assert row_of([(d, f) for d, f, _ in week2], "municipality", LAESOE)["display"] == "<5"
    findings = assert_safe(cons, week1 + week2)  # the attacker reads both releases together
    f = find(findings, "municipality", LAESOE)
    assert f.truth == 3 and f.high >= 5


def test_attack_split_copenhagen_unit_shares(tmp_path):
    # Constructed: København split by bydel between Klynge Byen (60 %) and Klynge Syd (40 %); Frederiksberg
    # has 3. Before: "Frederiksberg = 3 from Byen's and Syd's values and the bydel share".
    from klyngedata.importing import import_file

    pops = dict.fromkeys(BYEN_UNITS, 10000) | dict.fromkeys(SYD_UNITS, 10000)
    (tmp_path / "units").mkdir()
    units = tmp_path / "units" / "bydele_constructed.csv"
    units.write_text(unit_population_csv(pops), encoding="utf-8")
    import_file(units, data_dir=tmp_path)
    cons = constructed_cells("forebyggelige_indlaeggelser_65", KBH, ["all"], {"2024": ["2024"]},
                             {(FREDERIKSBERG, "male", "all", "2024"): (1, 4000),
                              (FREDERIKSBERG, "female", "all", "2024"): (2, 5000)}, seed=3)
    cons.unit_population = pops
    rows = [(m, "total", "total", "2024") for m in KBH]
    published = publish_all(read_constructed(tmp_path, cons, rows), data_dir=tmp_path)
    byen = row_of(published, "cluster", "hovedstaden-byen")
    assert "befolkningsandelen" in byen["method_da"]
    findings = assert_safe(cons, published)
    f = find(findings, "municipality", FREDERIKSBERG)
    assert f.truth == 3 and f.high >= 5


def test_attack_quarters_of_a_year(tmp_path):
    # Constructed: a year and its four quarters; Læsø's third quarter holds 3. year - other quarters = 3.
    atoms = {"2024": ["2024K1", "2024K2", "2024K3", "2024K4"]}
    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ["all"], atoms,
                             {(LAESOE, "male", "all", "2024K3"): (1, 200),
                              (LAESOE, "female", "all", "2024K3"): (2, 250)}, seed=4)
    rows = [(m, "total", "total", p) for m in NORD for p in ["2024", *atoms["2024"]]]
    published = publish_all(read_constructed(tmp_path, cons, rows))
    findings = assert_safe(cons, published)
    f = find(findings, "municipality", LAESOE, period="2024K3")
    assert f.truth == 3 and f.high >= 5


def test_policy_complement_of_a_bounded_share(tmp_path):
    # Policy (klyngedata.disclosure, README): for a bounded share the persons outside the numerator are a
    # count too. Constructed: Læsø 48 readmissions of 50 admissions -> 2 were not readmitted: hidden ("<5"),
    # and not derivable. Frederikshavn 60 of 60 (complement 0) is shown, as a count of 0 is.
    cons = constructed_cells("genindlaeggelser_somatik_30d", NORD, ["all"], {"2024": ["2024"]},
                             {(LAESOE, "male", "all", "2024"): (20, 21), (LAESOE, "female", "all", "2024"): (28, 29),
                              (FREDERIKSHAVN, "male", "all", "2024"): (25, 25),
                              (FREDERIKSHAVN, "female", "all", "2024"): (35, 35)},
                             bounded=True, seed=5)
    rows = [(m, "total", "total", "2024") for m in NORD]
    published = publish_all(read_constructed(tmp_path, cons, rows))
    laesoe = row_of(published, "municipality", LAESOE)
    assert laesoe["display"] == "<5" and pd.isna(laesoe["value"]) and pd.isna(laesoe["denominator"])
    fh = row_of(published, "municipality", FREDERIKSHAVN)
    assert not fh["suppressed"] and fh["value"] == 100.0
    findings = assert_safe(cons, published)
    f = find(findings, "municipality", LAESOE, "complement")
    assert f.truth == 2 and f.high >= 5


def test_policy_complement_of_an_unpublished_stratum(tmp_path):
    # Constructed: the file has Læsø's total (70 readmissions of 142 admissions) and the men (30 of 100) but
    # no row for the women: they are 40 of 42, so 2 women were not readmitted. That complement is never a
    # row, but total - men gives it; something must be hidden so that it cannot be worked out. (Found by the
    # property test: the first version protected only the complements of published rows.)
    cons = constructed_cells("genindlaeggelser_somatik_30d", NORD, ["all"], {"2024": ["2024"]},
                             {(LAESOE, "male", "all", "2024"): (30, 100), (LAESOE, "female", "all", "2024"): (40, 42)},
                             bounded=True, seed=5)
    rows = [(m, s, "total", "2024") for m in NORD for s in ("total", "male")]
    published = publish_all(read_constructed(tmp_path, cons, rows))
    men, total = (row_of(published, "municipality", LAESOE, sex=s) for s in ("male", "total"))
    assert men["suppressed"] or total["suppressed"]
    findings = assert_safe(cons, published)
    f = find(findings, "unpublished", LAESOE, "complement", sex="female", period="2024")
    assert f.truth == 2 and f.high >= 5


def test_report_publishes_only_the_controlled_output(tmp_path, monkeypatch):
    # Constructed: Klynge Nord's men have 3 preventable admissions (Brønderslev, Frederikshavn and Læsø 1
    # each, Hjørring 0), imported into a data directory as a user would. The report's indicator table must
    # show exactly what indicator_figures publishes: the men "<5" and the women (total - men) hidden too.
    from klyngedata.importing import import_file
    from klyngedata.reports import ClusterReport

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    members = ["0810", "0813", "0825", "0860"]
    small = {(m, "male", "all", "2024"): (n, 300 + 10 * n) for m, n in zip(members, [1, 1, 1, 0], strict=True)}
    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ["all"], {"2024": ["2024"]}, small, seed=9)
    (tmp_path / "indicators").mkdir()
    path = tmp_path / "indicators" / "constructed_indicator.csv"
    path.write_text(file_rows(cons, SEX_ROWS), encoding="utf-8")
    import_file(path, data_dir=tmp_path)
    report = ClusterReport("nordjylland-nord", data_dir=tmp_path, report=True)
    shown = report.indicators()
    controlled = indicator_figures("nordjylland-nord", level="cluster", data_dir=tmp_path)
    cols = ["entity_id", "sex", "age_group", "suppressed", "display"]
    pd.testing.assert_frame_equal(shown[cols].reset_index(drop=True), controlled[cols].reset_index(drop=True))
    cl = shown[shown["entity_level"] == "cluster"].set_index("sex")
    assert cl.loc["male", "display"] == "<5" and cl.loc["female", "display"] == "x"
    assert cl.loc["male", ["value", "numerator"]].isna().all() and cl.loc["female", ["value", "numerator"]].isna().all()
    html = report.indicator_table().data  # a row per figure: both sexes (the strata are in report.indicators())
    assert f">{cl.loc['total', 'display']}</td>" in html and ">&lt;5</td>" not in html
    women = cons.finest[cons.finest["municipality_code"].isin(members) & (cons.finest["sex"] == "female")]
    rate = women["numerator"].sum() / women["denominator"].sum() * 1000
    assert f">{format_number_da(rate, 1)}</td>" not in html  # the hidden women's rate is not in the table
    assert_safe(cons, publish_all(read_indicator_file(path), data_dir=tmp_path))


def test_period_selection_and_levels_show_one_pattern(tmp_path):
    # Constructed: the same data published as 'latest' (the year) and 'all' (year + quarters) and for a
    # single cluster: a row is hidden in one call exactly when it is hidden in the other.
    atoms = {"2024": ["2024K1", "2024K2", "2024K3", "2024K4"]}
    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ["all"], atoms,
                             {(LAESOE, "male", "all", "2024K3"): (1, 200)}, seed=6)
    data = read_constructed(tmp_path, cons, [(m, "total", "total", p) for m in NORD for p in ["2024", *atoms["2024"]]])
    def lab(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(period=f["period"].astype(str))

    every = lab(indicator_figures(level="municipality", data=data, division=MAIN, period="all"))
    one = lab(indicator_figures(level="municipality", data=data, division=MAIN, period="2024K3"))
    both = one.merge(every, on=["entity_id", "period", "sex", "age_group"], suffixes=("", "_all"))
    assert len(both) == len(one) == 11
    assert (both["suppressed"] == both["suppressed_all"]).all()
    assert (both["display"] == both["display_all"]).all()
    cl = lab(indicator_figures("nordjylland-nord", level="municipality", data=data, division=MAIN, period="all"))
    m = cl.merge(every, on=["entity_id", "period", "sex", "age_group"], suffixes=("", "_all"))
    assert (m["suppressed"] == m["suppressed_all"]).all() and len(m) == len(cl)


def test_threshold_patterns_are_nested_and_below_five_refused(tmp_path):
    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ["all"], {"2024": ["2024"]},
                             {(LAESOE, "male", "all", "2024"): (3, 400),
                              (FREDERIKSHAVN, "male", "all", "2024"): (4, 500)}, seed=7)
    data = read_constructed(tmp_path, cons, SEX_ROWS)
    five = indicator_figures(level="municipality", data=data, division=MAIN)
    ten = indicator_figures(level="municipality", data=data, division=MAIN, threshold=10)
    assert (ten["suppressed"] | ~five["suppressed"]).all()  # hidden at 5 -> hidden at 10
    assert ten["suppressed"].sum() >= five["suppressed"].sum()
    assert set(ten.loc[ten["display"].str.startswith("<"), "display"]) == {"<10"}
    with pytest.raises(KlyngedataError, match="below 5"):
        indicator_figures(level="municipality", data=data, division=MAIN, threshold=3)


def test_every_numeric_column_of_a_hidden_row_is_missing(tmp_path, monkeypatch):
    # Any numeric column -- also one added later, e.g. an interval -- is hidden in a suppressed row; only the
    # comparison values of the region and Denmark (which belong to those rows) are kept.
    import klyngedata.indicators.figures as ind

    cons = constructed_cells("forebyggelige_indlaeggelser_65", NORD, ["all"], {"2024": ["2024"]},
                             {(LAESOE, "male", "all", "2024"): (3, 400)}, seed=8)
    data = read_constructed(tmp_path, cons, SEX_ROWS)
    out = indicator_figures(level="municipality", data=data, division=MAIN)
    assert out["suppressed"].any()
    keep = {"region_value", "country_value"}

    def leaked(frame: pd.DataFrame) -> list[str]:
        hidden = frame[frame["suppressed"]]
        return [c for c in frame.columns if c not in keep and not pd.api.types.is_bool_dtype(frame[c])
                and pd.api.types.is_numeric_dtype(frame[c]) and hidden[c].notna().any()]

    assert leaked(out) == []
    # a new numeric column computed from the counts (here: a made-up interval) must not leak either
    original = ind._OUT
    monkeypatch.setattr(ind, "_OUT", [*original, "ci95_low_constructed"])
    real_published = ind._published

    def with_interval(*a, **k):
        t = real_published(*a, **k)
        return t.assign(ci95_low_constructed=pd.to_numeric(t["value"], errors="coerce").fillna(1.0) * 0.9)

    monkeypatch.setattr(ind, "_published", with_interval)
    out2 = indicator_figures(level="municipality", data=data, division=MAIN)
    assert "ci95_low_constructed" in out2.columns and leaked(out2) == []
    r = out2[out2["suppressed"]]
    assert r["region_value"].notna().all()  # comparison values stay (region rows are shown)


# ------------------------------------------------------------------------------------------------
# property test: random constructed data sets, everything published, proved by linear programming
# ------------------------------------------------------------------------------------------------

small_or_any = st.one_of(st.integers(0, 5), st.integers(0, 60))


@st.composite
def constructed_datasets(draw):
    scenario = draw(st.sampled_from(["nordjylland", "koebenhavn"]))
    munis = list(NORD if scenario == "nordjylland" else KBH)
    dropped = draw(st.sets(st.sampled_from(munis[1:]), max_size=2))  # missing members
    munis = [m for m in munis if m not in dropped]
    design = draw(st.sampled_from(["total", "sex", "sex_age"]))
    periods = draw(st.sampled_from(["year", "quarters", "year+quarters"]))
    margins = draw(st.booleans())
    indicator = draw(st.sampled_from(["genindlaeggelser_somatik_30d", "forebyggelige_indlaeggelser_65"]))
    ages = ["65-74", "75+"] if design == "sex_age" else ["all"]
    atoms = ["2024"] if periods == "year" else ["2024K1", "2024K2", "2024K3", "2024K4"]
    n = len(munis) * 2 * len(ages) * len(atoms)
    nums = draw(st.lists(small_or_any, min_size=n, max_size=n))
    extra = draw(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 300)), min_size=n, max_size=n))
    cells = [dict(municipality_code=m, sex=s, age=a, atom=p) for m, s, a, p in
             itertools.product(munis, ["male", "female"], ages, atoms)]
    finest = pd.DataFrame(cells).assign(numerator=nums, denominator=[a + b for a, b in zip(nums, extra, strict=True)])
    cons = Construction(indicator, indicator == "genindlaeggelser_somatik_30d", finest, ages, {"2024": atoms})
    if scenario == "koebenhavn":
        cons.unit_population = {u: draw(st.integers(1000, 30000)) for u in BYEN_UNITS + SYD_UNITS}
    labels = {"year": ["2024"], "quarters": atoms, "year+quarters": ["2024", *atoms]}[periods]
    sexes = {"total": ["total"], "sex": ["male", "female"] + (["total"] if margins else []),
             "sex_age": ["male", "female"] + (["total"] if margins else [])}[design]
    age_labels = ages if design == "sex_age" else ["total"]
    if design == "sex_age" and margins:
        age_labels = [*ages, "total"]
    if draw(st.booleans()):  # a stratum the file leaves out: it is total - the others, never shown itself
        if "total" in sexes:
            sexes = [s for s in sexes if s != "female"]
        if len(labels) == 5:
            labels = labels[:4]
    rows = [(m, s, a, p) for m in munis for s in sexes for a in age_labels for p in labels]
    return cons, rows


def _property_settings() -> settings:
    """A few examples in the default run (the suite stays fast; shrinking a failure can take minutes, so the
    default run reports the example as found); ``KLYNGEDATA_DISCLOSURE_EXAMPLES=N`` runs N and shrinks."""
    n = os.environ.get("KLYNGEDATA_DISCLOSURE_EXAMPLES")
    phases = list(Phase) if n else [p for p in Phase if p is not Phase.shrink]
    return settings(max_examples=int(n or 4), deadline=None, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_property_settings()
@given(constructed_datasets())
def test_property_nothing_published_pins_a_small_count(tmp_path_factory, dataset):
    from klyngedata.importing import import_file

    cons, rows = dataset
    tmp = tmp_path_factory.mktemp("constructed")
    data_dir = None
    if cons.unit_population:
        (tmp / "units").mkdir()
        units = tmp / "units" / "bydele_constructed.csv"
        units.write_text(unit_population_csv(cons.unit_population), encoding="utf-8")
        import_file(units, data_dir=tmp)
        data_dir = tmp
    data = read_constructed(tmp, cons, rows)
    published = publish_all(data, data_dir=data_dir)
    findings, problems = attack(cons, published)
    assert problems == []
    pinned = [f for f in findings if f.pinned_small]
    assert pinned == [], pinned[:5]
