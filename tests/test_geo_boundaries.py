"""Boundary loaders: the real DAGI files as they are, the cache, and the Datafordeler WFS client.

The WFS tests run against a local HTTP server on 127.0.0.1 that replays responses in the WFS GeoJSON
format; its geometries are constructed squares (named CONSTRUCTED_* below), not real boundaries.
"""

from __future__ import annotations

import importlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import geopandas as gpd
import pytest
import shapely

from klyngedata.cache import Cache
from klyngedata.exceptions import BoundaryError

# the package exports the function ``boundaries`` under the submodule's name: fetch the module itself
bmod = importlib.import_module("klyngedata.geo.boundaries")
from klyngedata.geo.boundaries import (  # noqa: E402
    DatafordelerWFS,
    boundaries,
    cached_boundaries,
    import_boundaries,
    normalize_boundaries,
    read_boundaries,
)

# --- real files ---------------------------------------------------------------------------------------


def test_kommuner_file_loads_as_is_and_is_dissolved(kommuner: gpd.GeoDataFrame) -> None:
    assert list(kommuner.columns) == ["level", "code", "name", "geometry"]
    assert len(kommuner) == 98  # 99 codes in the file minus Christiansø
    assert kommuner.attrs["dropped"] == 3  # Christiansø's three polygon parts
    assert "0411" not in set(kommuner.code)
    assert kommuner.code.is_unique and kommuner.code.str.fullmatch(r"\d{4}").all()
    assert kommuner.crs.to_epsg() == 25832
    assert not kommuner.has_z.any()
    assert kommuner.is_valid.all()
    row = kommuner.set_index("code").loc["0825"]  # Læsø: 14 parts in the file -> one MultiPolygon
    assert row["name"] == "Læsø"
    assert row.geometry.geom_type == "MultiPolygon" and len(row.geometry.geoms) == 14
    # Aalborg in UTM 32N: roughly 1,140 km² (DAGI 1:500 000 polygons; land area only)
    aalborg_km2 = kommuner.set_index("code").geometry["0851"].area / 1e6
    assert 1000 < aalborg_km2 < 1300


def test_regions_equal_union_of_municipalities(geo_dir: Path, kommuner: gpd.GeoDataFrame) -> None:
    from klyngedata import registry

    regions = read_boundaries(geo_dir / "regioner.geojson")
    assert regions.code.tolist() == ["1081", "1082", "1083", "1084", "1085"]
    reg_of = registry.municipalities().set_index("municipality_code")["region_code"]
    for code, outline in zip(regions.code, regions.geometry, strict=True):
        members = kommuner[kommuner.code.map(reg_of) == code]
        union = shapely.union_all(members.geometry.values)
        assert union.symmetric_difference(outline).area / outline.area < 0.005, code


def test_postal_and_parish_files_load(geo_dir: Path, kommuner: gpd.GeoDataFrame) -> None:
    post = read_boundaries(geo_dir / "postnumre.geojson")
    assert post.level.iloc[0] == "postnummer" and len(post) == 592
    assert {"1000-1499", "9000"} <= set(post.code)
    sogne = read_boundaries(geo_dir / "sogne.topojson")  # TopoJSON without crs member -> WGS84
    assert sogne.level.iloc[0] == "sogn" and len(sogne) == 2148
    assert sogne.code.str.fullmatch(r"\d{4}").all()
    minx, miny, maxx, maxy = sogne.total_bounds  # within Denmark in UTM 32N
    assert 400_000 < minx < maxx < 900_000 and 6_000_000 < miny < maxy < 6_450_000
    # the decoded parishes tile the same land as the municipalities (TopoJSON arcs decoded correctly)
    assert sogne.area.sum() == pytest.approx(kommuner.area.sum(), rel=0.002)


def test_import_into_cache_and_read_back(geo_dir: Path, tmp_path: Path) -> None:
    assert cached_boundaries("kommune", tmp_path) is None
    res = import_boundaries(geo_dir / "kommuner.geojson", data_dir=tmp_path)
    assert str(res) == "98 kommune boundaries from kommuner.geojson -> cache boundaries/kommune"
    assert len(res.frame) == 98
    cached = boundaries("kommune", data_dir=tmp_path)
    assert isinstance(cached, gpd.GeoDataFrame) and len(cached) == 98
    assert cached.crs.to_epsg() == 25832
    meta = cached.attrs["provenance"]
    assert meta["level"] == "kommune" and meta["file"].endswith("kommuner.geojson")
    assert Cache(tmp_path).data_path("boundaries/kommune").parent == tmp_path / "cache" / "boundaries"


def test_data_import_dispatches_boundary_files(geo_dir: Path, tmp_path: Path) -> None:
    from klyngedata.importing import import_file

    results = import_file(geo_dir / "regioner.geojson", data_dir=tmp_path)
    assert [r.status for r in results] == ["imported"]
    assert len(boundaries("region", data_dir=tmp_path)) == 5


def test_no_boundaries_and_no_key_raises_with_instructions(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(bmod.ENV_API_KEY, raising=False)
    with pytest.raises(BoundaryError) as exc:
        boundaries("kommune", data_dir=tmp_path)
    assert "klyngedata data import" in str(exc.value) and bmod.ENV_API_KEY in str(exc.value)


def test_unknown_level_and_missing_code_column() -> None:
    CONSTRUCTED_LAYER = gpd.GeoDataFrame({"foo": ["x"]}, geometry=[shapely.box(10, 56, 10.1, 56.1)], crs=4326)
    with pytest.raises(BoundaryError, match="cannot tell which boundary level"):
        normalize_boundaries(CONSTRUCTED_LAYER, source="constructed.geojson")
    with pytest.raises(BoundaryError, match="no code column"):
        normalize_boundaries(CONSTRUCTED_LAYER, "kommune", source="constructed.geojson")
    with pytest.raises(BoundaryError, match="unknown boundary level"):
        normalize_boundaries(CONSTRUCTED_LAYER, "amt")


def test_bad_code_names_feature_and_column() -> None:
    CONSTRUCTED_LAYER = gpd.GeoDataFrame({"KOMKODE": ["0851", "abc"]},
                                         geometry=[shapely.box(10, 56, 10.1, 56.1)] * 2, crs=4326)
    with pytest.raises(BoundaryError, match=r"feature 1, column 'KOMKODE'"):
        normalize_boundaries(CONSTRUCTED_LAYER, source="constructed.geojson")


# --- Datafordeler WFS against a local server ---------------------------------------------------------

# Constructed squares in EPSG:25832 (1 km², 4 km²) standing in for municipality polygons.
CONSTRUCTED_SQUARES = [
    ("0851", "Aalborg", shapely.box(550_000, 6_320_000, 551_000, 6_321_000)),
    ("0860", "Hjørring", shapely.box(560_000, 6_360_000, 562_000, 6_362_000)),
    ("0860", "Hjørring", shapely.box(570_000, 6_360_000, 571_000, 6_361_000)),  # a second part
]


def _constructed_complete_layer() -> list:
    """All 98 municipalities as constructed 1 km squares on a grid inside Denmark (EPSG:25832), plus the
    second part of 0860 above: a complete layer as far as codes go."""
    from klyngedata import registry

    out = [sq for sq in CONSTRUCTED_SQUARES if sq[0] in ("0851", "0860")]
    others = [r for r in registry.municipalities().itertuples() if r.municipality_code not in ("0851", "0860")]
    for i, row in enumerate(others):
        x, y = 500_000 + 3_000 * (i % 10), 6_100_000 + 3_000 * (i // 10)
        out.append((row.municipality_code, row.name, shapely.box(x, y, x + 1_000, y + 1_000)))
    return out


def _constructed_wfs_page(start: int, count: int, squares: list | None = None) -> dict:
    squares = CONSTRUCTED_SQUARES if squares is None else squares
    feats = []
    for i, (code, name, geom) in enumerate(squares[start:start + count], start=start):
        feats.append({"type": "Feature", "id": f"kommuneinddeling.{i}", "geometry_name": "geometri",
                      "properties": {"kommunekode": code, "navn": name},
                      "geometry": json.loads(shapely.to_geojson(geom))})
    return {"type": "FeatureCollection", "features": feats, "totalFeatures": len(squares),
            "numberMatched": len(squares), "numberReturned": len(feats),
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}}


class _Server:
    def __init__(self, script: list[int] | None = None, squares: list | None = None) -> None:
        self.requests: list[dict] = []
        self.squares = squares
        self.script = list(script or [])  # status codes to answer before serving pages
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802
                q = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                outer.requests.append(q)
                if outer.script:
                    status = outer.script.pop(0)
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"constructed error")
                    return
                if q.get("apikey") != "constructed-key":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(_constructed_wfs_page(int(q["startIndex"]), int(q["count"]),
                                                        outer.squares)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/DAGI/DAGI_WFS/1.0.0/WFS"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_wfs_paging_into_cache(tmp_path: Path, monkeypatch) -> None:
    with _Server() as srv:
        monkeypatch.setenv(bmod.ENV_WFS_URL, srv.url)
        monkeypatch.setenv(bmod.ENV_API_KEY, "constructed-key")
        client = DatafordelerWFS(api_key="constructed-key", page_size=2, backoff=0)
        raw = client.get_features("dagi_v001:kommuneinddeling_current")
        assert len(raw) == 3 and raw.crs.to_epsg() == 25832
        assert [r["startIndex"] for r in srv.requests] == ["0", "2"]
        first = srv.requests[0]
        assert first["typeNames"] == "dagi_v001:kommuneinddeling_current"
        assert first["outputFormat"] == "application/json" and first["request"] == "GetFeature"
        # an answer with 2 of the 98 municipalities is not cached
        with pytest.raises(BoundaryError, match=r"has 2 of the 98 kommune units; missing 0101, .*not cached"):
            boundaries("kommune", data_dir=tmp_path)
        assert cached_boundaries("kommune", tmp_path) is None
    with _Server(squares=_constructed_complete_layer()) as srv:
        monkeypatch.setenv(bmod.ENV_WFS_URL, srv.url)
        gdf = boundaries("kommune", data_dir=tmp_path)  # default page size: one request
        assert len(srv.requests) == 1
    assert len(gdf) == 98 and gdf.code.tolist()[:3] == ["0101", "0147", "0151"]
    areas = dict(zip(gdf.code, gdf.geometry.area, strict=True))
    assert areas["0851"] == pytest.approx(1e6) and areas["0860"] == pytest.approx(5e6)  # 2x2 + 1x1 km dissolved
    assert gdf.attrs["provenance"]["source"].startswith("Datafordeler WFS http://127.0.0.1")
    assert "constructed-key" not in json.dumps(gdf.attrs["provenance"])
    # now cached: no key needed any more
    monkeypatch.delenv(bmod.ENV_API_KEY)
    assert len(boundaries("kommune", data_dir=tmp_path)) == 98


def test_wfs_retries_on_5xx_and_429(tmp_path: Path, monkeypatch) -> None:
    with _Server(script=[503, 429]) as srv:
        client = DatafordelerWFS(api_key="constructed-key", base_url=srv.url, backoff=0)
        raw = client.get_features("dagi_v001:kommuneinddeling_current")
        assert len(raw) == 3
        assert len(srv.requests) == 3


def test_wfs_gives_up_after_retries_without_leaking_key(monkeypatch) -> None:
    with _Server(script=[500] * 10) as srv:
        client = DatafordelerWFS(api_key="constructed-key", base_url=srv.url, backoff=0, retries=2)
        with pytest.raises(BoundaryError) as exc:
            client.get_features("dagi_v001:kommuneinddeling_current")
        assert len(srv.requests) == 3
    msg = str(exc.value)
    assert "after 3 attempts" in msg and "HTTP 500" in msg and "kommuneinddeling" in msg
    assert "constructed-key" not in msg


def test_wfs_rejected_key_is_not_retried() -> None:
    with _Server() as srv:
        client = DatafordelerWFS(api_key="wrong-key", base_url=srv.url, backoff=0)
        with pytest.raises(BoundaryError, match="refused the API key") as exc:
            client.get_features("dagi_v001:kommuneinddeling_current")
        assert len(srv.requests) == 1
    assert "wrong-key" not in str(exc.value)


def test_wfs_timeout_is_retried_then_reported() -> None:
    import requests

    class TimeoutSession:
        calls = 0

        def request(self, *args, **kwargs):
            TimeoutSession.calls += 1
            raise requests.Timeout("constructed timeout")

    client = DatafordelerWFS(api_key="k", base_url="http://127.0.0.1:9/WFS", backoff=0, retries=1,
                             session=TimeoutSession())
    with pytest.raises(BoundaryError, match="Timeout"):
        client.get_features("dagi_v001:regionsinddeling_current")
    assert TimeoutSession.calls == 2
