"""Cluster catchment areas: dissolve member municipalities, split municipalities, simplify, web layer.

A cluster's polygon is the union of its member municipalities (DAGI boundaries, EPSG:25832). A
municipality that the registry splits between clusters (``allocation`` ``"unit"`` or ``"share"`` in
:func:`klyngedata.registry.membership`) is handled like this:

* split by ``sogn`` or ``postnummer`` and that unit layer is available (cached, or passed in
  ``unit_layers``): the municipality is cut along the units (each cluster gets municipality ∩ its units);
* otherwise (e.g. København 0101, split by *bydel*, for which no geometry exists; or a split defined
  only by shares) the municipality becomes a separate feature with ``kind == "delt"`` listing the
  clusters that share it. No line is ever invented. Maps say so in the legend.

Simplification is topology preserving: :func:`shapely.coverage_simplify` on the municipality coverage,
then the dissolve, so neighbouring clusters still share their border exactly (no gaps, no slivers).

Output schema of :func:`cluster_polygons`: ``cluster_id``, ``name``, ``short_name``, ``region_code``,
``kind`` (``"klynge"`` | ``"delt"``), ``municipality_codes`` (comma-separated whole members, or the shared
municipality), ``shared_with`` (comma-separated cluster ids for ``"delt"`` rows, else ``""``),
``label_da`` (Danish legend text), ``geometry`` (EPSG:25832).

Example
-------
Needs the municipality boundaries imported into the data directory; not run as a doctest.
>>> from klyngedata.geo.catchment import cluster_polygons
>>> gdf = cluster_polygons("sundhedsklynger-2022")  # doctest: +SKIP
>>> gdf.loc[gdf.kind == "delt", "label_da"].item()  # doctest: +SKIP
'København (delt mellem Sundhedsklynge Byen og Sundhedsklynge Syd; ingen grænse tegnet)'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from klyngedata.exceptions import BoundaryError, KlyngedataError, UnknownValue
from klyngedata.geo.boundaries import STORAGE_CRS, WEB_CRS, boundaries, cached_boundaries
from klyngedata.vocabulary import parse_level
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code

#: Default tolerance (metres) of :func:`simplify_coverage` for the web layer (see bench/bench_geo.py).
WEB_TOLERANCE_M = 150.0
#: Decimal places of lon/lat in the web GeoJSON (5 ≈ 1 m).
WEB_DECIMALS = 4
SPLIT_UNIT_TYPES = ("sogn", "postnummer")
_MIN_UNIT_COVERAGE = 0.995  # units must cover this share of a municipality to cut it along them

def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Topology-preserving simplification of a polygon coverage (shared edges stay shared).

    ``tolerance`` is in the units of the CRS (metres for EPSG:25832). ``0``/``None`` returns a copy.

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> sq = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])  # constructed
    >>> a, b = simplify_coverage(sq, 0.1).geometry
    >>> a.intersection(b).length  # still sharing their whole edge
    1.0
    """
    out = gdf.copy()
    if not tolerance:
        return out
    out["geometry"] = shapely.coverage_simplify(np.asarray(gdf.geometry.values), tolerance)
    return out


def municipality_layer(data_dir: str | os.PathLike[str] | None = None, tolerance: float | None = None,
                       municipalities: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The 98 municipality polygons (EPSG:25832), optionally simplified as a coverage.

    ``municipalities`` may be passed directly (e.g. from :func:`~klyngedata.geo.boundaries.read_boundaries`);
    otherwise the cached/fetched layer is used (:func:`~klyngedata.geo.boundaries.boundaries`).

    Example
    -------
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
    >>> kommuner = municipality_layer(tolerance=500)  # doctest: +SKIP
    """
    if municipalities is None:  # the cached layer: the same for every map of a report batch
        from klyngedata.population.memo import remembered

        return remembered("municipality_layer", _cached_layer, {"data_dir": data_dir, "tolerance": tolerance},
                          folders=("boundaries",))
    return _layer(municipalities, tolerance)


def _cached_layer(data_dir: str | os.PathLike[str] | None, tolerance: float | None) -> gpd.GeoDataFrame:
    return _layer(boundaries("kommune", data_dir=data_dir), tolerance)


def _layer(gdf: gpd.GeoDataFrame, tolerance: float | None) -> gpd.GeoDataFrame:
    gdf = gdf.to_crs(STORAGE_CRS) if gdf.crs is not None and gdf.crs.to_epsg() != STORAGE_CRS else gdf
    gdf = gdf.reset_index(drop=True)
    return simplify_coverage(gdf, tolerance) if tolerance else gdf


def _membership(division: str | None, date: Any, membership: pd.DataFrame | None) -> pd.DataFrame:
    if membership is None:
        from klyngedata import registry

        membership = registry.membership(division=division, date=date)
    m = membership.copy()
    m["municipality_code"] = m["municipality_code"].map(normalize_municipality_code)
    return m


def _cluster_names(division: str | None, date: Any, m: pd.DataFrame) -> pd.DataFrame:
    names = m.groupby("cluster_id", sort=False).agg(name=("cluster_name", "first"),
                                                    region_code=("region_code", "first"))
    names["short_name"] = names["name"]
    try:
        from klyngedata import registry

        div = m["division"].iloc[0] if "division" in m and len(m) else division
        cl = registry.clusters(division=div).set_index("cluster_id")
        names["short_name"] = cl["short_name"].reindex(names.index).fillna(names["name"])
    except (KlyngedataError, KeyError, ValueError):  # registry without this division: membership names
        pass
    return names


def _unit_layer(unit_type: str, unit_layers: Mapping[str, gpd.GeoDataFrame] | None,
                data_dir: str | os.PathLike[str] | None) -> gpd.GeoDataFrame | None:
    if unit_layers is not None:  # given explicitly (even empty): use exactly these, never the cache
        layer = unit_layers.get(unit_type)
        return None if layer is None else layer.to_crs(STORAGE_CRS)
    if unit_type not in SPLIT_UNIT_TYPES:
        return None
    try:
        return cached_boundaries(unit_type, data_dir)
    except BoundaryError:
        return None


def cluster_polygons(division: str | None = None, date: Any = None, *,
                     data_dir: str | os.PathLike[str] | None = None, tolerance: float | None = None,
                     municipalities: gpd.GeoDataFrame | None = None, membership: pd.DataFrame | None = None,
                     unit_layers: Mapping[str, gpd.GeoDataFrame] | None = None) -> gpd.GeoDataFrame:
    """Cluster polygons of a division (EPSG:25832), plus ``"delt"`` features for shared municipalities.

    ``tolerance`` (metres) simplifies the municipality coverage *before* the dissolve, so borders stay
    shared. ``membership`` defaults to :func:`klyngedata.registry.membership` of ``division``/``date``;
    ``unit_layers`` maps ``"sogn"``/``"postnummer"`` to unit polygons (default None: the cached layers; a
    mapping, even an empty one, is used as it is).

    Example
    -------
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
    >>> gdf = cluster_polygons("sundhedsklynger-2022", tolerance=500)  # doctest: +SKIP
    >>> gdf.loc[gdf.cluster_id == "nordjylland-nord", "municipality_codes"].item()  # doctest: +SKIP
    '0810,0813,0825,0860'
    """
    m = _membership(division, date, membership)
    muni = municipality_layer(data_dir, tolerance, municipalities).set_index("code")
    missing = sorted(set(m["municipality_code"]) - set(muni.index))
    if missing:
        raise BoundaryError(
            f"the municipality boundaries lack {len(missing)} member municipalities of the division: "
            f"{', '.join(missing[:10])}"
        )
    names = _cluster_names(division, date, m)
    whole = m[m["allocation"] == "whole"]
    split = m[m["allocation"] != "whole"]
    pieces: dict[str, list] = {cid: [] for cid in names.index}
    members: dict[str, list[str]] = {cid: [] for cid in names.index}
    for cid, code in zip(whole["cluster_id"], whole["municipality_code"], strict=True):
        pieces[cid].append(muni.geometry[code])
        members[cid].append(code)
    shared_rows = []
    for code, rows in split.groupby("municipality_code", sort=True):
        geom = muni.geometry[code]
        cut = _cut_by_units(geom, rows, unit_layers, data_dir)
        if cut is not None:
            for cid, piece in cut.items():
                pieces[cid].append(piece)
                members[cid].append(code)
            continue
        cids = list(dict.fromkeys(rows["cluster_id"]))
        cnames = [names.loc[c, "name"] for c in cids]
        mname = str(muni.loc[code, "name"]) if "name" in muni else code
        shared_rows.append({
            "cluster_id": f"delt-{code}", "name": f"{mname} (delt)", "short_name": f"{mname} (delt)",
            "region_code": str(rows["region_code"].iloc[0]), "kind": "delt", "municipality_codes": code,
            "shared_with": ",".join(cids),
            "label_da": f"{mname} (delt mellem {' og '.join(cnames)}; ingen grænse tegnet)",
            "geometry": geom,
        })
    rows_out = []
    for cid in names.index:
        geoms = pieces[cid]
        geom = shapely.union_all(geoms) if geoms else shapely.Polygon()
        rows_out.append({
            "cluster_id": cid, "name": names.loc[cid, "name"], "short_name": names.loc[cid, "short_name"],
            "region_code": normalize_region_code(names.loc[cid, "region_code"]), "kind": "klynge",
            "municipality_codes": ",".join(sorted(members[cid])), "shared_with": "",
            "label_da": str(names.loc[cid, "name"]), "geometry": geom,
        })
    out = gpd.GeoDataFrame(rows_out + shared_rows, geometry="geometry", crs=STORAGE_CRS)
    out.attrs["division"] = str(m["division"].iloc[0]) if "division" in m and len(m) else division
    out.attrs["tolerance_m"] = tolerance or 0
    return out


def _cut_by_units(geom: Any, rows: pd.DataFrame, unit_layers: Mapping[str, gpd.GeoDataFrame] | None,
                  data_dir: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """Cut one municipality along its units; ``None`` if it cannot be done without inventing a line."""
    if (rows["allocation"] != "unit").any():
        return None  # share-defined: drawn as shared
    unit_types = set(rows["unit_type"].dropna().astype(str))
    if len(unit_types) != 1:
        return None
    unit_type = unit_types.pop()
    layer = _unit_layer(unit_type, unit_layers, data_dir)
    if layer is None:
        return None
    index = layer.set_index(layer["code"].astype(str))
    out: dict[str, Any] = {}
    for cid, grp in rows.groupby("cluster_id", sort=False):
        codes = [str(c).zfill(4) if str(c).isdigit() else str(c) for c in grp["unit_code"]]
        if not all(c in index.index for c in codes):
            return None
        out[cid] = shapely.intersection(geom, shapely.union_all(index.geometry[codes].values))
    covered = shapely.union_all(list(out.values())).area
    if covered < _MIN_UNIT_COVERAGE * geom.area:
        return None  # the units leave part of the municipality unassigned: do not guess
    return out


def _round_coords(geom: Any, decimals: int) -> Any:
    return shapely.transform(geom, lambda c: np.round(c, decimals))


def web_geojson(gdf: gpd.GeoDataFrame, *, id_col: str, properties: list[str] | None = None,
                decimals: int = WEB_DECIMALS) -> dict:
    """A compact GeoJSON FeatureCollection (EPSG:4326, rounded coordinates) for plotly/web maps.

    Example
    -------
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
    >>> fc = web_geojson(cluster_polygons(tolerance=500), id_col="cluster_id")  # doctest: +SKIP
    """
    web = gdf.to_crs(WEB_CRS) if gdf.crs is not None and gdf.crs.to_epsg() != WEB_CRS else gdf
    props = properties or []
    feats = []
    for _, row in web.iterrows():
        # exterior rings clockwise: plotly's d3-geo treats counter-clockwise rings as "everything but"
        geom = shapely.orient_polygons(_round_coords(row.geometry, decimals), exterior_cw=True)
        feats.append({
            "type": "Feature", "id": str(row[id_col]),
            "properties": {p: (None if pd.isna(row[p]) else row[p]) for p in props},
            "geometry": json.loads(shapely.to_geojson(geom)),
        })
    return {"type": "FeatureCollection", "features": feats}


def cluster_web_layer(division: str | None = None, date: Any = None, *,
                      data_dir: str | os.PathLike[str] | None = None, tolerance: float = WEB_TOLERANCE_M,
                      decimals: int = WEB_DECIMALS, municipalities: gpd.GeoDataFrame | None = None,
                      membership: pd.DataFrame | None = None) -> str:
    """The country's cluster layer as GeoJSON text for the web (target ≤ 300 KB).

    Example
    -------
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
    >>> len(cluster_web_layer("sundhedsklynger-2022").encode()) < 300_000  # doctest: +SKIP
    True
    """
    gdf = cluster_polygons(division, date, data_dir=data_dir, tolerance=tolerance,
                           municipalities=municipalities, membership=membership)
    fc = web_geojson(gdf, id_col="cluster_id",
                     properties=["name", "short_name", "region_code", "kind", "shared_with", "label_da"],
                     decimals=decimals)
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":"))


def _level(level: str) -> str:
    try:
        canonical = parse_level(level)
    except UnknownValue:
        raise BoundaryError(f"unknown level {level!r} for attach_geometry; use kommune, cluster, region or "
                            "country") from None
    return "kommune" if canonical == "municipality" else canonical


def region_polygons(data_dir: str | os.PathLike[str] | None = None, tolerance: float | None = None,
                    municipalities: gpd.GeoDataFrame | None = None, *, division: str | None = None,
                    date: Any = None, all_regions: bool = False) -> gpd.GeoDataFrame:
    """Region polygons made by dissolving the municipalities of each region (registry), EPSG:25832.

    Regions are versioned: the regions valid on ``date`` (default: the start of ``division``, else today),
    so from 2027 Region Østdanmark (code ``"oestdanmark"``: no official code) is the dissolve of the
    Hovedstaden and Sjælland municipalities. ``all_regions=True`` returns every region ever valid (they
    overlap). Built from the municipality layer so regions, clusters and municipalities share exactly the
    same borders. Columns: ``code`` (region key), ``name``, ``geometry``.

    Example
    -------
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
    >>> region_polygons(date="2026-12-31").code.tolist()  # doctest: +SKIP
    ['1081', '1082', '1083', '1084', '1085']
    >>> region_polygons(date="2027-01-01").code.tolist()  # doctest: +SKIP
    ['1081', '1082', '1083', 'oestdanmark']
    """
    from klyngedata import clock, registry

    muni = municipality_layer(data_dir, tolerance, municipalities).set_index("code")
    if all_regions:
        regs = registry.regions()
    else:
        regs = registry.regions(date=date if date is not None or division is not None else clock.today(),
                                division=division)
    rows = []
    for r in regs.sort_values("region_key").itertuples(index=False):
        codes = [c for c in registry.region_municipalities(r.region_id) if c in muni.index]
        rows.append({"code": r.region_key, "name": r.name,
                     "geometry": shapely.union_all(muni.geometry[codes].values) if codes else shapely.Polygon()})
    out = gpd.GeoDataFrame(rows, columns=["code", "name", "geometry"], geometry="geometry", crs=STORAGE_CRS)
    out["name"] = out["name"].astype("string")
    return out


def attach_geometry(df: pd.DataFrame, level: str, division: str | None = None,
                    data_dir: str | os.PathLike[str] | None = None, *, tolerance: float | None = None,
                    crs: int = STORAGE_CRS, shared: str = "separate", date: Any = None) -> gpd.GeoDataFrame:
    """Join geometry onto a tidy frame keyed by ``entity_id`` (or ``cluster_id``/``municipality_code``/...).

    ``level``: ``"kommune"``/``"municipality"``, ``"cluster"``/``"klynge"``, ``"region"`` or
    ``"country"``. Cluster geometries exclude municipalities shared without unit geometry
    (``shared="separate"``, the default; the cluster's ``attrs["shared"]`` lists them) or include them in
    every sharing cluster (``shared="include"``; the polygons then overlap). The shared municipality
    itself is available as ``"delt-0101"`` and as ``"0101:ikke-fordelt"`` (the population module's row
    for København's population not allocated to a cluster). Rows without a geometry (e.g. Christiansø)
    get an empty geometry. Raises :class:`BoundaryError` if no boundaries are available.

    Example
    -------
    Needs the municipality boundaries imported into the data directory; not run as a doctest.
    >>> from klyngedata import registry
    >>> gdf = attach_geometry(registry.clusters(), "cluster")  # doctest: +SKIP
    >>> gdf.to_crs(4326).explore()  # doctest: +SKIP
    """
    lvl = _level(level)
    key_col = next((c for c in ("entity_id", "cluster_id", "municipality_code", "region_code", "code")
                    if c in df.columns), None)
    if key_col is None:
        raise BoundaryError(f"attach_geometry: the frame has no entity_id column (columns: {list(df.columns)})")
    shared_info: dict[str, str] = {}
    if lvl == "kommune":
        layer = municipality_layer(data_dir, tolerance).set_index("code").geometry
        keys = df[key_col].map(_safe_muni)
    elif lvl == "region":
        layer = region_polygons(data_dir, tolerance, all_regions=True).set_index("code").geometry
        keys = df[key_col].map(_safe_region)
    elif lvl == "country":
        muni = municipality_layer(data_dir, tolerance)
        layer = pd.Series({"DK": shapely.union_all(muni.geometry.values)})
        keys = df[key_col].astype(str).str.upper()
    else:
        cl = cluster_polygons(division, date, data_dir=data_dir, tolerance=tolerance)
        delt = cl[cl["kind"] == "delt"]
        layer = cl[cl["kind"] == "klynge"].set_index("cluster_id").geometry.copy()
        for _, row in delt.iterrows():
            # the shared municipality itself, under its feature id and under the population module's id
            # for the part of it not allocated to a cluster (e.g. "0101:ikke-fordelt")
            layer[row["cluster_id"]] = row.geometry
            layer[f"{row['municipality_codes']}:ikke-fordelt"] = row.geometry
            for cid in row["shared_with"].split(","):
                shared_info[cid] = row["municipality_codes"]
                if shared == "include" and cid in layer.index:
                    layer[cid] = shapely.union(layer[cid], row.geometry)
        keys = df[key_col].astype(str)
    geoms = [layer.get(k, None) if k is not None else None for k in keys]
    out = gpd.GeoDataFrame(df.copy(), geometry=[g if g is not None else shapely.Polygon() for g in geoms],
                           crs=STORAGE_CRS)
    out.attrs = dict(df.attrs)
    if shared_info:
        out.attrs["shared"] = shared_info
    return out.to_crs(crs) if crs != STORAGE_CRS else out


def _safe_muni(value: Any) -> str | None:
    try:
        return normalize_municipality_code(value)
    except ValueError:
        return None


def _safe_region(value: Any) -> str | None:
    try:
        return normalize_region_code(value)
    except ValueError:
        return None
