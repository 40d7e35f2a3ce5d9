"""Cluster catchment polygons on the real DAGI files: coverage, region outlines, overlaps, simplification."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from klyngedata import registry
from klyngedata.exceptions import BoundaryError
from klyngedata.geo.boundaries import import_boundaries, read_boundaries
from klyngedata.geo.catchment import (
    WEB_TOLERANCE_M,
    attach_geometry,
    cluster_polygons,
    cluster_web_layer,
    region_polygons,
)

DIVISION = "sundhedsklynger-2022"


@pytest.fixture(scope="module")
def regioner(geo_dir: Path) -> gpd.GeoDataFrame:
    return read_boundaries(geo_dir / "regioner.geojson").set_index("code")


@pytest.fixture(scope="module")
def data_dir(geo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("geo_data")
    import_boundaries(geo_dir / "kommuner.geojson", data_dir=target)
    return target


def _check_layer(clusters: gpd.GeoDataFrame, kommuner: gpd.GeoDataFrame, regioner: gpd.GeoDataFrame,
                 uncovered_max: float) -> None:
    muni = kommuner.set_index("code").geometry
    klynger = clusters[clusters.kind == "klynge"]
    # each cluster polygon covers its member municipalities
    for _, row in klynger.iterrows():
        for code in row.municipality_codes.split(","):
            g = muni[code]
            assert g.difference(row.geometry).area / g.area <= uncovered_max, (row.cluster_id, code)
    # the clusters of a region (with any shared municipality) equal the region outline within 0.5 %
    for code, grp in clusters.groupby("region_code"):
        union = shapely.union_all(grp.geometry.values)
        outline = regioner.geometry[code]
        assert union.symmetric_difference(outline).area / outline.area < 0.005, code
    # overlap between any two features below 0.1 % of the smaller
    for (_, a), (_, b) in itertools.combinations(clusters.iterrows(), 2):
        if a.geometry.intersects(b.geometry):
            overlap = a.geometry.intersection(b.geometry).area
            assert overlap / min(a.geometry.area, b.geometry.area) < 0.001, (a.cluster_id, b.cluster_id)


def test_full_resolution_clusters(kommuner: gpd.GeoDataFrame, regioner: gpd.GeoDataFrame) -> None:
    clusters = cluster_polygons(DIVISION, municipalities=kommuner)
    assert (clusters.kind == "klynge").sum() == 22
    nord = clusters.set_index("cluster_id").loc["nordjylland-nord"]
    assert nord.municipality_codes == "0810,0813,0825,0860"
    assert nord.geometry.area == pytest.approx(
        kommuner.set_index("code").geometry[["0810", "0813", "0825", "0860"]].area.sum(), rel=1e-9)
    _check_layer(clusters, kommuner, regioner, uncovered_max=1e-9)


def test_copenhagen_is_drawn_as_shared_not_split(kommuner: gpd.GeoDataFrame) -> None:
    clusters = cluster_polygons(DIVISION, municipalities=kommuner).set_index("cluster_id")
    delt = clusters[clusters.kind == "delt"]
    assert delt.index.tolist() == ["delt-0101"]
    row = delt.iloc[0]
    assert row.shared_with == "hovedstaden-byen,hovedstaden-syd"
    assert "delt mellem Sundhedsklynge Byen og Sundhedsklynge Syd" in row.label_da
    kbh = kommuner.set_index("code").geometry["0101"]
    assert row.geometry.equals(kbh)  # the whole municipality, no invented line
    assert clusters.loc["hovedstaden-byen", "municipality_codes"] == "0147"  # Frederiksberg only
    assert not clusters.loc["hovedstaden-byen"].geometry.intersects(kbh.buffer(-1))


def test_simplified_layer_keeps_properties(kommuner: gpd.GeoDataFrame, regioner: gpd.GeoDataFrame) -> None:
    full = cluster_polygons(DIVISION, municipalities=kommuner)
    simple = cluster_polygons(DIVISION, municipalities=kommuner, tolerance=WEB_TOLERANCE_M)
    n_full = shapely.get_num_coordinates(full.geometry.values).sum()
    n_simple = shapely.get_num_coordinates(simple.geometry.values).sum()
    assert n_simple < 0.5 * n_full
    assert simple.is_valid.all()
    _check_layer(simple, kommuner, regioner, uncovered_max=0.02)
    # neighbours still share their border: Nord and Midt (Nordjylland) touch along a line, no gap
    s = simple.set_index("cluster_id").geometry
    shared = s["nordjylland-nord"].intersection(s["nordjylland-midt"])
    assert shared.length > 10_000 and shared.area == pytest.approx(0, abs=1.0)
    gap = shapely.union_all([s["nordjylland-nord"], s["nordjylland-midt"]])
    assert gap.area == pytest.approx(s["nordjylland-nord"].area + s["nordjylland-midt"].area, rel=1e-9)


def test_web_layer_is_small_geojson(kommuner: gpd.GeoDataFrame) -> None:
    text = cluster_web_layer(DIVISION, municipalities=kommuner)
    size = len(text.encode("utf-8"))
    assert size <= 300_000, size
    fc = json.loads(text)
    ids = [f["id"] for f in fc["features"]]
    assert len(ids) == 23 and "delt-0101" in ids and "syddanmark-fyn" in ids
    minx, miny, maxx, maxy = shapely.union_all(
        [shapely.from_geojson(json.dumps(f["geometry"])) for f in fc["features"]]).bounds
    assert 8 < minx < maxx < 16 and 54 < miny < maxy < 58  # lon/lat (EPSG:4326)


def test_split_along_parishes_when_unit_geometry_exists(geo_dir: Path, kommuner: gpd.GeoDataFrame) -> None:
    # CONSTRUCTED_MEMBERSHIP: a constructed example, not a real division – Læsø (0825) split along
    # its parishes between two made-up clusters, to exercise the unit-split path on real parish polygons.
    sogne = read_boundaries(geo_dir / "sogne.topojson")
    laesoe = kommuner.set_index("code").geometry["0825"]
    inside = sogne[sogne.geometry.representative_point().within(laesoe)].sort_values("code")
    assert len(inside) >= 2
    half = len(inside) // 2
    rows = []
    for cid, part in (("constructed-a", inside.iloc[:half]), ("constructed-b", inside.iloc[half:])):
        for code, name in zip(part.code, part.name, strict=True):
            rows.append({"division": "constructed", "cluster_id": cid, "cluster_name": f"Konstrueret {cid[-1]}",
                         "region_code": "1081", "municipality_code": "0825", "allocation": "unit",
                         "unit_type": "sogn", "unit_code": code, "unit_name": name, "share": pd.NA})
    rows.append({"division": "constructed", "cluster_id": "constructed-a", "cluster_name": "Konstrueret a",
                 "region_code": "1081", "municipality_code": "0813", "allocation": "whole",
                 "unit_type": pd.NA, "unit_code": pd.NA, "unit_name": pd.NA, "share": 1.0})
    CONSTRUCTED_MEMBERSHIP = pd.DataFrame(rows)
    out = cluster_polygons(municipalities=kommuner, membership=CONSTRUCTED_MEMBERSHIP,
                           unit_layers={"sogn": sogne}).set_index("cluster_id")
    assert (out.kind == "klynge").all()  # split along real parish lines: nothing drawn as shared
    a, b = out.geometry["constructed-a"], out.geometry["constructed-b"]
    assert a.intersection(b).area < 1e-6 * laesoe.area
    laesoe_part = a.intersection(laesoe).area + b.area
    assert laesoe_part == pytest.approx(laesoe.area, rel=0.005)
    # without the parish layer the same membership is drawn as shared
    shared = cluster_polygons(municipalities=kommuner, membership=CONSTRUCTED_MEMBERSHIP,
                              unit_layers={})
    assert "delt-0825" in set(shared.cluster_id)


def test_attach_geometry_levels(data_dir: Path) -> None:
    cl = attach_geometry(registry.clusters(DIVISION), "cluster", data_dir=data_dir)
    assert isinstance(cl, gpd.GeoDataFrame) and cl.crs.to_epsg() == 25832 and len(cl) == 22
    assert not cl.geometry.is_empty.any()
    assert cl.attrs["shared"] == {"hovedstaden-byen": "0101", "hovedstaden-syd": "0101"}
    incl = attach_geometry(registry.clusters(DIVISION), "cluster", data_dir=data_dir, shared="include")
    byen = incl.set_index("cluster_id").geometry["hovedstaden-byen"]
    assert byen.area > cl.set_index("cluster_id").geometry["hovedstaden-byen"].area * 5
    tidy = pd.DataFrame({"entity_id": ["851", "0101", "9999"], "value": [1, 2, 3]})
    muni = attach_geometry(tidy, "municipality", data_dir=data_dir, crs=4326)
    assert muni.crs.to_epsg() == 4326 and muni.geometry.is_empty.tolist() == [False, False, True]
    reg = attach_geometry(pd.DataFrame({"entity_id": ["1081", "081"]}), "region", data_dir=data_dir)
    assert reg.geometry.iloc[0].equals(reg.geometry.iloc[1])
    dk = attach_geometry(pd.DataFrame({"entity_id": ["DK"]}), "country", data_dir=data_dir)
    assert dk.geometry.area.iloc[0] == pytest.approx(reg_total(data_dir), rel=1e-6)


def reg_total(data_dir: Path) -> float:
    return float(region_polygons(data_dir).area.sum())


def test_attach_geometry_without_boundaries_raises(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DATAFORDELER_API_KEY", raising=False)
    with pytest.raises(BoundaryError, match="klyngedata data import"):
        attach_geometry(pd.DataFrame({"entity_id": ["0851"]}), "kommune", data_dir=tmp_path)


def test_population_and_clusters_with_geometry(shared_data: Path, geo_dir: Path, tmp_path: Path) -> None:
    import warnings

    import klyngedata
    from klyngedata.importing import import_file

    import_file(shared_data / "population", data_dir=tmp_path)
    import_file(geo_dir / "kommuner.geojson", data_dir=tmp_path)
    cl = klyngedata.clusters(DIVISION, geometry=True, data_dir=tmp_path)
    assert isinstance(cl, gpd.GeoDataFrame) and "cluster_id" in cl.columns and not cl.geometry.is_empty.any()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # København's unallocated population is reported, not guessed
        muni = klyngedata.population(level="municipality", geometry=True, data_dir=tmp_path)
        per_cluster = klyngedata.population(level="cluster", geometry=True, data_dir=tmp_path)
    assert isinstance(muni, gpd.GeoDataFrame)
    assert muni.loc[muni.geometry.is_empty, "entity_id"].tolist() == ["0411"]  # Christiansø has no polygon
    by_id = per_cluster.set_index("entity_id")
    kbh = read_boundaries(geo_dir / "kommuner.geojson").set_index("code").geometry["0101"]
    assert by_id.geometry["0101:ikke-fordelt"].equals(kbh)
    assert not by_id.geometry[by_id["is_cluster"].astype(bool)].is_empty.any()
