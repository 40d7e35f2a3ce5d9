"""The report side of the transition (issue 9): words follow the division, a council's composition, the section
"Fra sundhedsklynger til sundhedsråd", ended/not-yet-started notes, the index grouped by division.

Fast tests without notebook kernels; the rendered reports (HTML in headless Chromium, both sides of New Year)
are in ``test_e2e_wording.py``. Expected seats are the registry's rows as taken from
``shared/reference/sundhedsraad-2027.md`` ("The 17 councils": Limfjorden 9 + 8, Aalborg (2)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import klyngedata as kd
from klyngedata import registry
from klyngedata.registry.words import WORDS, division_text_da, words
from klyngedata.reports import ClusterReport
from klyngedata.reports.governance import composition_source_da, council_html, governance_html, unconfirmed_da
from klyngedata.reports.index import update_index
from klyngedata.reports.transition import neighbours_da, section, shared_population, status_da, transition_title

COUNCIL, CLUSTER = "sundhedsraad-limfjorden", "nordjylland-nord"


def _raw_folk1am(population_dir: Path, period: str) -> dict[str, int]:
    """Name -> population for ``period`` read independently from the raw StatBank export (csv module)."""
    import csv

    path = next(population_dir.glob("dst_FOLK1AM_*.csv"))
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["OMRÅDE"]: int(r["INDHOLD"]) for r in csv.DictReader(f, delimiter=";") if r["TID"] == period}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# --------------------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------------------
def test_the_words_come_from_the_registrys_division():
    assert words("sundhedsraad-2027") is WORDS["sundhedsråd"] is words(COUNCIL) is words(registry.cluster(COUNCIL))
    assert words("sundhedsklynger-2022") is WORDS["sundhedsklynge"] is words(CLUSTER)
    assert words("klyngestyregrupper-2019").definite == "klyngestyregruppen"
    council, cluster = words(COUNCIL), words(CLUSTER)
    template = "{Klyngens} organisering; befolkningen i {sundhedsklyngen}; {en} {anden} {klynge}; {Sundhedsklyngerne}"
    assert council.fill(template) == "Rådets organisering; befolkningen i sundhedsrådet; et andet råd; Sundhedsrådene"
    assert cluster.fill(template) == ("Klyngens organisering; befolkningen i sundhedsklyngen; en anden klynge; "
                                      "Sundhedsklyngerne")
    assert council.fill("{Navn} har {antal}", navn="x", antal="7") == "X har 7"


def test_today_decides_the_default_words(today_at):
    today_at("2026-12-15")
    assert words().unit == "sundhedsklynge"
    today_at("2027-01-02")
    assert words().unit == "sundhedsråd"


def test_division_texts_are_danish_names_with_validity_never_ids():
    assert division_text_da("sundhedsklynger-2022") == ("Sundhedsklynger (sundhedsloven § 203), "
                                                        "1. juli 2022 – 31. december 2026")
    assert division_text_da("sundhedsraad-2027") == "Sundhedsråd (fra 1. januar 2027)"


def test_report_headings_and_texts_in_the_units_words():
    council, cluster = ClusterReport(COUNCIL, report=True), ClusterReport(CLUSTER, report=True)
    assert council.heading("{Klyngens} optageområde", "{Klyngens} kommuner og {akuthospital}").data == \
        "## Rådets optageområde\n\nRådets kommuner og akuthospitaler"  # Limfjorden: Aalborg and Thisted
    assert cluster.heading("{Klyngens} optageområde", "{Klyngens} kommuner og {akuthospital}").data == \
        "## Klyngens optageområde\n\nKlyngens kommuner og akuthospital"
    for r in (council, cluster):  # the same transition, seen from both sides
        assert r.heading("Fra {fra} til {til}").data == "## Fra sundhedsklynger til sundhedsråd"
    assert transition_title("styregruppe-nordjylland-nord") == "Fra klyngestyregrupper til sundhedsklynger"


# --------------------------------------------------------------------------------------------------
# header facts and notes on either side of the date
# --------------------------------------------------------------------------------------------------
def test_council_header_says_hospitals_are_inferred_and_names_the_clusters_it_succeeds(today_at):
    today_at("2026-12-15")
    r = ClusterReport(COUNCIL, report=True)
    assert registry.hospitals_inferred(COUNCIL) and not registry.hospitals_inferred(CLUSTER)
    # issue 24: the header names the hospitals; that they are inferred is said once, plainly, in the sources
    assert r._hospitals_text() == "Aalborg Universitetshospital, Aalborg Universitetshospital – Thisted"
    assert "akutsygehusene, der er udledt af de sundhedsklynger, rådet overtager" in unconfirmed_da(r.cluster)
    # "Afløser: Klynge Nord" on a 2027 cover reads as if the cluster were the successor: the predecessors are named so
    assert neighbours_da(r.cluster) == [
        ("Forgængere", "Klynge Midt, Klynge Syd og Klynge Vest (sundhedsklynger 1. juli 2022 – 31. december 2026)")]
    assert status_da(r.cluster) == ("Sundhedsrådene afløser sundhedsklyngerne 1. januar 2027. Rapporten viser "
                                    "rådets område med de seneste tal.")
    today_at("2027-01-02")
    assert status_da(r.cluster) == ""


def test_cluster_header_names_its_successor_and_says_it_ended_after_new_year(today_at):
    unit = registry.cluster(CLUSTER)
    today_at("2026-12-15")
    assert neighbours_da(unit) == [("Afløses af", "Sundhedsråd Vendsyssel (fra 1. januar 2027)")]
    assert status_da(unit) == ""
    today_at("2027-01-02")
    assert neighbours_da(unit) == [("Afløst af", "Sundhedsråd Vendsyssel (fra 1. januar 2027)")]
    assert status_da(unit) == ("Sundhedsklyngerne ophørte 31. december 2026. Rapporten beskriver Klynge Nord, som "
                               "klyngen var sammensat indtil da. Området overgik 1. januar 2027 til Sundhedsråd "
                               "Vendsyssel.")


def test_a_cluster_split_between_two_councils_names_both():
    unit = registry.cluster("hovedstaden-syd")  # København's southern bydele go to Sundhedsråd Hovedstaden
    assert neighbours_da(unit) == [
        ("Afløses af", "Sundhedsråd Amager og Vestegnen samt Sundhedsråd Hovedstaden (fra 1. januar 2027)")]


# --------------------------------------------------------------------------------------------------
# governance: a council's composition from the registry
# --------------------------------------------------------------------------------------------------
def test_council_composition_with_seats_per_municipality_chair_rule_and_source():
    unit = registry.cluster(COUNCIL)
    comp = registry.composition(unit)
    html = council_html(unit)
    text = _text(html)
    assert (comp["regional"], comp["municipal"]) == (9, 8)  # reference: "9 + 8"
    assert ("Sundhedsråd Limfjorden har 17 medlemmer: 9 regionsrådsmedlemmer, udpeget af regionsrådet i Region "
            "Nordjylland, og 8 kommunale medlemmer fra de 7 medlemskommuner.") in text
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", html))
    assert rows["Regionsrådet i Region Nordjylland"] == "9" and rows["Aalborg Kommune"] == "2"
    assert {k: int(v) for k, v in rows.items() if k.endswith("Kommune")} == {
        f"{m} Kommune": n for m, n in comp["municipal_seats"].items()}
    assert rows["I alt"] == "17"
    # issue 24: the composition is stated without doubts in every line; its source and date, and what no official
    # source confirms, are said once in the sources
    assert "Formandskab: Formand og næstformand er regionsrådsmedlemmer." in text
    assert "udledt" not in text and "ikke bekræftet" not in text and "lovens ordlyd" not in text
    source = composition_source_da(unit)
    assert source.startswith("Rådets sammensætning (medlemskommuner og pladser): Regionernes sider om sundhedsrådene")
    assert "28. april 2026" in source and "GitHub" not in source
    assert unconfirmed_da(unit).startswith("Ikke bekræftet af en officiel kilde: medlemskommunerne og pladsfordelingen")
    assert "[SECONDARY]" not in html and "shared/reference" not in html  # readable citations only


def test_council_governance_records_the_middelfart_conflict():
    text = _text(governance_html(registry.cluster("sundhedsraad-lillebaelt")))
    assert "Kilderne er uenige" in text and "Middelfart" in text


def test_cluster_governance_keeps_the_commission_levels():
    text = _text(governance_html(registry.cluster(CLUSTER)))
    assert "Det politiske niveau" in text or "politiske" in text
    assert "Regionsrådsmedlemmer" not in text and "regionsloven §§ 14 a" not in text


# --------------------------------------------------------------------------------------------------
# "Fra sundhedsklynger til sundhedsråd" (real FOLK1AM data through the normal import)
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def municipal_population(imported_data_dir) -> pd.Series:
    pop = kd.population("municipality", period="2024M04", data_dir=imported_data_dir)
    return pop.set_index("entity_id")["population"]


def test_council_section_lists_the_clusters_it_takes_over_with_shares(imported_data_dir, municipal_population,
                                                                       today_at):
    today_at("2027-01-02")
    rows, side = shared_population(COUNCIL, "2024M04", imported_data_dir)
    assert side == "to"
    by = rows.set_index("other_name")
    assert list(by.index) == ["Klynge Midt", "Klynge Syd", "Klynge Vest"]  # largest first
    midt = int(municipal_population["0851"] + municipal_population["0849"])  # Aalborg + Jammerbugt
    assert by.loc["Klynge Midt", "population"] == midt
    total = int(municipal_population[registry.cluster(COUNCIL).municipality_codes].sum())
    assert by.loc["Klynge Midt", "own_share"] == pytest.approx(midt / total)
    assert rows["own_share"].sum() == pytest.approx(1.0) and (rows["other_share"] == 1.0).all()
    text = _text(section(registry.cluster(COUNCIL), "2024M04", imported_data_dir))
    assert text.startswith("Sundhedsrådene afløste sundhedsklyngerne 1. januar 2027. Sundhedsråd Limfjorden "
                           "overtog befolkningen i hele Klynge Midt, Klynge Syd og Klynge Vest.")
    assert "Andel af rådets indbyggere" in text and "Andel af klyngens indbyggere" in text
    assert "Klynge Midt Jammerbugt, Aalborg " + f"{midt:,}".replace(",", ".") in text
    assert f"{midt / total * 100:.1f} %".replace(".", ",") in text


def test_cluster_section_names_the_successor_before_and_after_new_year(imported_data_dir, today_at):
    unit = registry.cluster(CLUSTER)
    today_at("2026-12-15")
    before = _text(section(unit, "2024M04", imported_data_dir))
    assert before.startswith("Sundhedsrådene afløser sundhedsklyngerne 1. januar 2027. Fra 1. januar 2027 hører "
                             "befolkningen i Klynge Nord til Sundhedsråd Vendsyssel.")
    today_at("2027-01-02")
    after = _text(section(unit, "2024M04", imported_data_dir))
    assert after.startswith("Sundhedsklyngerne ophørte 31. december 2026. Befolkningen i Klynge Nord overgik "
                            "1. januar 2027 til Sundhedsråd Vendsyssel.")
    assert "Sundhedsråd Kommuner" in after  # the other side's unit word heads the table


def test_koebenhavn_split_without_bydel_data_is_said_and_not_guessed(imported_data_dir):
    rows, _ = shared_population("sundhedsraad-hovedstaden", "2024M04", imported_data_dir)
    by = rows.set_index("other_id")
    byen = by.loc["hovedstaden-byen#delt"]  # Byen's bydele of København: not counted (no bydel figures)
    assert pd.isna(byen["population"]) and byen["display"] == "–" and pd.isna(byen["own_share"])
    assert byen["other_name"] == "Sundhedsklynge Byen: bydele i Københavns Kommune"
    text = _text(section(registry.cluster("sundhedsraad-hovedstaden"), "2024M04", imported_data_dir))
    assert ("Københavns Kommune er delt efter bydel mellem sundhedsklyngerne, og der er ikke befolkningstal for "
            "bydelene") in text
    assert "»Københavns Kommune, bydele, der ikke kan fordeles«" in text and "intet er fordelt skønsmæssigt" in text


def test_hovedstadens_crosswalk_accounts_for_every_resident_incl_frederiksberg(imported_data_dir, population_dir):
    """Issue 24: the table omitted Frederiksberg's residents (the shares added up to 87 %). Frederiksberg goes whole
    from Byen to Hovedstaden: its residents are a row of their own, exact; the council's shares add up to 100 %."""
    rows, _ = shared_population("sundhedsraad-hovedstaden", "2024M04", imported_data_dir)
    by = rows.set_index("other_id")
    frb = by.loc["hovedstaden-byen#hele"]
    assert frb["other_name"] == "Sundhedsklynge Byen: Frederiksberg Kommune"
    raw = _raw_folk1am(population_dir, "2024M04")
    council = raw["København"] + raw["Frederiksberg"] + raw["Bornholm"]
    assert int(frb["population"]) == raw["Frederiksberg"]
    assert frb["own_share"] == pytest.approx(raw["Frederiksberg"] / council)
    assert rows["own_share"].sum() == pytest.approx(1.0)  # København (not allocated) + Frederiksberg + Bornholm
    seen = _text(section(registry.cluster("sundhedsraad-hovedstaden"), "2024M04", imported_data_dir))
    assert f"{raw['Frederiksberg']:,}".replace(",", ".") in seen


def test_a_small_shared_population_is_never_shown(monkeypatch):
    """Constructed crosswalk: a council sharing 3 residents with one cluster (primary) and so a second cell."""
    constructed = pd.DataFrame({
        "from_division": "sundhedsklynger-2022", "to_division": "sundhedsraad-2027",
        "period": pd.Period("2024-04", "M"), "from_cluster_id": ["a", "b", "c"],
        "from_cluster_name": ["Klynge A", "Klynge B", "Klynge C"], "to_cluster_id": COUNCIL,
        "to_cluster_name": "Sundhedsråd Limfjorden", "municipality_codes": ["0851", "0849", "0773"],
        "population": pd.array([3, 700, 20_000], dtype="Int64"), "share_of_from": [1.0, 1.0, 1.0],
        "share_of_to": [3 / 20703, 700 / 20703, 20000 / 20703], "complete": True, "note_da": "",
    })
    import klyngedata.crosswalks as cwmod

    monkeypatch.setattr(cwmod, "crosswalk", lambda *a, **k: constructed)
    rows, _ = shared_population(COUNCIL)
    shown = dict(zip(rows["other_name"], rows["display"], strict=True))
    assert shown == {"Klynge C": "20.000", "Klynge B": "x", "Klynge A": "<5"}
    assert rows.loc[rows["other_name"] == "Klynge A", "own_share"].isna().all()
    html = section(registry.cluster(COUNCIL))
    row_a = re.search(r"<tr><td>Klynge A</td>.*?</tr>", html).group(0)
    assert _text(row_a) == "Klynge A Aalborg &lt;5 – –"  # neither the count nor a share built on it


# --------------------------------------------------------------------------------------------------
# index grouped by division
# --------------------------------------------------------------------------------------------------
@dataclass
class _Result:  # the fields update_index reads from a ReportResult
    cluster_id: str
    notebook: str
    html_path: Path
    recorded: dict
    ok: bool = True
    generated_at: str = "2027-01-02T09:00:00+00:00"
    pdf_path: Path | None = None


def test_index_groups_reports_by_division_with_danish_names(tmp_path, today_at):
    today_at("2027-01-02")
    results = []
    for cid, name, div in [(CLUSTER, "Klynge Nord", "sundhedsklynger-2022"),
                           (COUNCIL, "Sundhedsråd Limfjorden", "sundhedsraad-2027"),
                           ("sundhedsraad-vendsyssel", "Sundhedsråd Vendsyssel", "sundhedsraad-2027")]:
        for nb in ("befolkningsdashboard", "noegletalsrapport"):
            path = tmp_path / f"{cid}-{nb}.html"
            path.write_text("<p>konstrueret</p>", encoding="utf-8")
            results.append(_Result(cid, nb, path, {"cluster_name": name, "region_name": "Region Nordjylland",
                                                   "division": div, "period": "2024M04"}))
    (tmp_path / f"{COUNCIL}-noegletalsrapport.pdf").write_bytes(b"%PDF-1.4 konstrueret")
    page = update_index(tmp_path, results).read_text(encoding="utf-8")
    assert "<h1>Rapporter for sundhedsrådene og sundhedsklyngerne</h1>" in page
    councils, clusters = page.split("<h2>Sundhedsklynger (sundhedsloven § 203)</h2>")
    assert "<h2>Sundhedsråd (fra 1. januar 2027)</h2>" in councils  # today's division first
    assert "Gælder fra 1. januar 2027. 2 sundhedsråd." in councils and "<th>Sundhedsråd</th>" in councils
    assert "Gjaldt 1. juli 2022 – 31. december 2026 (ophørt). 1 sundhedsklynge." in clusters
    assert "<th>Sundhedsklynge</th>" in clusters and "Klynge Nord" in clusters and "Sundhedsråd" not in clusters
    assert len(re.findall(r"<tr><td>", councils)) == 2 and len(re.findall(r"<tr><td>", clusters)) == 1
    assert f'href="{COUNCIL}-noegletalsrapport.pdf"' in councils  # the PDF links stay
    assert "sundhedsraad-2027" not in page and "sundhedsklynger-2022" not in page  # names, never division ids


# --------------------------------------------------------------------------------------------------
# `klyngedata report --all` in 2027: every council, two reports each, council words (no kernels here: the
# notebook step is replaced by the report object's own blocks; real notebooks: test_e2e_wording.py)
# --------------------------------------------------------------------------------------------------
def _blocks_only(cluster_id, notebook, *, out_dir, parameters, **_):
    """Stands in for a notebook run: writes the report object's own heading, text and governance blocks."""
    import klyngedata.reports.runner as runner

    r = ClusterReport(parameters["cluster"], division=parameters["division"], report=True)
    body = (r.heading("{Klyngens} organisering").data + "\n" + r.text("Nøgletal for {sundhedsklyngen}").data
            + r.governance().data)
    path = Path(out_dir) / f"{cluster_id}-{notebook}.html"
    path.write_text(body, encoding="utf-8")
    return runner.ReportResult(cluster_id, notebook, ok=True, html_path=path, generated_at="2027-01-02T09:00",
                               recorded={"cluster_name": r.cluster.name, "division": r.division,
                                         "region_name": r.cluster.region_name, "period": "2024M04"})


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_report_all_after_new_year_writes_every_councils_two_reports_in_council_words(tmp_path, monkeypatch,
                                                                                        today_at):
    from click.testing import CliRunner

    import klyngedata.reports.runner as runner
    from klyngedata.cli import main

    monkeypatch.setattr(runner, "run_one", _blocks_only)
    monkeypatch.setattr(runner, "_warm_cache", lambda *a: [])
    today_at("2027-01-02")
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", "--all", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "34 of 34 reports written" in result.output and "units: 17 sundhedsråd (sundhedsraad-2027)" in result.output
    councils = kd.clusters("sundhedsraad-2027")
    expected = {f"{c}-{nb}.html" for c in councils["cluster_id"] for nb in ("befolkningsdashboard",
                                                                             "noegletalsrapport")}
    assert {p.name for p in out.glob("*.html")} - {"index.html"} == expected
    for c in councils.itertuples():
        text = _text((out / f"{c.cluster_id}-noegletalsrapport.html").read_text(encoding="utf-8"))
        assert text.startswith("## Rådets organisering Nøgletal for sundhedsrådet")
        comp = registry.composition(c.cluster_id)
        assert f"{c.name} har {comp['regional'] + comp['municipal']} medlemmer" in text
        assert not re.search(r"\b[Kk]lyngens?\b|\bsundhedsklyngen\b", text)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h2>Sundhedsråd (fra 1. januar 2027)</h2>" in index and "17 sundhedsråd." in index
    assert "Sundhedsklynger (sundhedsloven" not in index


@pytest.mark.e2e  # runs notebooks in Jupyter kernels
def test_weekly_report_all_across_new_year_never_leaves_a_mixed_set(tmp_path, monkeypatch, today_at):
    """The cron recipe: `report --all` into the same folder on 2026-12-29 and again on 2027-01-05. Nothing of
    last week's cluster reports is overwritten by a council; each unit's two reports come from the same run and
    speak of the same kind of unit; the index shows the two divisions apart (the clusters marked as ended)."""
    from click.testing import CliRunner

    import klyngedata.reports.runner as runner
    from klyngedata.cli import main
    from klyngedata.reports.index import read_manifest

    monkeypatch.setattr(runner, "run_one", _blocks_only)
    monkeypatch.setattr(runner, "_warm_cache", lambda *a: [])
    out = tmp_path / "reports"
    for day, expected in (("2026-12-29", "44 of 44 reports written"), ("2027-01-05", "34 of 34 reports written")):
        today_at(day)
        result = CliRunner().invoke(main, ["report", "--all", "--out", str(out), "--no-progress"])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    clusters, councils = kd.clusters("sundhedsklynger-2022"), kd.clusters("sundhedsraad-2027")
    assert not set(clusters["cluster_id"]) & set(councils["cluster_id"])  # ids unique across divisions
    manifest = read_manifest(out)
    assert len(manifest) == 2 * (22 + 17)
    for cid, division, word in [*((c, "sundhedsklynger-2022", "Klyngens organisering") for c in clusters["cluster_id"]),
                                *((c, "sundhedsraad-2027", "Rådets organisering") for c in councils["cluster_id"])]:
        for nb in ("befolkningsdashboard", "noegletalsrapport"):
            entry = manifest[f"{cid}-{nb}.html"]
            assert entry["division"] == division, (cid, nb)
            text = _text((out / f"{cid}-{nb}.html").read_text(encoding="utf-8"))
            assert text.startswith(f"## {word}"), (cid, nb, text[:60])
    index = (out / "index.html").read_text(encoding="utf-8")
    first, second = index.split("<h2>Sundhedsklynger (sundhedsloven § 203)</h2>")
    assert "<h2>Sundhedsråd (fra 1. januar 2027)</h2>" in first and "17 sundhedsråd." in first
    assert "(ophørt). 22 sundhedsklynger." in second
    assert len(re.findall(r"<tr><td>", first)) == 17 and len(re.findall(r"<tr><td>", second)) == 22
    assert "Klynge Nord" in second and "Klynge Nord" not in first
    assert "Sundhedsråd Fyn" in first and "Sundhedsråd Fyn" not in second


def test_council_in_the_former_hovedstaden_and_sjaelland_names_region_oestdanmark(today_at):
    """Issue 9: a council's region is Region Østdanmark (never Hovedstaden/Sjælland), in the header and in
    its composition; no placeholder dashes where the hospital or region should be."""
    today_at("2027-01-02")
    for cid in ("sundhedsraad-midt-og-vestsjaelland", "sundhedsraad-hovedstaden"):
        r = ClusterReport(cid, report=True)
        header = _text(r.header().data)
        assert "Region Region Østdanmark" in header, header
        assert not re.search(r"Akuthospital(?:er)? –|Region –", header)
        assert "Akuthospital" in header and "ikke registreret" not in header
        assert not re.search(r"\b[Kk]lyngens?\b|\bsundhedsklyngen\b", header.split("Afløser")[0])
        comp = _text(r.governance().data)
        assert "udpeget af regionsrådet i Region Østdanmark" in comp and "Regionsrådet i Region Østdanmark" in comp
        assert "Region Hovedstaden" not in comp and "Region Sjælland" not in comp
