"""Issue 24 without a browser: the pieces that make a report fit for the meeting pack.

Local facts (``lokale_oplysninger.csv``: read, validated, errors naming file, row and column), official names,
the boundaries' vintage, charts that read in greyscale (line styles, heat-map classes apart in lightness, barometer
markers), Danish axis dates from the vocabulary, the barometer's groups (neutral figures never under "worse"), an
empty barometer not drawn, peers described by the features actually used, and the medicines of "Recepter".
The PDFs themselves are checked in ``tests/test_e2e_paper.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from klyngedata.exceptions import DataFormatError, DataNotAvailable
from klyngedata.local_facts import FILE_NAME, local_facts, read_local_facts

HEADER = "enhed;oplysning;del;værdi;kilde;dato\n"
OK_ROW = "sundhedsraad-vendsyssel;formand;;Konstrueret Navn;KONSTRUERET referat;2026-01-19\n"


def _write(tmp_path, text: str):
    (tmp_path / FILE_NAME).write_text(text, encoding="utf-8")
    return tmp_path


# --------------------------------------------------------------------------------------------------- local facts
def test_without_the_file_there_are_no_local_facts(tmp_path):
    assert read_local_facts(tmp_path) == {} and not local_facts("sundhedsraad-vendsyssel", tmp_path)


def test_local_facts_are_read_by_unit_id_or_name_with_source_and_date(tmp_path):
    # CONSTRUCTED example: a secretariat's facts (names and sources invented)
    text = HEADER + OK_ROW + (
        "Sundhedsråd Vendsyssel;akutsygehus;;Regionshospital Nordjylland, Hjørring;KONSTRUERET referat;19.01.2026\n"
        "sundhedsraad-vendsyssel;møder_pr_år;;6;KONSTRUERET forretningsorden;2026-02-01\n")
    facts = local_facts("Vendsyssel", _write(tmp_path, "\ufeff" + text))
    assert facts.one("formand").value == "Konstrueret Navn"
    assert facts.one("formand").cited_da() == "oplyst af sekretariatet (KONSTRUERET referat, 19. januar 2026)"
    assert [f.value for f in facts.all("akutsygehus")] == ["Regionshospital Nordjylland, Hjørring"]
    assert facts.one("møder_pr_år").value == "6" and facts.seats() == {}


@pytest.mark.parametrize("row, column, problem", [
    ("sundhedsraad-atlantis;formand;;X;K;2026-01-19", "enhed", "no unit is called"),
    ("sundhedsraad-vendsyssel;kasserer;;X;K;2026-01-19", "oplysning", "is not one of"),
    ("sundhedsraad-vendsyssel;pladser;Aalborg;2;K;2026-01-19", "del", "member municipality"),
    ("sundhedsraad-vendsyssel;formand;Hjørring;X;K;2026-01-19", "del", "only the fact pladser"),
    ("sundhedsraad-vendsyssel;pladser;regionsrådet;fem;K;2026-01-19", "værdi", "whole number"),
    ("sundhedsraad-vendsyssel;formand;;X;;2026-01-19", "kilde", "needs its source"),
    ("sundhedsraad-vendsyssel;formand;;X;K;januar 2026", "dato", "is not a date"),
    ("sundhedsraad-vendsyssel;formand;;X;K", "dato", "cells where the header has"),
])
def test_a_wrong_row_is_refused_naming_file_row_and_column(tmp_path, row, column, problem):
    with pytest.raises(DataFormatError) as err:
        read_local_facts(_write(tmp_path, HEADER + OK_ROW + row + "\n"))
    text = str(err.value)
    assert FILE_NAME in text and "row 3" in text and f"column {column!r}" in text and problem in text


def test_a_fact_given_twice_and_seats_for_some_bodies_only_are_refused(tmp_path):
    with pytest.raises(DataFormatError, match=r"row 3, column 'oplysning': formand of Sundhedsråd Vendsyssel is "
                                              r"given twice"):
        read_local_facts(_write(tmp_path, HEADER + OK_ROW + OK_ROW))
    partial = HEADER + "sundhedsraad-vendsyssel;pladser;regionsrådet;5;K;2026-01-19\n"
    with pytest.raises(DataFormatError, match="given for some bodies only; add Brønderslev, Frederikshavn, Læsø, "
                                              "Hjørring"):
        read_local_facts(_write(tmp_path, partial))
    with pytest.raises(DataFormatError, match="row 1, column 'kilde'"):
        read_local_facts(_write(tmp_path, "enhed;oplysning;del;værdi;dato\n"))


def test_the_secretariats_seats_replace_the_compilation_in_the_organisation_and_sources(tmp_path):
    from klyngedata import registry
    from klyngedata.reports.governance import composition_source_da, council_html, unconfirmed_da

    rows = "".join(f"sundhedsraad-vendsyssel;pladser;{b};{n};KONSTRUERET kommissorium;2026-01-19\n"
                   for b, n in (("regionsrådet", 6), ("Hjørring", 2), ("Brønderslev", 1), ("Frederikshavn", 1),
                                ("Læsø", 1)))  # CONSTRUCTED seats, not the registry's (5 + 4)
    facts = local_facts("sundhedsraad-vendsyssel", _write(tmp_path, HEADER + rows))
    unit = registry.cluster("sundhedsraad-vendsyssel")
    html = council_html(unit, facts)
    assert "Sundhedsråd Vendsyssel har 11 medlemmer: 6 regionsrådsmedlemmer" in html
    assert "<td>Hjørring Kommune</td><td>2</td>" in html and "oplyst af sekretariatet" in html
    assert composition_source_da(unit, facts) == ("Rådets sammensætning: oplyst af sekretariatet (KONSTRUERET "
                                                   "kommissorium, 19. januar 2026)")
    assert "pladsfordelingen" not in unconfirmed_da(unit, facts)
    assert "pladsfordelingen" in unconfirmed_da(unit)  # without the file: said once, plainly


# --------------------------------------------------------------------------------------------------- names
def test_official_names_of_the_municipalities():
    from klyngedata import registry

    assert registry.municipality("København").official_name == "Københavns Kommune"
    assert registry.municipality("0400").official_name == "Bornholms Regionskommune"
    assert registry.municipality("Vesthimmerlands").official_name == "Vesthimmerlands Kommune"
    seats = registry.seats("sundhedsraad-hovedstaden", "politisk")
    assert set(seats["appointed_by"]) >= {"Københavns Kommune", "Bornholms Regionskommune"}


def test_the_boundaries_vintage_is_known_from_the_file_not_the_import_date(shared_data):
    from klyngedata.geo.vintages import file_vintage, vintage_da

    path = shared_data / "geo" / "kommuner.geojson"
    assert "13. februar 2014" in file_vintage(path)
    assert "13. februar 2014" in vintage_da({"file": str(path), "imported_at": "2026-12-07T10:00:00+00:00"})
    assert vintage_da({"imported_at": "2026-12-07T10:00:00+00:00"}).startswith("grænsernes årgang er ikke oplyst")


def test_recepter_says_which_medicines_it_counts():
    from klyngedata import catalogue

    d = catalogue.figure("recepter_pr_100")
    assert "lægemiddelgruppe ukendt" in d.label_da and "hvilke lægemidler" in d.definition_da


# --------------------------------------------------------------------------------------------------- charts
def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_line_charts_read_in_greyscale_and_date_their_axis_the_vocabularys_way():
    from klyngedata import figures

    periods = pd.period_range("2021-10", "2024-04", freq="M")
    rows = pd.concat([pd.DataFrame({"entity_id": e, "entity_name": n, "level": lv, "period": periods,
                                    "population": range(100 + i, 100 + i + len(periods))})
                      for i, (e, n, lv) in enumerate((("k", "Klynge K", "cluster"), ("r", "Regionen", "region"),
                                                      ("DK", "Hele landet", "country")))])  # CONSTRUCTED counts
    fig = figures.indexed_trend(rows)
    dashes = [t.line.dash for t in fig.data]
    assert dashes == ["solid", "dash", "dot"]  # region and country apart without colour
    assert list(fig.layout.xaxis.ticktext) == ["jan. 2022", "jul. 2022", "jan. 2023", "jul. 2023", "jan. 2024"]


def test_heat_map_classes_are_apart_in_greyscale_and_carry_a_direction():
    from klyngedata.reports.overview import HEAT_COLOURS

    assert _luminance(HEAT_COLOURS["better"]) - _luminance(HEAT_COLOURS["worse"]) > 0.3
    assert _luminance(HEAT_COLOURS["similar"]) - _luminance(HEAT_COLOURS["better"]) > 0.15
    assert _luminance(HEAT_COLOURS["lower"]) - _luminance(HEAT_COLOURS["higher"]) > 0.3


def _spine_table():
    # CONSTRUCTED example: three units, a figure with a direction and a neutral one
    return pd.DataFrame({
        "entity_id": ["a", "b", "c"] * 2, "entity_name": ["A", "B", "C"] * 2,
        "figure_id": ["sundhedsprofil_rygning"] * 3 + ["laegekontakt_pct"] * 3,
        "label_da": ["Daglig rygning"] * 3 + ["Borgere med kontakt til almen praksis"] * 3, "unit": ["%"] * 6,
        "value": [8.0, 12.0, 15.0, 84.3, 80.0, 88.0], "country_value": [11.0] * 3 + [83.6] * 3,
        "polarity": ["low_is_good"] * 3 + ["neutral"] * 3,
        "vs_country": ["better", "similar", "worse", "higher", "lower", "higher"]})


def test_the_barometer_never_puts_neutral_figures_under_worse_and_names_only_relevant_differences():
    from klyngedata.spine import OUTCOME_SYMBOLS, spine_chart, spine_data

    data = spine_data(_spine_table(), "a")
    assert dict(zip(data["figure_id"], data["outcome"], strict=True)) == {
        "sundhedsprofil_rygning": "better", "laegekontakt_pct": "similar"}  # 0,7 procentpoint: not relevant
    fig = spine_chart(_spine_table(), "a")
    texts = [a.text for a in fig.layout.annotations]
    assert "← dårligere" in texts and "bedre →" in texts and "← lavere" in texts and "højere →" in texts
    assert not any("dårligere / lavere" in t for t in texts)
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks.index("<b>Nøgletal med en god retning</b>") < ticks.index("<b>Nøgletal uden en god retning</b>")
    markers = {t.name: t.marker.symbol for t in fig.data if t.type == "scatter"}
    assert markers["Bedre end landet"] == OUTCOME_SYMBOLS["better"] != OUTCOME_SYMBOLS["worse"]


def test_a_barometer_without_values_is_not_drawn():
    from klyngedata.spine import spine_chart

    table = _spine_table().assign(value=lambda f: f["value"].where(f["entity_id"] != "a"))
    with pytest.raises(DataNotAvailable):
        spine_chart(table, "a")


@pytest.fixture(scope="module")
def population_and_indicators(shared_data, tmp_path_factory):
    """The real population and indicator files (with the municipality groups) imported."""
    from klyngedata.importing import import_file

    target = tmp_path_factory.mktemp("paper_population_indicators")
    for part in ("population", "indicators"):
        import_file(shared_data / part, data_dir=target)
    return target


def test_peers_are_described_by_the_features_actually_used_and_the_method_is_in_the_appendix(
        population_and_indicators, monkeypatch):
    from klyngedata.reports import ClusterReport

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    r = ClusterReport("sundhedsraad-vendsyssel", data_dir=population_and_indicators, report=True)
    assert "alder" not in r.heading("Sammenlignelige {klynger}", "x", when="peers").data
    caption = r.peers().data
    # the real data have no ages: the peers are not found "by age", and the body has no method words
    assert "Ligheden er målt på befolkningens størrelse, udvikling og kommunetyper" in caption
    assert "alder" not in caption and "euklid" not in caption and "standardiser" not in caption
    about = r.about().data
    assert "euklidiske afstand" in about and "2 procentpoint" in about


def test_a_block_left_out_for_want_of_data_is_recorded_as_missing_for_the_guard(imported_data_dir, monkeypatch):
    """Issue 25's guard (a report never silently loses a section) sees a block issue 24 leaves out: the age
    pyramid without ages is recorded with its reason, not as shown; a split cluster's barometer (never drawn, the
    header says why) is not a loss."""
    from klyngedata.reports import ClusterReport

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    r = ClusterReport("Klynge Nord", data_dir=imported_data_dir, report=True)
    assert r.age_pyramid() is None
    assert r._sections["alderspyramide"].startswith("Alderspyramiden vises ikke")


def test_many_members_indicators_are_split_into_tables_that_fit_the_page():
    """Sundhedsklynge Syd has ten members: one table of ten members, the region and the country was cut at the
    right edge even on a landscape page; it becomes two compact tables of five members, every row in both."""
    from klyngedata.reports.blocks import members_indicator_table

    codes = [f"{i:04d}" for i in range(1, 11)]
    rows = pd.DataFrame({  # CONSTRUCTED values, two indicators of ten members
        "entity_id": codes * 2, "figure_id": ["a"] * 10 + ["b"] * 10, "label_da": ["A"] * 10 + ["B"] * 10,
        "unit": ["%"] * 20, "value": [float(v) for v in range(20)], "region_value": [50.0] * 20,
        "country_value": [51.0] * 20, "period": ["2024"] * 20})
    html = members_indicator_table(rows, {c: f"Kommune {c}" for c in codes}).data
    assert html.count("<table") == 2 and html.count("kd-fixed") == 2
    first, second = html.split("</table>")[:2]
    assert "Kommune 0005" in first and "Kommune 0006" not in first and "Kommune 0010" in second
    assert first.count("Hele landet") == second.count("Hele landet") == 1 and second.count("<tr>") == 3
    two = members_indicator_table(rows[rows["entity_id"].isin(codes[:2])], {c: c for c in codes[:2]}).data
    assert two.count("<table") == 1 and "kd-fixed" not in two


def test_a_split_cluster_explains_its_split_once(imported_data_dir):
    """Byen's header explains the bydel split; its transition section only points there (it repeated the whole
    explanation), while a council, whose header does not explain it, keeps the full note."""
    import re

    from klyngedata import registry
    from klyngedata.reports.transition import section

    byen = re.sub(r"<[^>]+>", " ", section(registry.cluster("hovedstaden-byen"), "2024M04", imported_data_dir))
    assert "se forklaringen øverst" in byen and "intet er fordelt skønsmæssigt" not in byen
    council = section(registry.cluster("sundhedsraad-hovedstaden"), "2024M04", imported_data_dir)
    assert "intet er fordelt skønsmæssigt" in council and "se forklaringen øverst" not in council


def test_soenderjylland_records_all_three_hospital_sites():
    """Reference update 2026-12-07 [SECONDARY]: the council is responsible for Sygehus Sønderjylland's units in
    Aabenraa, Sønderborg and Tønder - recorded, not Aabenraa alone; the acute hospital stays Aabenraa."""
    from klyngedata import registry

    c = registry.cluster("sundhedsraad-soenderjylland")
    assert "Aabenraa, Sønderborg og Tønder" in c.note and not c.verified
    assert list(c.hospitals["name"]) == ["Sygehus Sønderjylland, Aabenraa"]


def test_a_section_left_out_is_said_once_under_the_figures_that_cannot_be_computed(imported_data_dir, monkeypatch):
    """Without deaths, "Dødelighed og middellevetid" is not drawn (nor its heading); the reason is one bullet of
    "Nøgletal, der ikke kan beregnes" (it stood alone in a note at the top of a page), and not said again."""
    from klyngedata.reports import ClusterReport
    from klyngedata.reports.mortality_section import UNAVAILABLE_DA

    monkeypatch.setenv("KLYNGEDATA_OFFLINE", "1")
    r = ClusterReport("sundhedsraad-vendsyssel", data_dir=imported_data_dir, report=True)
    assert r.heading("Dødelighed og middellevetid", when="mortality") is None and r.mortality() is None
    assert r.missing().data.count(UNAVAILABLE_DA) == 1 and r.not_shown() is None
