"""The 17 sundhedsråd from 2027-01-01, the corrections to the 2022 clusters, unique ids, versioned regions
and "today" on both sides of the transition.

Expected facts are those of ``shared/reference/sundhedsraad-2027.md`` (compiled 2026-12-01; cited per test as
"reference"), with their confidence tags.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import klyngedata as kd
from klyngedata import clock, registry
from klyngedata.exceptions import LookupFailed

COUNCILS = "sundhedsraad-2027"
CLUSTERS = "sundhedsklynger-2022"

# reference, table "The 17 councils": council -> (regional members, {municipality: municipal seats})
SEATS = {
    "sundhedsraad-vendsyssel": (5, {"Hjørring": 1, "Brønderslev": 1, "Frederikshavn": 1, "Læsø": 1}),
    "sundhedsraad-limfjorden": (9, {"Aalborg": 2, "Jammerbugt": 1, "Mariagerfjord": 1, "Morsø": 1, "Rebild": 1,
                                    "Thisted": 1, "Vesthimmerlands": 1}),
    "sundhedsraad-aarhus": (5, {"Aarhus": 3, "Samsø": 1}),
    "sundhedsraad-horsens": (6, {"Horsens": 2, "Hedensted": 1, "Odder": 1, "Skanderborg": 1}),
    "sundhedsraad-kronjylland": (6, {"Randers": 2, "Favrskov": 1, "Norddjurs": 1, "Syddjurs": 1}),
    "sundhedsraad-midt": (6, {"Viborg": 2, "Silkeborg": 2, "Skive": 1}),
    "sundhedsraad-vestjylland": (8, {"Herning": 2, "Holstebro": 1, "Ikast-Brande": 1, "Lemvig": 1,
                                     "Ringkøbing-Skjern": 1, "Struer": 1}),
    "sundhedsraad-fyn": (11, {"Odense": 2, "Assens": 1, "Faaborg-Midtfyn": 1, "Kerteminde": 1, "Langeland": 1,
                              "Nordfyns": 1, "Nyborg": 1, "Svendborg": 1, "Ærø": 1}),
    "sundhedsraad-lillebaelt": (7, {"Kolding": 2, "Vejle": 2, "Fredericia": 1, "Middelfart": 1}),
    "sundhedsraad-sydvestjylland": (7, {"Esbjerg": 2, "Billund": 1, "Fanø": 1, "Varde": 1, "Vejen": 1}),
    "sundhedsraad-soenderjylland": (5, {"Aabenraa": 1, "Haderslev": 1, "Sønderborg": 1, "Tønder": 1}),
    "sundhedsraad-hovedstaden": (7, {"København": 3, "Frederiksberg": 2, "Bornholm": 1}),
    "sundhedsraad-amager-og-vestegnen": (10, {m: 1 for m in (
        "Albertslund", "Brøndby", "Dragør", "Glostrup", "Hvidovre", "Høje-Taastrup", "Ishøj", "Tårnby",
        "Vallensbæk")}),
    "sundhedsraad-koebenhavns-omegn-nord": (10, {m: 1 for m in (
        "Ballerup", "Egedal", "Furesø", "Gentofte", "Gladsaxe", "Herlev", "Lyngby-Taarbæk", "Rudersdal",
        "Rødovre")}),
    "sundhedsraad-nordsjaelland": (9, {m: 1 for m in (
        "Allerød", "Fredensborg", "Frederikssund", "Gribskov", "Halsnæs", "Helsingør", "Hillerød", "Hørsholm")}),
    "sundhedsraad-oestsjaelland-og-oeerne": (11, {"Faxe": 1, "Greve": 1, "Guldborgsund": 1, "Køge": 1,
                                                  "Lolland": 1, "Roskilde": 2, "Solrød": 1, "Stevns": 1,
                                                  "Vordingborg": 1}),
    "sundhedsraad-midt-og-vestsjaelland": (11, {"Holbæk": 1, "Kalundborg": 1, "Lejre": 1, "Næstved": 2,
                                                "Odsherred": 1, "Ringsted": 1, "Slagelse": 2, "Sorø": 1}),
}


# ---- the councils ------------------------------------------------------------------------------------
def test_seventeen_councils_cover_every_municipality_exactly_once():
    cl = kd.clusters(COUNCILS)
    assert len(cl) == 17 and set(cl["cluster_id"]) == set(SEATS)
    codes = [c for codes in cl["municipality_codes"] for c in codes]
    assert len(codes) == 98 and set(codes) == set(kd.municipalities()["municipality_code"])
    # per region 11 / 19 / 22 / 46 municipalities and 2 / 5 / 4 / 6 councils (reference, "Checks")
    per_region = cl.groupby("region_name").agg(n=("cluster_id", "size"), m=("n_municipalities", "sum"))
    assert per_region.to_dict("index") == {
        "Region Nordjylland": {"n": 2, "m": 11}, "Region Midtjylland": {"n": 5, "m": 19},
        "Region Syddanmark": {"n": 4, "m": 22}, "Region Østdanmark": {"n": 6, "m": 46}}
    assert (cl["hospitals"].map(len) >= 1).all()
    # the 2026 member lists are a journalist's compilation [SECONDARY]; acute hospitals are [INFERENCE]
    assert not cl["verified"].any() and set(cl["tag"]) == {"SECONDARY"}
    assert all(src and "Seed" not in src and "geography.md" not in src for src in cl["source"])


@pytest.mark.parametrize("council_id", sorted(SEATS))
def test_council_seats_are_the_listed_data(council_id):
    regional, municipal = SEATS[council_id]
    s = kd.seats(council_id, "politisk")
    assert int(s.loc[s.role_id == "regionsraadsmedlem", "count_min"].sum()) == regional
    mun = s[s.role_id == "kommunalt-medlem"]
    assert dict(zip(mun["municipality_name"], mun["count_min"].astype(int), strict=True)) == municipal
    comp = registry.composition(council_id)
    # the rule seen in all 17 (regional = municipal + 1) is a check on the data, not how seats are computed
    assert comp["regional_majority_check"] and comp["regional"] == comp["municipal"] + 1
    assert "regionsrådsmedlemmer" in comp["chair_da"] and comp["chair_verified"] is False  # [INFERENCE]
    assert not s["verified"].any()


def test_council_hospitals_are_an_inference_from_the_clusters():
    c = kd.cluster("sundhedsraad-limfjorden")
    assert set(c.hospitals["hospital_id"]) == {"aauh", "aauh-thisted"}
    assert "udledt" in c.source
    assert set(kd.cluster("sundhedsraad-hovedstaden").hospitals["hospital_id"]) == {"bfh", "ahh", "boh"}


def test_working_names_and_council_names_find_the_councils():
    assert kd.cluster("Trekantsområdet").id == "sundhedsraad-lillebaelt"
    assert kd.cluster("Hovedstaden Syd og Vest").id == "sundhedsraad-amager-og-vestegnen"
    assert kd.cluster("hovedstaden nord").id == "sundhedsraad-koebenhavns-omegn-nord"
    assert kd.cluster("Sundhedsråd Limfjorden").id == "sundhedsraad-limfjorden"
    assert kd.cluster("Limfjorden", division=COUNCILS).id == "sundhedsraad-limfjorden"


# ---- conflicts and corrections (reference, "Conflicts" and "Corrections to sundhedsklynger-2022") -------------
def test_middelfart_uses_the_member_lists_and_records_the_conflict():
    """Reference: Middelfart's municipal member sits in Lillebælt in 2026 [SECONDARY]; TV 2 Fyn (2024) had "de
    ti fynske kommuner" in Fyn. Member-list reading, verified=false, both sources cited."""
    m = kd.membership(COUNCILS).set_index("municipality_code")
    assert m.loc["0410", "cluster_id"] == "sundhedsraad-lillebaelt" and not m.loc["0410", "verified"]
    assert "TV 2 Fyn" in m.loc["0410", "source"]
    cf = registry.conflicts(COUNCILS).set_index("municipality_code")
    assert cf.loc["0410", "alternative"] == "sundhedsraad-fyn" and not cf.loc["0410", "verified"]
    # both sources cited: TV 2 Fyn and the member lists (the regions' pages as compiled; issue 24: cited as that)
    assert "TV 2 Fyn" in cf.loc["0410", "sources"] and "rådenes første mødereferater" in cf.loc["0410", "sources"]
    assert "0410" not in kd.cluster("sundhedsraad-fyn").municipality_codes
    # 2022 correction: Middelfart -> Lillebælt [INFERENCE, strong]
    m22 = kd.membership(CLUSTERS).set_index("municipality_code")
    assert m22.loc["0410", "cluster_id"] == "syddanmark-lillebaelt"
    assert (m22.loc["0410", "tag"], bool(m22.loc["0410", "verified"])) == ("INFERENCE", False)
    assert "Sygehus Lillebælt" in m22.loc["0410", "source"]


def test_billund_is_in_sydvestjylland_in_both_divisions():
    """Reference: Billund -> Sydvestjylland [INFERENCE] (2019 proposal; 2026 council membership)."""
    m22 = kd.membership(CLUSTERS).set_index("municipality_code")
    assert m22.loc["0530", "cluster_id"] == "syddanmark-sydvestjylland"
    assert (m22.loc["0530", "tag"], bool(m22.loc["0530", "verified"])) == ("INFERENCE", False)
    m27 = kd.membership(COUNCILS).set_index("municipality_code")
    assert m27.loc["0530", "cluster_id"] == "sundhedsraad-sydvestjylland" and not m27.loc["0530", "verified"]
    assert "0530" in set(registry.conflicts(COUNCILS)["municipality_code"])


def test_rudersdal_is_in_klynge_midt():
    """Reference: Rudersdal -> Midt (Herlev og Gentofte Hospital) [SECONDARY]: the municipal Klynge Midt was
    chaired from Rudersdal; the 2026 council Københavns Omegn Nord contains Rudersdal."""
    m22 = kd.membership(CLUSTERS).set_index("municipality_code")
    assert m22.loc["0230", "cluster_id"] == "hovedstaden-midt"
    assert (m22.loc["0230", "tag"], bool(m22.loc["0230", "verified"])) == ("SECONDARY", False)
    assert "Rudersdal" in m22.loc["0230", "source"]
    assert "0230" in kd.cluster("sundhedsraad-koebenhavns-omegn-nord").municipality_codes
    cf = registry.conflicts(CLUSTERS).set_index("municipality_code")
    assert cf.loc["0230", "alternative"] == "hovedstaden-nord"


# ---- ids: unique across divisions; an id names its division ----------------------------------------------
def test_ids_are_unique_across_divisions_and_name_their_division():
    reg = registry.load_registry()
    assert not reg.clusters["cluster_id"].duplicated().any()
    assert kd.cluster("syddanmark-fyn").division == CLUSTERS
    assert kd.cluster("sundhedsraad-fyn").division == COUNCILS
    assert registry.division_of("styregruppe-nordjylland-nord") == "klyngestyregrupper-2019"
    # the ids used before they were unique still work in their division
    assert kd.cluster("nordjylland-nord", division="klyngestyregrupper-2019").id == "styregruppe-nordjylland-nord"
    assert kd.cluster("oestdanmark-amager-og-vestegnen", division=COUNCILS).id == "sundhedsraad-amager-og-vestegnen"


def test_an_id_asked_for_in_another_division_is_refused_with_its_successors():
    with pytest.raises(LookupFailed, match="unit of division sundhedsklynger-2022") as exc:
        kd.cluster("nordjylland-nord", division=COUNCILS)
    assert any("sundhedsraad-vendsyssel" in c for c in exc.value.candidates)


def test_successors_and_predecessors_follow_the_membership():
    # reference, "Crosswalk 2022 -> 2027"
    assert registry.predecessors("sundhedsraad-limfjorden")["cluster_id"].tolist() == [
        "nordjylland-midt", "nordjylland-syd", "nordjylland-vest"]
    assert registry.successors("nordjylland-nord")["cluster_id"].tolist() == ["sundhedsraad-vendsyssel"]
    assert registry.predecessors("sundhedsraad-hovedstaden")["cluster_id"].tolist() == [
        "hovedstaden-bornholm", "hovedstaden-byen", "hovedstaden-syd"]
    assert registry.successors("hovedstaden-syd")["cluster_id"].tolist() == [
        "sundhedsraad-amager-og-vestegnen", "sundhedsraad-hovedstaden"]
    assert registry.predecessors("sundhedsraad-midt-og-vestsjaelland")["cluster_id"].tolist() == [
        "sjaelland-holbaek", "sjaelland-slagelse"]
    assert registry.successors("sundhedsraad-fyn").empty


# ---- versioned regions ------------------------------------------------------------------------------------
def test_region_oestdanmark_has_no_invented_code():
    r = kd.regions().set_index("region_id")
    assert pd.isna(r.loc["oestdanmark", "region_code"]) and r.loc["oestdanmark", "region_key"] == "oestdanmark"
    assert "Ingen officiel regionskode" in r.loc["oestdanmark", "code_note"]
    assert str(r.loc["oestdanmark", "valid_from"].date()) == "2027-01-01"
    assert kd.regions(date="2026-12-31")["region_key"].tolist() == ["1081", "1082", "1083", "1084", "1085"]
    assert kd.regions(division=COUNCILS)["region_key"].tolist() == ["1081", "1082", "1083", "oestdanmark"]
    assert len(registry.region_municipalities("Østdanmark")) == 29 + 17


def test_municipality_regions_follow_the_date():
    before = registry.municipality_regions(date="2026-12-31")
    after = registry.municipality_regions(date="2027-01-01")
    assert (before["0101"], before["0265"], before["0851"]) == ("1084", "1085", "1081")
    assert (after["0101"], after["0265"], after["0851"]) == ("oestdanmark", "oestdanmark", "1081")
    assert registry.municipality_regions(division=CLUSTERS)["0101"] == "1084"
    # a region that ended still selects its municipalities
    assert len(kd.municipalities(region="Hovedstaden", date="2027-06-01")) == 29


# ---- "today" in one place --------------------------------------------------------------------------------
def test_the_session_clock_is_fixed_and_not_the_wall_clock():
    assert clock.today().isoformat() == "2026-12-15" and clock.is_frozen()


@pytest.mark.parametrize("day, division, n", [("2026-12-15", CLUSTERS, 22), ("2027-01-02", COUNCILS, 17)])
def test_default_division_follows_today(today_at, day, division, n):
    today_at(day)
    assert registry.resolve_division() == division
    assert len(kd.clusters()) == n
    # an id keeps naming its unit on both sides of the date
    assert kd.cluster("nordjylland-nord").division == CLUSTERS
    assert kd.cluster("sundhedsraad-vendsyssel").division == COUNCILS


def test_frozen_clock_context_manager_restores(monkeypatch):
    monkeypatch.delenv(clock.ENV_TODAY, raising=False)
    with clock.frozen("2027-01-02"):
        assert registry.resolve_division() == COUNCILS
        assert clock.now().date().isoformat() == "2027-01-02"
    assert not clock.is_frozen()


# ---- population of the councils (real data) ----------------------------------------------------------------
def _raw_folk1am(population_dir: Path, period: str) -> dict[str, int]:
    """Name -> population for ``period`` read independently from the raw StatBank export (csv module)."""
    path = next(population_dir.glob("dst_FOLK1AM_*.csv"))
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["OMRÅDE"]: int(r["INDHOLD"]) for r in csv.DictReader(f, delimiter=";") if r["TID"] == period}


def test_limfjorden_population_equals_its_seven_municipalities_in_the_raw_file(imported_data_dir, population_dir):
    raw = _raw_folk1am(population_dir, "2024M01")
    members = ["Aalborg", "Jammerbugt", "Mariagerfjord", "Morsø", "Rebild", "Thisted", "Vesthimmerlands"]
    pop = kd.population(level="cluster", division=COUNCILS, period="2024M01", data_dir=imported_data_dir)
    got = pop.set_index("entity_id").loc["sundhedsraad-limfjorden", "population"]
    assert got == sum(raw[m] for m in members)
    # all councils plus the explicit Christiansø row sum to Denmark (Christiansø is in no council)
    assert pop["population"].sum() == raw["Hele landet"]
    assert pop.loc[pop.is_cluster, "entity_id"].nunique() == 17
    outside = pop[~pop.is_cluster].set_index("entity_id")
    assert outside.index.tolist() == ["0411:ingen-klynge"]
    assert outside.loc["0411:ingen-klynge", "population"] == raw["Christiansø"]
    assert "sundhedsråd" in outside.loc["0411:ingen-klynge", "entity_name"]


def test_region_oestdanmark_population_is_the_sum_of_hovedstaden_and_sjaelland(imported_data_dir, population_dir):
    raw = _raw_folk1am(population_dir, "2024M01")
    reg = kd.population(level="region", division=COUNCILS, period="2024M01", data_dir=imported_data_dir)
    reg = reg.set_index("entity_id")["population"]
    assert reg.index.tolist() == ["1081", "1082", "1083", "oestdanmark"]
    assert reg["oestdanmark"] == raw["Region Hovedstaden"] + raw["Region Sjælland"]
    assert reg.sum() == raw["Hele landet"]
    old = kd.population(level="region", division=CLUSTERS, period="2024M01", data_dir=imported_data_dir)
    assert old["entity_id"].tolist() == ["1081", "1082", "1083", "1084", "1085"]


# ---- geometry and maps of the councils -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def boundary_dir(geo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from klyngedata.geo.boundaries import import_boundaries

    target = tmp_path_factory.mktemp("raad_geo")
    import_boundaries(geo_dir / "kommuner.geojson", data_dir=target)
    return target


def test_councils_with_geometry_and_oestdanmark_polygon(boundary_dir, today_at):
    from klyngedata.geo import attach_geometry, region_polygons

    today_at("2027-01-02")
    gdf = kd.clusters(geometry=True, data_dir=boundary_dir)  # failed with "not a region code: nan" before
    assert len(gdf) == 17 and not gdf.geometry.is_empty.any()
    regions = region_polygons(boundary_dir)
    assert regions["code"].tolist() == ["1081", "1082", "1083", "oestdanmark"]
    old = region_polygons(boundary_dir, date="2026-12-31").set_index("code").geometry
    oest = regions.set_index("code").geometry["oestdanmark"]
    assert oest.area == pytest.approx(old["1084"].area + old["1085"].area, rel=1e-9)  # the dissolve of both
    reg = attach_geometry(pd.DataFrame({"entity_id": ["oestdanmark", "1084"]}), "region", data_dir=boundary_dir)
    assert not reg.geometry.is_empty.any() and reg.geometry.iloc[0].area > reg.geometry.iloc[1].area


@pytest.mark.parametrize("day", ["2026-12-15", "2027-01-02"])
def test_cluster_map_on_both_sides(boundary_dir, today_at, day):
    today_at(day)
    fig = kd.cluster_map(data_dir=boundary_dir)
    names = [t.name for t in fig.data]
    if day == "2027-01-02":
        assert "Sundhedsråd Limfjorden" in names and not any("delt" in (n or "") for n in names)
        assert fig.layout.title.text == "Sundhedsråd"
    else:
        assert "Klynge Nord" in names
    hl = kd.cluster_map(highlight="sundhedsraad-hovedstaden", data_dir=boundary_dir)
    assert "øvrige sundhedsråd" in hl.layout.title.text
    hosp = next(t for t in hl.data if t.name == "Akutsygehus")
    assert len(hosp.x) == 9  # Hovedstaden's five and Sjælland's four acute hospitals: Region Østdanmark


def test_key_figures_of_a_2027_unit_compare_with_oestdanmark(imported_data_dir, population_dir):
    raw = _raw_folk1am(population_dir, "2024M01")
    kf = kd.key_figures("sundhedsraad-hovedstaden", period="2024M01", data_dir=imported_data_dir)
    region = kf[kf["entity_level"] == "region"]
    assert set(region["entity_id"]) == {"oestdanmark"} and set(region["entity_name"]) == {"Region Østdanmark"}
    pop = region.set_index("figure_id")["value"]
    pop_id = next(f for f in pop.index if f.startswith("population"))
    assert pop[pop_id] == raw["Region Hovedstaden"] + raw["Region Sjælland"]  # DST counts Christiansø in Hovedstaden
    cl = kf[(kf["entity_level"] == "cluster") & kf["region_value"].notna()]
    assert len(cl)


def test_indicators_of_a_council_and_of_an_ended_cluster_in_2027(shared_data, imported_data_dir, tmp_path, today_at):
    from klyngedata.importing import import_file

    d = tmp_path / "d"
    import_file(shared_data / "population", data_dir=d)
    import_file(shared_data / "indicators" / "sundhed_extra_scores.csv", data_dir=d)
    today_at("2027-01-02")
    council = kd.indicator_figures(cluster="sundhedsraad-hovedstaden", data_dir=d)
    assert set(council["entity_id"]) == {"sundhedsraad-hovedstaden"} and council["region_value"].notna().all()
    region = kd.indicator_figures(level="region", data_dir=d)
    assert "oestdanmark" in set(region["entity_id"]) and "1084" not in set(region["entity_id"])
    old = kd.indicator_figures(cluster="nordjylland-nord", data_dir=d)  # a 2022 id keeps naming its cluster
    assert set(old["entity_id"]) == {"nordjylland-nord"}
