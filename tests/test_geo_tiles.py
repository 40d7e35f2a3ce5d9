"""Tile-map layout: sourced locations, one tile each, neighbours stay near each other."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from klyngedata import registry
from klyngedata.geo.boundaries import read_boundaries
from klyngedata.geo.tiles import municipality_locations, tile_layout


def test_locations_cover_the_98_municipalities_with_sources() -> None:
    loc = municipality_locations()
    assert len(loc) == 98
    assert set(loc.municipality_code) == set(registry.municipalities().municipality_code)
    assert loc.source.str.len().gt(20).all()
    assert (loc.location_kind != "municipality point").sum() == 1  # København: main town, said so


def test_locations_lie_in_their_own_municipality(shared_data: Path) -> None:
    import geopandas as gpd

    kommuner = read_boundaries(shared_data / "geo" / "kommuner.geojson").set_index("code")
    loc = municipality_locations()
    pts = gpd.GeoSeries(gpd.points_from_xy(loc.lon, loc.lat), crs=4326).to_crs(25832)
    inside = [kommuner.geometry[c].buffer(100).contains(p) for c, p in zip(loc.municipality_code, pts, strict=True)]
    assert all(inside), [c for c, ok in zip(loc.municipality_code, inside, strict=True) if not ok]


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_one_distinct_tile_each(shape: str) -> None:
    t = tile_layout(shape=shape)
    assert len(t) == 98 and t.municipality_code.is_unique
    assert not t[["col", "row"]].duplicated().any()
    assert not t[["x", "y"]].round(6).duplicated().any()
    by = t.set_index("municipality_code")
    assert by.loc["0400", "x"] == t.x.max()  # Bornholm easternmost
    assert by.loc["0813", "y"] == t.y.max() or by.loc["0860", "y"] == t.y.max()  # Vendsyssel on top
    assert by.loc["0101", "x"] > by.loc["0751", "x"] > by.loc["0561", "x"]  # København > Aarhus > Esbjerg


@pytest.mark.parametrize("shape,adjacent", [("square", 1.5), ("hex", 1.01)])
def test_neighbours_stay_near(shared_data: Path, shape: str, adjacent: float) -> None:
    kommuner = read_boundaries(shared_data / "geo" / "kommuner.geojson").set_index("code")
    t = tile_layout(shape=shape).set_index("municipality_code")
    codes = list(t.index)
    grown = kommuner.geometry[codes].buffer(200)  # land neighbours (and across narrow straits)
    pairs = [(a, b) for a, b in itertools.combinations(codes, 2) if grown[a].intersects(grown[b])]
    assert len(pairs) > 150
    xy = t[["x", "y"]]
    dist = np.array([np.hypot(*(xy.loc[a] - xy.loc[b])) for a, b in pairs])
    share_adjacent = float((dist <= adjacent).mean())
    assert share_adjacent >= 0.6, share_adjacent
    assert dist.mean() < 1.6
    # far better than a random placement on the same cells
    rng = np.random.default_rng(0)
    perm = dict(zip(codes, rng.permutation(codes), strict=True))
    rand = np.array([np.hypot(*(xy.loc[perm[a]] - xy.loc[perm[b]])) for a, b in pairs])
    assert dist.mean() < rand.mean() / 2.5


def test_bad_shape() -> None:
    with pytest.raises(ValueError):
        tile_layout(shape="triangle")


def test_greedy_fallback_without_scipy(shared_data: Path, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import fails -> greedy assignment
    t = tile_layout().set_index("municipality_code")
    assert len(t) == 98 and not t[["col", "row"]].duplicated().any()
    kommuner = read_boundaries(shared_data / "geo" / "kommuner.geojson").set_index("code")
    grown = kommuner.geometry[list(t.index)].buffer(200)
    pairs = [(a, b) for a, b in itertools.combinations(t.index, 2) if grown[a].intersects(grown[b])]
    dist = np.array([np.hypot(t.loc[a, "x"] - t.loc[b, "x"], t.loc[a, "y"] - t.loc[b, "y"]) for a, b in pairs])
    assert dist.mean() < 2.5
