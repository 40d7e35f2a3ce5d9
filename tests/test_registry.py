"""Registry facts (from the commissions in shared/seeds) and validation of the registry files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import klyngedata as kd
from klyngedata import registry
from klyngedata.exceptions import LookupFailed, RegistryError

NORD = ["0810", "0813", "0825", "0860"]  # Brønderslev, Frederikshavn, Læsø, Hjørring (seeds 000-004)


# ---- facts from the seeds ------------------------------------------------------------------------
@pytest.mark.parametrize("division", ["klyngestyregrupper-2019", "sundhedsklynger-2022"])
def test_nordjylland_clusters_match_the_commissions(division):
    expected = {
        "nordjylland-nord": {"Hjørring", "Brønderslev", "Frederikshavn", "Læsø"},
        "nordjylland-midt": {"Aalborg", "Jammerbugt"},
        "nordjylland-syd": {"Vesthimmerlands", "Rebild", "Mariagerfjord"},
        "nordjylland-vest": {"Morsø", "Thisted"},
    }
    cl = kd.clusters(division=division, region="Nordjylland")
    # ids are unique across divisions: the 2019 steering groups are "styregruppe-nordjylland-nord" etc.
    assert {r.cluster_id.removeprefix("styregruppe-"): set(r.municipalities) for r in cl.itertuples()} == expected
    assert cl["verified"].all()


def test_klynge_nord_hospital_and_members():
    c = kd.cluster("nordjylland-nord")
    assert c.municipality_codes == NORD
    assert c.hospitals["name"].tolist() == ["Regionshospital Nordjylland"]
    assert c.region_code == "1081"
    assert kd.cluster("Klynge Nord", region="Nordjylland").id == "nordjylland-nord"


def test_syddanmark_has_its_four_clusters():
    cl = kd.clusters(division="sundhedsklynger-2022", region="Region Syddanmark")
    assert set(cl["short_name"]) == {"Fyn", "Lillebælt", "Sønderjylland", "Sydvestjylland"}


def test_2022_division_covers_all_98_municipalities_once():
    m = kd.membership("sundhedsklynger-2022")
    assert m["municipality_code"].nunique() == 98
    whole = m[m["allocation"] == "whole"]
    assert not whole["municipality_code"].duplicated().any()
    assert len(kd.clusters("sundhedsklynger-2022")) == 22


def test_kobenhavn_is_split_by_bydel_between_byen_and_syd():
    m = kd.membership("sundhedsklynger-2022")
    kbh = m[m["municipality_code"] == "0101"]
    assert set(kbh["allocation"]) == {"unit"}
    assert set(kbh["unit_type"]) == {"bydel"}
    assert set(kbh["cluster_id"]) == {"hovedstaden-byen", "hovedstaden-syd"}
    assert kbh["share"].isna().all()  # shares follow from bydel population, never hard-coded
    assert set(kbh.loc[kbh.cluster_id == "hovedstaden-byen", "unit_name"]) == {
        "Bispebjerg", "Brønshøj-Husum", "Indre By", "Nørrebro", "Vanløse", "Østerbro"}


def test_unconfirmed_memberships_are_flagged():
    m = kd.membership("sundhedsklynger-2022")
    assert not m.loc[m.municipality_code == "0230", "verified"].item()  # Rudersdal: conflicting sources
    assert not m.loc[m.municipality_code == "0410", "verified"].item()  # Middelfart: 2019 proposal only
    assert m.loc[m.municipality_code == "0851", "verified"].item()  # Aalborg: seed


@pytest.mark.parametrize("cluster_id, n_municipalities", [
    ("nordjylland-nord", 4), ("nordjylland-midt", 2), ("nordjylland-syd", 3), ("nordjylland-vest", 2)])
def test_political_level_seats_for_every_nordjylland_cluster(cluster_id, n_municipalities):
    s = kd.seats(cluster_id, "politisk")
    mayors = s[s.role_id == "borgmester"]
    assert len(mayors) == n_municipalities and (mayors["count_min"] == 1).all()
    assert mayors["municipality_code"].tolist() == kd.cluster(cluster_id).municipality_codes
    region = s[s.role_id == "regionsraadsmedlem"].iloc[0]
    assert region["count_min"] == 2 and pd.isna(region["count_max"])  # "mindst 2 ... herunder formanden"
    plo = s[s.role_id == "almen-praksis"].iloc[0]
    assert (plo["count_min"], plo["count_max"], plo["appointed_by"]) == (2, 2, "PLO-Nordjylland")
    assert s[s.role_id == "udvalgsformand"]["observer"].all()
    assert int(s.loc[~s.observer, "count_min"].sum()) == n_municipalities + 4
    assert kd.levels(cluster_id).set_index("level").loc["politisk", "meetings_min_per_year"] == 2


def test_professional_levels_kept_apart_by_region():
    nord = kd.seats("nordjylland-nord", "fagligt-strategisk")
    fyn = kd.seats("syddanmark-fyn", "fagligt strategisk")
    assert "regional-direktoer" in set(nord.role_id) and "regional-direktoer" not in set(fyn.role_id)
    assert {"somatisk-sygehus", "psykiatrisygehus", "regionshuset"} <= set(fyn.role_id)
    assert (fyn.role_id == "kommune-direktoer").sum() == len(kd.cluster("syddanmark-fyn").municipality_codes)
    assert kd.levels("syddanmark-fyn").set_index("level").loc["fagligt-strategisk", "meetings_min_per_year"] == 4
    with pytest.raises(LookupFailed, match="No commission for level 'politisk'"):
        kd.seats("syddanmark-fyn", "politisk")


def test_2019_steering_group_seats():
    s = kd.seats(kd.cluster("nordjylland-syd", division="klyngestyregrupper-2019"), "klyngestyregruppe")
    plo = s[s.role_id == "plo"].iloc[0]
    assert (plo["count_min"], plo["count_max"]) == (1, 2)
    lev = kd.levels("nordjylland-syd", division="klyngestyregrupper-2019").iloc[0]
    assert (lev["meetings_min_per_year"], lev["meetings_max_per_year"]) == (2, 4)


# ---- lookups ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [851, "851", "0851", "Aalborg", "aalborg kommune", "AALBORG"])
def test_municipality_lookup_by_code_and_name(key):
    assert kd.municipality(key).code == "0851"


@pytest.mark.parametrize("key", ["Morsø", "Morso", "morsø kommune", "Morsoe", "MORSØ Kommune"])
def test_municipality_lookup_tolerates_danish_letters(key):
    assert kd.municipality(key).code == "0773"


@pytest.mark.parametrize("key, code", [("Høje Taastrup", "0169"), ("Vesthimmerland", "0820"),
                                       ("Nordfyn", "0480"), ("Københavns Kommune", "0101"),
                                       ("Aeroe", "0492"), ("Bornholms Regionskommune", "0400")])
def test_municipality_name_variants(key, code):
    assert kd.municipality(key).code == code


def test_unknown_municipality_lists_closest_names():
    with pytest.raises(LookupFailed) as exc:
        kd.municipality("Aalborgg")
    assert "Aalborg" in exc.value.candidates
    with pytest.raises(LookupFailed):
        kd.municipality(999)


def test_ambiguous_cluster_name_lists_candidates():
    with pytest.raises(LookupFailed) as exc:
        kd.cluster("Nord")
    assert any("nordjylland-nord" in c for c in exc.value.candidates)
    assert any("hovedstaden-nord" in c for c in exc.value.candidates)


def test_default_division_follows_the_date():
    assert registry.resolve_division(date="2020-06-01") == "klyngestyregrupper-2019"
    assert registry.resolve_division(date="2023-01-01") == "sundhedsklynger-2022"
    assert registry.resolve_division(date="2027-03-01") == "sundhedsraad-2027"
    # "syddanmark-fyn" names the 2022 cluster; in the 2027 division it is the council's former id
    assert kd.cluster("syddanmark-fyn").name == "Sundhedsklynge Fyn"
    assert kd.cluster("syddanmark-fyn", date="2027-03-01").id == "sundhedsraad-fyn"


def test_crosswalk_2022_to_2027():
    cw = kd.crosswalk("sundhedsklynger-2022", "sundhedsraad-2027")
    mid = cw[cw.municipality_code == "0410"].iloc[0]  # Middelfart: Lillebælt -> Lillebælt (member lists 2026)
    assert (mid.from_cluster_id, mid.to_cluster_id) == ("syddanmark-lillebaelt", "sundhedsraad-lillebaelt")
    kbh = cw[cw.municipality_code == "0101"]
    assert kbh["unit_code"].nunique() == 10  # one row per bydel of the 2022 split ...
    assert set(kbh["to_cluster_id"]) == {"sundhedsraad-hovedstaden"}  # ... all in one council from 2027
    assert cw["to_cluster_id"].notna().all()  # all 17 councils are in the registry
    assert set(cw["municipality_code"]) == set(kd.municipalities()["municipality_code"])


def test_regions_and_successor():
    r = kd.regions().set_index("region_id")
    assert r.loc["sjaelland", "successor_name"] == "Region Østdanmark"
    assert pd.isna(r.loc["oestdanmark", "region_code"])  # no official code found: not invented


# ---- malformed registry files: one case each ---------------------------------------------------------
def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


MALFORMED = [
    ("duplicate municipality", "municipalities.csv", "0147,Frederiksberg", "0101,Frederiksberg",
     r"municipalities\.csv, row 3: duplicate municipality_code 0101"),
    ("unknown region", "municipalities.csv", "0147,Frederiksberg,Frederiksberg,hovedstaden",
     "0147,Frederiksberg,Frederiksberg,hovedstad", r"municipalities\.csv, row 3: unknown region_id 'hovedstad'"),
    ("unknown code in membership", "memberships.csv", "nordjylland-nord,0810", "nordjylland-nord,0999",
     r"memberships\.csv, row \d+: unknown municipality code '0999'"),
    ("municipality in two clusters", "memberships.csv", "nordjylland-midt,0849", "nordjylland-midt,0860",
     r"memberships\.csv, row \d+: duplicate: municipality 0860 belongs to more than one cluster"),
    ("bad share sum", "memberships.csv", "sundhedsklynger-2022,nordjylland-midt,0851,whole,,,,1",
     "sundhedsklynger-2022,nordjylland-midt,0851,share,,,,0.6",
     r"memberships\.csv, row \d+: shares of municipality 0851 in sundhedsklynger-2022 sum to 0\.6"),
    ("unknown hospital", "clusters.csv", "2022,nordjylland-nord,Klynge Nord,Nord,nordjylland,rhn",
     "2022,nordjylland-nord,Klynge Nord,Nord,nordjylland,xyz", r"clusters\.csv, row \d+: unknown hospital_id 'xyz'"),
    ("bad boolean", "clusters.csv", "2022,nordjylland-nord,Klynge Nord,Nord,nordjylland,rhn,,,true",
     "2022,nordjylland-nord,Klynge Nord,Nord,nordjylland,rhn,,,maybe",
     r"clusters\.csv, row \d+: column 'verified' must be true or false"),
    ("id used in two divisions", "clusters.csv", "sundhedsraad-2027,sundhedsraad-fyn,",
     "sundhedsraad-2027,syddanmark-fyn,", r"clusters\.csv, row \d+: duplicate cluster_id 'syddanmark-fyn'"),
    ("inference marked verified", "clusters.csv", "sundhedsraad-vendsyssel,Sundhedsråd Vendsyssel,Vendsyssel,"
     "nordjylland,rhn,,,false,SECONDARY", "sundhedsraad-vendsyssel,Sundhedsråd Vendsyssel,Vendsyssel,"
     "nordjylland,rhn,,,true,SECONDARY", r"clusters\.csv, row \d+: a SECONDARY fact cannot be verified=true"),
    ("council seat outside the council", "council_seats.csv", "sundhedsraad-vendsyssel,kommunalt-medlem,0860",
     "sundhedsraad-vendsyssel,kommunalt-medlem,0851",
     r"council_seats\.csv, row \d+: municipality '0851' is not a member of sundhedsraad-vendsyssel"),
    ("cross-region member", "memberships.csv", "2022,nordjylland-nord,0810", "2022,nordjylland-nord,0101",
     r"memberships\.csv, row \d+: municipality 0101 \(hovedstaden\) cannot belong to cluster nordjylland-nord"),
    ("bad date", "divisions.csv", "2022-07-01", "2022-13-01",
     r"divisions\.csv, row 3: column 'valid_from' is not an ISO date"),
    ("bad count", "seats.csv", "Borgmester/rådmand,true,1,1", "Borgmester/rådmand,true,en,1",
     r"seats\.csv, row \d+: column 'count_min' must be a whole number"),
]


@pytest.mark.parametrize("case, file, old, new, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_registry_file_names_file_row_and_problem(tmp_path, case, file, old, new, message):
    d = tmp_path / "registry_data"
    shutil.copytree(registry.DATA_DIR, d)
    _edit(d / file, old, new)
    with pytest.raises(RegistryError, match=message):
        registry.load_registry(d)


def test_missing_column_and_missing_coverage(tmp_path):
    d = tmp_path / "registry_data"
    shutil.copytree(registry.DATA_DIR, d)
    _edit(d / "hospitals.csv", "coords_verified,", "verified,")
    with pytest.raises(RegistryError, match=r"hospitals\.csv: missing column\(s\): coords_verified"):
        registry.load_registry(d)
    shutil.rmtree(d)
    shutil.copytree(registry.DATA_DIR, d)
    lines = (d / "memberships.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "memberships.csv").write_text("".join(ln for ln in lines if "2022,nordjylland-vest,0773" not in ln),
                                       encoding="utf-8")
    with pytest.raises(RegistryError, match="sundhedsklynger-2022: municipalities without a cluster: 0773"):
        registry.load_registry(d)
