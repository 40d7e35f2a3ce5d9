"""Fetched health indicators (issue 22, second half): `klyngedata data fetch` against the replay, then every pooled
figure of a unit of each division, a region of each division (Region Østdanmark from 2027) and Denmark equal to a
computation by hand in this test.

The data are CONSTRUCTED (``tests/health_figures_replay.py``: the health tables' counts, and FOLK1A's and
FRKM125's constructed population of the recorded-API replay). The hand computations below read those constructed
counts straight from the replay (``expected_rows``, ``replay.count``) – never from the package – and add them up
as the catalogue defines each figure: a unit's, a region's and Denmark's counts are the sums of their
municipalities', the value is the pooled numerator over the pooled denominator.
"""

from __future__ import annotations

import math
import re
from contextlib import ExitStack

import pandas as pd
import pytest
from click.testing import CliRunner

from klyngedata import registry
from klyngedata.cli import main
from klyngedata.health import data_age, health_figures
from klyngedata.indicators import indicator_figures
from tests.health_figures_replay import PUBLISHED, FiguresReplay
from tests.health_replay import expected_rows

# the municipalities of the units compared (written out from the member lists; the test checks the registry agrees)
VENDSYSSEL = ["0810", "0813", "0825", "0860"]  # Klynge Nord (2022) and Sundhedsråd Vendsyssel (2027)
NORDSJAELLAND = ["0201", "0210", "0217", "0219", "0223", "0250", "0260", "0270"]  # Sundhedsråd Nordsjælland
YEAR = "2024"

# how each figure is defined, written here by hand: (table, measure, bands or "total", denominator, per)
BANDS_65 = [(65, 69), (70, 74), (75, 79), (80, 84), (85, 89), (90, None)]  # HJEMSYG's bands from 65
BANDS_80 = [(80, 84), (85, 89), (90, None)]
RATIOS = {
    "personer_laegekontakt_pct": ("SYGP1", "gp", "total", ("pop", 0), 100),
    "personer_psykolog_pct": ("SYGP1", "psychologist", "total", ("pop", 0), 100),
    "laegebesoeg_pr_borger": ("SYGK1", "gp", "total", ("pop", 0), 1),
    "psykologbesoeg_pr_1000": ("SYGK1", "psychologist", "total", ("pop", 0), 1000),
    "personer_sygehusophold_pct": ("SBR01", "persons_with_stay", "total", ("SBR01", "persons"), 100),
    "sygehusophold_12t_pr_1000": ("SBR01", "stay_12h_plus", "total", ("SBR01", "persons"), 1000),
    "hjemmesygepleje_65_pr_1000": ("HJEMSYG", "home_nursing_recipients", BANDS_65, ("pop", 65), 1000),
    "hjemmesygepleje_80_pr_1000": ("HJEMSYG", "home_nursing_recipients", BANDS_80, ("pop", 80), 1000),
    "hjemmehjaelp_67_pct": ("AED06", "home_help", [(67, None)], ("pop", 67), 100),  # AED's own 67+ band
    "plejebolig_67_pct": ("AED07", "care_home_residents", [(67, None)], ("pop", 67), 100),
    "traening_67_pct": ("AED08", "training", [(67, None)], ("pop", 67), 100),
    "doede": ("FOD207", "deaths", "total", None, None),
    "doede_pr_1000": ("FOD207", "deaths", "total", ("pop", 0), 1000),
    "levendefoedte": ("FODIE", "live_births", "all", None, None),
    "foedte_pr_1000": ("FODIE", "live_births", "all", ("pop", 0), 1000),
}


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """`klyngedata data fetch` (every table, five years) into a fresh data directory, against the replay."""
    data_dir = tmp_path_factory.mktemp("health-figures")
    with ExitStack() as stack:
        replay = stack.enter_context(FiguresReplay())
        replay.published.update(PUBLISHED)
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
        mp.delenv("KLYNGEDATA_OFFLINE", raising=False)
        res = CliRunner().invoke(main, ["data", "fetch", "--data-dir", str(data_dir)])
        assert res.exit_code == 0, res.output
        assert replay.broken() == []  # every request obeyed the API's rules
        yield replay, data_dir


class Hand:
    """Sums of the CONSTRUCTED counts, by hand."""

    def __init__(self, replay: FiguresReplay) -> None:
        self.replay = replay
        self.cells = {t: expected_rows(replay, t, PUBLISHED[t]) for t in
                      ("SYGP1", "SYGK1", "SBR01", "HJEMSYG", "AED06", "AED07", "AED08", "FOD207", "FODIE")}
        self._pop: dict = {}

    def areas(self, table: str) -> set[str]:
        return {k[0] for k in self.cells[table]}

    def count(self, table: str, measure: str, bands, area: str, period: str) -> int:
        cells = self.cells[table]
        if bands == "all":  # FODIE: both sexes, every mother's age (the table has no totals)
            return sum(v for (a, s, _age, m, p), v in cells.items() if a == area and m == measure and p == period)
        ages = ["total"] if bands == "total" else bands
        return sum(cells[(area, "total", age, measure, period)] for age in ages)

    def population(self, area: str, year: str, lo: int) -> int:
        """FOLK1A on 1 January (the first quarter), ages lo..125 summed (CONSTRUCTED)."""
        key = (area, year, lo)
        if key not in self._pop:
            self._pop[key] = sum(self.replay.count("FOLK1A", f"{year}K1", OMRÅDE=str(int(area)), KØN="TOT",
                                                   ALDER=str(a), CIVILSTAND="TOT") for a in range(lo, 126))
        return self._pop[key]

    def figure(self, fid: str, members: list[str], period: str = YEAR) -> tuple[float, float, float]:
        """(value, numerator, denominator) of a figure for the sum of ``members`` (Christiansø where the table
        has it)."""
        table, measure, bands, den, per = RATIOS[fid]
        members = [m for m in members if m != "0411" or m in self.areas(table)]
        num = sum(self.count(table, measure, bands, m, period) for m in members)
        if den is None:
            return num, num, math.nan
        if den[0] == "pop":
            d = sum(self.population(m, period, den[1]) for m in members)
        else:
            d = sum(self.count(den[0], den[1], "total", m, period) for m in members)
        return num / d * per, num, d


@pytest.fixture(scope="module")
def hand(fetched):
    return Hand(fetched[0])


def _region_members(key: str, division: str) -> list[str]:
    """The municipalities of a region, and Christiansø in Region Hovedstaden (2022) or Østdanmark (2027)."""
    codes = [m for m, r in registry.municipality_regions(division=division).items() if r == key]
    return codes + (["0411"] if key in ("1084", "oestdanmark") else [])


def test_the_units_compared_are_the_registrys(fetched):
    assert sorted(registry.cluster("nordjylland-nord").municipality_codes) == VENDSYSSEL
    assert sorted(registry.cluster("sundhedsraad-vendsyssel").municipality_codes) == VENDSYSSEL
    assert sorted(registry.cluster("sundhedsraad-nordsjaelland").municipality_codes) == NORDSJAELLAND


@pytest.mark.parametrize("division, level, entity, members", [
    ("sundhedsklynger-2022", "cluster", "nordjylland-nord", VENDSYSSEL),
    ("sundhedsraad-2027", "cluster", "sundhedsraad-nordsjaelland", NORDSJAELLAND),
    ("sundhedsklynger-2022", "region", "1081", None),
    ("sundhedsraad-2027", "region", "oestdanmark", None),
    ("sundhedsraad-2027", "country", "DK", None),
])
def test_every_pooled_figure_equals_the_hand_computation(fetched, hand, division, level, entity, members):
    _, data_dir = fetched
    if members is None:
        members = (_region_members(entity, division) if level == "region"
                   else list(registry.municipality_regions(division=division)) + ["0411"])
    got = health_figures(level=level, division=division, period=YEAR, data_dir=data_dir)
    got = got[got["entity_id"] == entity].set_index("figure_id")
    for fid in RATIOS:
        value, num, den = hand.figure(fid, members)
        row = got.loc[fid]
        assert not row["suppressed"], fid  # CONSTRUCTED counts of 20+ per cell: nothing to hide here
        assert row["value"] == pytest.approx(value, rel=1e-12), fid
        assert row["numerator"] == pytest.approx(num, rel=1e-12), fid
        if not math.isnan(den):
            assert row["denominator"] == pytest.approx(den, rel=1e-12), fid
        assert row["data_year_da"] == "2024" and row["period"] == pd.Period("2024", "Y")
        # a sum that should hold Christiansø but cannot (the table has no row for it) says so
        without = "0411" in members and "0411" not in hand.areas(RATIOS[fid][0])
        assert ("Uden Christiansø" in row["method_da"]) == without, (fid, row["method_da"])


def test_every_year_of_a_unit_and_its_trend(fetched, hand):
    _, data_dir = fetched
    got = health_figures("sundhedsraad-vendsyssel", figures=["doede_pr_1000", "hjemmehjaelp_67_pct"], period="all",
                         data_dir=data_dir)
    assert sorted({str(p) for p in got["period"]}) == PUBLISHED["FOD207"]
    for r in got.itertuples():
        assert r.value == pytest.approx(hand.figure(r.figure_id, VENDSYSSEL, str(r.period))[0], rel=1e-12)
    latest = health_figures("sundhedsraad-vendsyssel", figures=["doede_pr_1000"], data_dir=data_dir).iloc[0]
    assert latest["trend"] in ("increasing", "decreasing", "no_significant_change")
    assert "2020" in latest["trend_note_da"] and "2024" in latest["trend_note_da"]


def test_intervals_and_outcomes_as_the_other_indicators(fetched):
    _, data_dir = fetched
    got = health_figures("nordjylland-nord", data_dir=data_dir).set_index("figure_id")
    share = got.loc["plejebolig_67_pct"]
    assert share["ci_method"] == "wilson" and share["ci95_low"] < share["value"] < share["ci95_high"]
    assert share["ci998_low"] < share["ci95_low"] and share["polarity"] == "neutral"
    assert share["vs_country"] in ("higher", "similar", "lower") and share["country_value"] > 0
    rate = got.loc["doede_pr_1000"]
    assert rate["ci_method"] == "poisson" and rate["region_value"] > 0
    count = got.loc["doede"]
    assert count["vs_country"] == "not_compared" and count["vs_country_note_da"]
    life = got.loc["middellevetid_0"]  # not additive: never pooled to a unit
    assert pd.isna(life["value"]) and "dødelighedstavle" in life["reason_da"] and life["country_value"] > 0
    # the source as the report's list of sources shows it: a Danish date, never an ISO time
    assert all(" hentet " in p and not re.search(r"\d{4}-\d\d-\d\d", p) for p in got["provenance"]), got["provenance"]


def test_life_expectancy_per_member_municipality_and_denmark_only(fetched, hand):
    replay, data_dir = fetched
    rates = expected_rows(replay, "HISBK", PUBLISHED["HISBK"])
    munis = health_figures("nordjylland-nord", level="municipality", figures=["middellevetid_0"], data_dir=data_dir)
    assert sorted(munis["entity_id"]) == sorted(m for m in VENDSYSSEL if (m, "total", "total", "life_expectancy_0",
                                                                          "2020:2024") in rates)
    assert "0825" not in set(munis["entity_id"])  # Læsø is not in the (constructed) table: no row, no invention
    for r in munis.itertuples():
        assert r.value == pytest.approx(rates[(r.entity_id, "total", "total", "life_expectancy_0", "2020:2024")])
        assert r.data_year_da == "2020–2024"
    dk = health_figures(level="country", figures=["middellevetid_0"], data_dir=data_dir).iloc[0]
    assert dk["value"] == pytest.approx(rates[("DK", "total", "total", "life_expectancy_0", "2020:2024")])
    regions = health_figures(level="region", figures=["middellevetid_0"], data_dir=data_dir)
    assert regions["value"].isna().all() and regions["reason_da"].str.contains("kan ikke lægges sammen").all()


def test_projection_65_and_80_plus_by_hand(fetched):
    replay, data_dir = fetched
    got = health_figures("sundhedsraad-vendsyssel", figures=["fremskrevet_65_plus", "fremskrevet_andel_80_plus"],
                         period="all", data_dir=data_dir)
    assert sorted({str(p) for p in got["period"]}) == ["2025", "2030", "2035"]  # first year, +5, +10

    def projected(year: str, lo: int) -> int:  # FRKM125 has men and women, no total; ages 0-99 and 100-
        ages = [*map(str, range(lo, 100)), "100-"]
        return sum(replay.count("FRKM125", year, KOMMUNEDK=str(int(m)), ALDER=a, KØN=s)
                   for m in VENDSYSSEL for a in ages for s in ("M", "K"))

    for r in got.itertuples():
        year = str(r.period)
        if r.figure_id == "fremskrevet_65_plus":
            assert r.value == projected(year, 65)
        else:
            assert r.value == pytest.approx(projected(year, 80) / projected(year, 0) * 100, rel=1e-12)
        assert r.data_year_da == f"{year} (fremskrevet)" and r.vs_country == "not_compared"


def test_indicator_figures_includes_the_fetched_figures(fetched):
    _, data_dir = fetched
    got = indicator_figures("sundhedsraad-vendsyssel", data_dir=data_dir)  # no indicator files imported
    assert {"doede_pr_1000", "hjemmesygepleje_65_pr_1000", "personer_laegekontakt_pct"} <= set(got["figure_id"])
    assert "data_age" in got.attrs and got.attrs["division"] == "sundhedsraad-2027"
    one = indicator_figures("nordjylland-nord", indicators=["traening_67_pct"], data_dir=data_dir)
    assert list(one["figure_id"]) == ["traening_67_pct"] and one["label_da"].iloc[0].startswith("Borgere på 67")


def test_split_copenhagen_2022_by_bydel_share_adds_up(fetched):
    """Byen and Syd share København by its bydele's population (fetched from Københavns Kommune's statbank): their
    parts of København's deaths add up to København's but for the residents the kommune places in no bydel (in no
    cluster; a few in the CONSTRUCTED KKBEF1), and the method says it is an approximation."""
    _, data_dir = fetched
    got = health_figures(level="cluster", division="sundhedsklynger-2022", figures=["doede"], data_dir=data_dir)
    byen, syd = (got[got["entity_id"] == c].iloc[0] for c in ("hovedstaden-byen", "hovedstaden-syd"))
    assert "befolkningsandelen" in byen["method_da"] and "tilnærmelse" in byen["method_da"]
    munis = health_figures(level="municipality", division="sundhedsklynger-2022", figures=["doede"],
                           data_dir=data_dir).set_index("entity_id")["value"]
    others = munis[["0147"]].sum() + munis[["0153", "0155", "0161", "0165", "0167", "0169", "0183", "0185",
                                             "0187"]].sum()
    shared = byen["value"] + syd["value"] - others  # København's deaths allotted to Byen and Syd
    assert 0.9 * munis["0101"] < shared <= munis["0101"]


def test_a_missing_member_gives_no_partial_sum(fetched, tmp_path):
    """CONSTRUCTED: Statistics Denmark writes '..' for Læsø's deaths in 2024; Læsø's, Klynge Nord's, the region's
    and Denmark's deaths and death rates are missing with a Danish reason naming Læsø."""
    replay, _ = fetched
    replay.missing.add(("FOD207", "825", "2024"))
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("KLYNGEDATA_STATBANK_URL", replay.url)
            res = CliRunner().invoke(main, ["data", "fetch", "-t", "FOLK1A", "-t", "FOD207", "--data-dir",
                                            str(tmp_path)])
            assert res.exit_code == 0, res.output
    finally:
        replay.missing.discard(("FOD207", "825", "2024"))
    for level, entity in (("cluster", "nordjylland-nord"), ("region", "1081"), ("country", "DK")):
        got = health_figures(level=level, figures=["doede", "doede_pr_1000"], division="sundhedsklynger-2022",
                             data_dir=tmp_path)
        row = got[got["entity_id"] == entity]
        assert row["value"].isna().all() and row["reason_da"].str.contains("Læsø").all(), (level, row)
        assert (row["display"] == "–").all()
    earlier = health_figures("nordjylland-nord", figures=["doede"], period="2023", data_dir=tmp_path).iloc[0]
    assert earlier["value"] > 0


def test_a_table_without_christiansoe_sums_without_it_and_says_so(fetched, hand, tmp_path):
    """CONSTRUCTED: the deaths table without Christiansø's rows (every other table has them). Region Hovedstaden's
    and Denmark's deaths and death rate are the sums of the municipalities alone (the rate's population too, so
    the rate hangs together) and say so; Region Nordjylland's, which never held Christiansø, does not."""
    import shutil

    from klyngedata.cache import Cache

    shutil.copytree(fetched[1], tmp_path / "data")
    cache = Cache(tmp_path / "data")
    deaths, meta = cache.read("health/FOD207"), cache.meta("health/FOD207")
    meta = {k: v for k, v in meta.items() if k not in ("rows", "written_at", "data_file", "data_bytes", "data_sha256")}
    cache.write("health/FOD207", deaths[deaths["area_code"].astype(str) != "0411"].reset_index(drop=True), meta)
    for level, entity, members in (("region", "1084", _region_members("1084", "sundhedsklynger-2022")),
                                   ("country", "DK", list(registry.municipality_regions()) + ["0411"]),
                                   ("region", "1081", _region_members("1081", "sundhedsklynger-2022"))):
        got = health_figures(level=level, figures=["doede", "doede_pr_1000"], division="sundhedsklynger-2022",
                             period=YEAR, data_dir=tmp_path / "data")
        got = got[got["entity_id"] == entity].set_index("figure_id")
        without = [m for m in members if m != "0411"]
        for fid in ("doede", "doede_pr_1000"):
            value, _, den = hand.figure(fid, without)
            assert got.loc[fid, "value"] == pytest.approx(value, rel=1e-12), (entity, fid)
            assert ("Uden Christiansø" in got.loc[fid, "method_da"]) == ("0411" in members), (entity, fid)


def test_data_age_in_a_2027_meeting(fetched):
    _, data_dir = fetched
    age = data_age(data_dir, today="2027-01-15").set_index("table")
    deaths = age.loc["FOD207"]
    assert deaths["newest"] == "2024" and deaths["expected"] == "2025" and deaths["older_than_usual"]
    assert "februar året efter" in deaths["note_da"] and "2025" in deaths["note_da"]
    fresh = data_age(data_dir, today="2025-09-01").set_index("table")
    assert not fresh["older_than_usual"].any()
    assert fresh.loc["FOD207", "note_da"].startswith("Tallene for døde går til og med 2024 (hentet ")
    assert set(age.index) >= {"FOD207", "FODIE", "SYGP1", "SBR01", "HJEMSYG", "AED06", "HISBK", "FRKM"}


# ---------------------------------------------------------------------------------------------
# the report section (the key-figure report of a council)
# ---------------------------------------------------------------------------------------------
def section_html(data_dir, unit: str = "sundhedsraad-vendsyssel") -> str:
    from klyngedata.reports import ClusterReport

    return ClusterReport(unit, data_dir=data_dir, report=True).health().data


def test_the_report_section_shows_each_figure_with_its_year(fetched, today_at):
    _, data_dir = fetched
    today_at("2027-01-15")  # a meeting in January 2027
    html = section_html(data_dir)
    for theme in ("Almen praksis og psykolog", "Sygehus", "Døde og fødte", "Fremskrivning af de ældre",
                  "Tallenes alder"):
        assert f"<h3>{theme}" in html
    assert "Middellevetid" not in html.split("<h3>Tallenes alder")[0]  # the mortality section has life expectancy
    assert html.count("<td>2024</td>") >= 12 and "<td>2020–2024</td>" in html  # the data year beside each figure
    assert "Borgere på 67 år og derover i plejebolig eller på plejehjem" in html and "Rådet" in html
    # older than Statistics Denmark's usual lag: said plainly
    assert "Ældre tal end normalt" in html and "ja, til og med 2025" in html
    assert "i februar året efter" in html
    # no ids, table names, paths or commands in what the reader sees (the cells' attributes carry the figure ids)
    text = re.sub(r"<[^>]+>", " ", html)
    for word in ("FOD207", "SYGP1", "HJEMSYG", "AED0", "FRKM", "FOLK1", "klyngedata data", "/tmp", "_pct", "nan"):
        assert word not in text, word


def test_the_report_section_in_the_usual_lag_has_no_warning(fetched, today_at):
    _, data_dir = fetched
    today_at("2025-09-01")
    html = section_html(data_dir, "nordjylland-nord")
    assert "Ældre tal end normalt" not in html and "ja, til og med" not in html and "Klyngen" in html


def test_the_report_section_without_fetched_tables_says_so(tmp_path):
    from klyngedata.reports import ClusterReport

    report = ClusterReport("sundhedsraad-vendsyssel", data_dir=tmp_path, report=True)
    assert report.health() is None  # issue 24: not drawn, heading included; the reason said once
    assert report.heading("Sundhed og ældre i {klyngen}", when="health") is None
    assert "ikke hentet" in report.not_shown().data


def test_the_report_records_whether_the_section_showed_its_data(fetched, tmp_path):
    """A weekly report that had the section and would lose it is not written (klyngedata.reports.coverage)."""
    from klyngedata.reports import ClusterReport
    from klyngedata.reports.coverage import lost_sections

    shown = ClusterReport("sundhedsraad-vendsyssel", data_dir=fetched[1], report=True)
    shown.health()
    empty = ClusterReport("sundhedsraad-vendsyssel", data_dir=tmp_path, report=True)
    empty.health()
    assert shown.__dict__["_sections"]["sundhed_aeldre"] == ""
    assert "ikke hentet" in empty.__dict__["_sections"]["sundhed_aeldre"]
    assert "sundhed_aeldre" in lost_sections(shown.__dict__["_sections"], empty.__dict__["_sections"])
