"""The key-figure report's section "Dødelighed og middellevetid" on CONSTRUCTED deaths, population and published
life expectancies (StatBank-shaped exports imported through ``klyngedata data import``; municipality totals real,
../shared/data), and without such data."""

from __future__ import annotations

import re

import pytest

from klyngedata.importing import import_file
from klyngedata.reports import ClusterReport
from klyngedata.reports.mortality_section import UNAVAILABLE_DA
from tests.mortality_data import construct, fod207_export, folk1b_export, hisbk_export, real_totals

YEARS = list(range(2018, 2025))


@pytest.fixture(scope="module")
def data_dir(imported_data_dir, population_dir, tmp_path_factory):
    target = tmp_path_factory.mktemp("mortality_report")
    import_file(population_dir, data_dir=target)  # the real totals (FOLK1AM): the report's population
    real = real_totals(imported_data_dir, [2022])
    totals = {(c, y): int(round(n * (1 + 0.003 * (y - 2022)))) for (c, _), n in real.items()
              for y in [*YEARS, YEARS[-1] + 1]}  # CONSTRUCTED growth around the real 2022 totals
    data = construct(totals, YEARS, small={("0825", "male", 2024): 2})
    published = {(c, s, "2020:2024"): v for c, v in (("0810", 80.4), ("0813", 79.6), ("0860", 80.9))
                 for s in ("total", "male", "female")}  # CONSTRUCTED HISBK values (Læsø left out)
    for name, text in (("FOD207.csv", fod207_export(data)), ("FOLK1B.csv", folk1b_export(data)),
                       ("HISBK.csv", hisbk_export(published))):
        (target / name).write_bytes(text.encode("utf-8"))
        import_file(target / name, data_dir=target)
    return target


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_section_shows_life_expectancy_trend_smr_members_and_the_interval_sentence(data_dir):
    html = ClusterReport("nordjylland-nord", data_dir=str(data_dir), report=True).mortality().data
    text = text_of(html)
    for part in ("Ved fødslen, begge køn", "Som 65-årig, kvinder", "Regionen", "Hele landet", "2020–2024",
                 "Udviklingen i klyngens middellevetid", "2018–2022", "Dødelighed i forhold til landet (landet = 100)",
                 "Døde under 75 år pr. 100.000", "Middellevetiden i klyngens kommuner", "Beregnet (95 %-interval)",
                 "Offentliggjort af Danmarks Statistik", "ikke offentliggjort", "95 %-intervaller",
                 "statistisk sikker", "ikke som et gennemsnit af kommunernes tal", "FOLK1B",
                 "I forhold til regionen", "I forhold til landet", "forventede, hvis landets dødelighed"):
        assert part in text, part
    assert "Læsø" in text and "80,4" in text  # the published value beside the computed one
    assert not re.search(r"\b[1-4] døde\b", text)


def test_the_sources_name_the_deaths_and_population_tables(data_dir):
    rep = ClusterReport("nordjylland-nord", data_dir=str(data_dir), report=True)
    rep.mortality()
    footer = text_of(rep.footer().data)
    assert "Dødsfald: Danmarks Statistik, tabel FOD207" in footer and "2018–2024" in footer
    assert "Befolkning efter køn og alder: Danmarks Statistik, tabel FOLK1B" in footer
    assert "Befolkningstal: Danmarks Statistik, tabel FOD207" not in footer


def test_a_council_gets_the_councils_words(data_dir):
    text = text_of(ClusterReport("sundhedsraad-vendsyssel", data_dir=str(data_dir), report=True).mortality().data)
    assert "Udviklingen i rådets middellevetid" in text and "Middellevetiden i rådets kommuner" in text


def test_a_split_unit_says_why_and_no_data_says_so(data_dir, tmp_path):
    text = text_of(ClusterReport("hovedstaden-byen", data_dir=str(data_dir), report=True).mortality().data)
    assert "dødsfald opgøres ikke pr. bydel" in text
    empty = ClusterReport("nordjylland-nord", data_dir=str(tmp_path), report=True)
    assert empty.mortality() is None  # issue 24: nothing drawn without data, and no heading either ...
    assert empty.heading("Dødelighed og middellevetid", when="mortality") is None
    assert UNAVAILABLE_DA in text_of(empty.not_shown().data)  # ... the reason said once


def test_the_section_records_whether_it_showed_its_data(data_dir, tmp_path):
    """A report that had the section and would lose it is not written (klyngedata.reports.coverage)."""
    shown = ClusterReport("nordjylland-nord", data_dir=str(data_dir), report=True)
    shown.mortality()
    assert shown.__dict__["_sections"]["doedelighed"] == ""
    empty = ClusterReport("nordjylland-nord", data_dir=str(tmp_path), report=True)
    assert empty.mortality() is None  # left out (issue 24), and recorded as a section without its data
    assert empty.__dict__["_sections"]["doedelighed"] == UNAVAILABLE_DA


def test_a_published_table_without_denmark_compares_nothing_and_the_report_runs(data_dir):
    """The CONSTRUCTED HISBK export has three municipalities and no row for Denmark: the health figures built from
    it have no value for Denmark (missing, not compared) and the report's summary does not fail (it raised a
    KeyError for 'country_value')."""
    from klyngedata.health.figures import health_figures

    h = health_figures("nordjylland-nord", figures=["middellevetid_0"], data_dir=str(data_dir))
    assert h["country_value"].isna().all() and set(h["vs_country"]) == {"not_compared"}
    ClusterReport("nordjylland-nord", data_dir=str(data_dir), report=True).summary()


def test_the_body_speaks_plainly_and_the_method_is_in_the_appendix(data_dir):
    """Issue 24's rules for every section: no internal or method words in the body; the method in "Om tallene"."""
    r = ClusterReport("nordjylland-nord", data_dir=str(data_dir), report=True)
    body = text_of(r.mortality().data)
    assert not re.search(r"klyngedata|Chiang|konfidens|Standardbefolkning|\bSMR\b", body), body
    assert "»Om tallene«" in body
    from klyngedata.reports.about import about_html

    method = r._derived["mortality_method_da"]  # what Sections.about() passes to the appendix
    about = text_of(about_html(r.words, [], mortality=method))
    assert "Middellevetid og dødelighed." in about and "Chiangs metode" in about and "FOD207" in about
