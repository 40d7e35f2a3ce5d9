"""kd.peers: the most similar units of the same division, from the real population files and DST's
municipality groups (kommuner.json) imported through the normal loaders; distances recomputed here."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import klyngedata as kd
from klyngedata.exceptions import DataFormatError, DataNotAvailable
from klyngedata.municipality_groups import municipality_groups, read_municipality_groups
from klyngedata.peers import peer_features

DIVISION = "sundhedsklynger-2022"


@pytest.fixture(scope="module")
def data_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from klyngedata.importing import import_file

    target = tmp_path_factory.mktemp("peers_data")
    import_file(shared_data / "population", data_dir=target)
    res = import_file(shared_data / "indicators" / "kommuner.json", data_dir=target)
    assert res[0].key == "reference/municipality_groups" and res[0].rows == 98
    return target


def test_municipality_groups_read_as_published(shared_data, data_dir):
    raw = json.loads((shared_data / "indicators" / "kommuner.json").read_text(encoding="utf-8"))
    groups = municipality_groups(data_dir).set_index("municipality_code")
    assert len(groups) == 98
    for entry in raw["kommuner"]:
        row = groups.loc[entry["kode"].zfill(4)]
        assert row["group"] == entry["gruppe"]
        assert row["group_name"] == raw["grupper"][str(entry["gruppe"])]


def test_malformed_group_file_is_rejected(tmp_path):
    bad = tmp_path / "groups.json"
    bad.write_text(json.dumps({"grupper": {"1": "A"}, "kommuner": [{"kode": "101", "gruppe": 7}]}), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"kommuner\[0\].*group 7"):
        read_municipality_groups(bad)


def test_peers_of_klynge_vest_are_five_other_clusters_of_the_division(data_dir):
    out = kd.peers("nordjylland-vest", n=5, division=DIVISION, data_dir=data_dir)
    assert len(out) == 5
    clusters = set(kd.clusters(division=DIVISION)["cluster_id"])
    assert set(out["unit_id"]) <= clusters and "nordjylland-vest" not in set(out["unit_id"])
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out["distance"].is_monotonic_increasing
    assert out.attrs["division"] == DIVISION
    assert "kommunegrupper" in out.attrs["method_da"] and "standardiseret" in out.attrs["method_da"]
    # the split København clusters cannot be described without population per bydel: left out, and said
    assert set(out.attrs["excluded"]) == {"hovedstaden-byen", "hovedstaden-syd"}
    assert all("delt" in r for r in out.attrs["excluded"].values())


def test_peer_distance_recomputed_from_the_raw_features(shared_data, data_dir):
    feats = peer_features(DIVISION, data_dir=data_dir)
    assert feats.attrs["growth_years"] == 2  # the population file covers 2021M10-2024M04
    # Klynge Vest's features from the raw file: Morsø + Thisted in 2024M04 and 2022M04
    import csv

    with open(shared_data / "population" / "derived_municipality_population_monthly_2021M10-2024M04.csv",
              encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pop = {(r["municipality_code"], r["period"]): int(r["population"]) for r in rows}
    p1 = pop[("0773", "2024M04")] + pop[("0787", "2024M04")]
    p0 = pop[("0773", "2022M04")] + pop[("0787", "2022M04")]
    vest = feats.loc["nordjylland-vest"]
    assert vest["population"] == p1
    assert vest["log_population"] == pytest.approx(math.log10(p1))
    assert vest["growth_pct"] == pytest.approx(100 * (p1 - p0) / p0)
    assert vest["group_5"] == pytest.approx(100.0)  # Morsø and Thisted are both Landkommuner
    # distance by hand: z-scores over the 20 clusters with all features, group shares weigh 1/5 each
    ok = feats.dropna(subset=["log_population", "growth_pct", "group_1"])
    cols = ["log_population", "growth_pct", "group_1", "group_2", "group_3", "group_4", "group_5"]
    w = np.array([1, 1, 0.2, 0.2, 0.2, 0.2, 0.2])
    x = ok[cols].to_numpy(dtype=float)
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / sd
    i = list(ok.index).index("nordjylland-vest")
    d = np.sqrt(((z - z[i]) ** 2 * w).sum(axis=1) / w.sum())
    order = [ok.index[j] for j in np.argsort(d, kind="stable") if j != i][:5]
    out = kd.peers("nordjylland-vest", n=5, division=DIVISION, data_dir=data_dir, features=feats)
    assert out["unit_id"].tolist() == order
    assert out["distance"].tolist() == pytest.approx(sorted(d[[list(ok.index).index(u) for u in order]]))


def test_peers_without_groups_say_which_features_were_used(shared_data, tmp_path):
    from klyngedata.importing import import_file

    import_file(shared_data / "population", data_dir=tmp_path)
    out = kd.peers("nordjylland-vest", n=3, division=DIVISION, data_dir=tmp_path)
    assert len(out) == 3
    assert out.attrs["features"] == ["log_population", "growth_pct"]
    assert not any("kommunegrupper" in f for f in out.attrs["features_da"])


def test_peers_of_a_cluster_that_cannot_be_described(data_dir):
    with pytest.raises(DataNotAvailable, match="delt"):
        kd.peers("hovedstaden-byen", division=DIVISION, data_dir=data_dir)
