"""Crosswalk between divisions with the population each pair of units shares (real FOLK1AM data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import klyngedata as kd
from klyngedata import registry
from klyngedata.cli import main
from klyngedata.importing import import_file

OLD, NEW = "sundhedsklynger-2022", "sundhedsraad-2027"


@pytest.fixture(scope="module")
def cw(imported_data_dir) -> pd.DataFrame:
    with pytest.warns(Warning):  # København has no bydel population in the shared data (said, not guessed)
        kd.population("cluster", division=OLD, period="2024M01", data_dir=imported_data_dir)
    return kd.crosswalk(OLD, NEW, population=True, period="2024M01", data_dir=imported_data_dir)


def test_limfjorden_is_klynge_midt_syd_and_vest_with_shares_summing_to_one(cw, imported_data_dir):
    lim = cw[cw["to_cluster_id"] == "sundhedsraad-limfjorden"]
    assert lim["from_cluster_name"].tolist() == ["Klynge Midt", "Klynge Syd", "Klynge Vest"]
    assert lim["share_of_to"].sum() == pytest.approx(1.0)
    assert (lim["share_of_from"] == 1.0).all() and lim["complete"].all()
    pop = kd.population("cluster", division=NEW, period="2024M01", data_dir=imported_data_dir)
    assert lim["population"].sum() == pop.set_index("entity_id").loc["sundhedsraad-limfjorden", "population"]
    midt = lim.set_index("from_cluster_id").loc["nordjylland-midt"]
    mun = kd.population("municipality", period="2024M01", data_dir=imported_data_dir).set_index("entity_id")
    assert midt["population"] == mun.loc["0851", "population"] + mun.loc["0849", "population"]  # Aalborg+Jammerbugt
    assert midt["share_of_to"] == pytest.approx(midt["population"] / lim["population"].sum())


def test_every_pair_sharing_residents_is_listed(cw):
    structure = registry.crosswalk(OLD, NEW)
    pairs = set(zip(structure["from_cluster_id"], structure["to_cluster_id"], strict=True))
    listed = set(zip(cw["from_cluster_id"], cw["to_cluster_id"], strict=True))
    assert listed - pairs == {("0101:ikke-fordelt", "sundhedsraad-hovedstaden")} and pairs <= listed
    assert len(cw) == 24


def test_kobenhavn_without_bydel_data_is_said_not_guessed(cw):
    rest = cw[cw["from_cluster_id"] == "0101:ikke-fordelt"].iloc[0]
    assert rest["to_cluster_id"] == "sundhedsraad-hovedstaden" and not rest["complete"]
    assert "ikke fordelt" in rest["from_cluster_name"]
    for cid in ("hovedstaden-byen", "hovedstaden-syd"):
        pair = cw[(cw.from_cluster_id == cid) & (cw.to_cluster_id == "sundhedsraad-hovedstaden")].iloc[0]
        assert pd.isna(pair["population"]) and not pair["complete"] and "bydel" in pair["note_da"]
    # Byen lies wholly in Sundhedsråd Hovedstaden: share 1 whatever the population (no guess)
    byen = cw[(cw.from_cluster_id == "hovedstaden-byen")].iloc[0]
    assert byen["share_of_from"] == 1.0 and pd.isna(byen["share_of_to"])
    syd = cw[(cw.from_cluster_id == "hovedstaden-syd") & (cw.to_cluster_id == "sundhedsraad-amager-og-vestegnen")]
    assert syd["complete"].item() and pd.isna(syd["share_of_from"].item()) and syd["share_of_to"].item() == 1.0


def test_kobenhavn_with_bydel_data_is_split_exactly(tmp_path: Path, population_dir: Path):
    d = tmp_path / "d"
    import_file(population_dir, data_dir=d)
    mun = kd.population("municipality", period="2024M01", data_dir=d).set_index("entity_id")["population"]
    units = registry.membership(OLD)
    units = units[units["municipality_code"] == "0101"][["unit_code", "cluster_id"]].reset_index(drop=True)
    # constructed example: invented bydel counts for 2024M01 that add up to København's real total
    counts = [1000 + 10 * i for i in range(len(units) - 1)]
    counts.append(int(mun["0101"]) - sum(counts))
    rows = [f"0101,bydel,{u},2024M01,{n}" for u, n in zip(units["unit_code"], counts, strict=True)]
    (tmp_path / "units.csv").write_text("municipality_code,unit_type,unit_code,period,population\n"
                                        + "\n".join(rows) + "\n", encoding="utf-8")
    import_file(tmp_path / "units.csv", data_dir=d)
    cw = kd.crosswalk(OLD, NEW, population=True, period="2024M01", data_dir=d)
    assert cw["complete"].all() and not cw["from_cluster_id"].str.contains("ikke-fordelt").any()
    hov = cw[cw["to_cluster_id"] == "sundhedsraad-hovedstaden"].set_index("from_cluster_id")
    assert set(hov.index) == {"hovedstaden-byen", "hovedstaden-syd", "hovedstaden-bornholm"}
    assert hov["share_of_to"].sum() == pytest.approx(1.0)
    syd_units = units.index[units["cluster_id"] == "hovedstaden-syd"]
    assert hov.loc["hovedstaden-syd", "population"] == sum(counts[i] for i in syd_units)
    assert hov.loc["hovedstaden-byen", "population"] == int(mun["0147"]) + sum(
        counts[i] for i in units.index if i not in syd_units)
    syd = cw[cw["from_cluster_id"] == "hovedstaden-syd"]
    assert syd["share_of_from"].sum() == pytest.approx(1.0)
    # every resident of the 98 municipalities is in exactly one pair (Christiansø belongs to no unit)
    assert cw["population"].sum() == mun.drop("0411").sum()


def test_reverse_direction_and_cli(imported_data_dir):
    back = kd.crosswalk(NEW, OLD, population=True, period="2024M01", data_dir=imported_data_dir)
    lim = back[back["from_cluster_id"] == "sundhedsraad-limfjorden"]
    assert lim["share_of_from"].sum() == pytest.approx(1.0) and (lim["share_of_to"] == 1.0).all()
    result = CliRunner().invoke(main, ["crosswalk", OLD, NEW, "--population", "--period", "2024M01",
                                       "--data-dir", str(imported_data_dir)])
    assert result.exit_code == 0, result.output
    assert "Sundhedsråd Limfjorden" in result.output and "ukendt" in result.output
    assert "Bemærk: København er delt efter bydel" in result.output
    csv_out = CliRunner().invoke(main, ["crosswalk", OLD, NEW, "--population", "--period", "2024M01", "--csv",
                                        "--data-dir", str(imported_data_dir)])
    assert csv_out.output.splitlines()[0].startswith("from_division,to_division,period,from_cluster_id")
