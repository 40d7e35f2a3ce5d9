"""DAGI boundary files: the levels, reading GeoJSON/GeoPackage/Shapefile/TopoJSON and normalising them to
the boundary schema (see :mod:`klyngedata.geo.boundaries`), with plausibility checks (inside Denmark after
reprojection, polygons only)."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from klyngedata import settings
from klyngedata.exceptions import BoundaryError, UnknownValue
from klyngedata.vocabulary import BOUNDARY_LEVELS, parse_level
from klyngedata.vocabulary.codes import CHRISTIANSOE, normalize_municipality_code, normalize_region_code

log = logging.getLogger(__name__)

LEVELS = ("kommune", "region", "sogn", "postnummer")
STORAGE_CRS = 25832
WEB_CRS = 4326
NON_MUNICIPAL_CODES = frozenset({CHRISTIANSOE})

ENV_API_KEY = settings.VARIABLES["datafordeler_api_key"]
ENV_WFS_URL = settings.VARIABLES["wfs_url"]
DEFAULT_WFS_URL = "https://wfs.datafordeler.dk/DAGI/DAGI_WFS/1.0.0/WFS"
WFS_TYPENAMES = {
    "kommune": "dagi_v001:kommuneinddeling_current",
    "region": "dagi_v001:regionsinddeling_current",
    "sogn": "dagi_v001:sogneinddeling_current",
    "postnummer": "dagi_v001:postnummerinddeling_current",
}

#: The cache's and this package's names of the boundary layers, by canonical level (klyngedata.vocabulary.levels).
_LAYER_NAMES = {"municipality": "kommune", "region": "region", "parish": "sogn", "postal_code": "postnummer"}

# Property names per level: DAGI files as distributed (upper case), DAWA/Datafordeler style (lower case).
# The Datafordeler WFS property names were not checked against the live service; all candidates are
# tried case-insensitively, the level-specific ones first.
_CODE_FIELDS = {
    "kommune": ["KOMKODE", "kommunekode", "kommunekode_", "komkode", "lau_1", "kode"],
    "region": ["REGIONKODE", "regionskode", "regionkode", "kode"],
    "sogn": ["SOGNEKODE", "sognekode", "sognenummer", "kode"],
    "postnummer": ["POSTNR_TXT", "postnummer", "postnr", "nr", "kode"],
}
_NAME_FIELDS = {
    "kommune": ["KOMNAVN", "kommunenavn", "navn", "name"],
    "region": ["REGIONNAVN", "regionsnavn", "regionnavn", "navn", "name"],
    "sogn": ["SOGNENAVN", "sognenavn", "navn", "name"],
    "postnummer": ["POSTBYNAVN", "postnummernavn", "navn", "name"],
}
# Columns that identify a level unambiguously (used when ``level`` is not given).
_DETECT = [("KOMKODE", "kommune"), ("kommunekode", "kommune"), ("REGIONKODE", "region"),
           ("regionskode", "region"), ("SOGNEKODE", "sogn"), ("sognekode", "sogn"),
           ("POSTNR_TXT", "postnummer"), ("postnummer", "postnummer")]

BOUNDARY_SUFFIXES = (".geojson", ".json", ".topojson", ".gpkg", ".shp", ".zip", ".fgb", ".gml")

HOW_TO_GET_BOUNDARIES = (
    "Import DAGI boundary files you have with `klyngedata data import PATH` "
    "(GeoJSON, GeoPackage, Shapefile or TopoJSON, e.g. kommuner.geojson from Klimadatastyrelsen/Datafordeleren), "
    f"or set {ENV_API_KEY} to your Datafordeler API key (https://datafordeler.dk) so the boundaries are "
    "fetched from the DAGI WFS. Maps fall back to a tile map without boundaries."
)
GET_BOUNDARIES_HINT = (
    "import DAGI boundary files with `klyngedata data import PATH` (GeoJSON, GeoPackage, Shapefile or TopoJSON, "
    f"e.g. kommuner.geojson) or set {ENV_API_KEY} to fetch them from the DAGI WFS"
)
"""The end of a one-sentence error about missing boundaries (the notebook shows that sentence alone)."""


class IncompleteLayerWarning(UserWarning):
    """The cached boundary layer lacks units (a partial layer imported on request with ``--replace``)."""


def normalize_level(level: str) -> str:
    """Return the canonical level name (``"kommuner"``/``"municipality"`` -> ``"kommune"``).

    Example
    -------
    >>> normalize_level("municipality"), normalize_level("Sogne")
    ('kommune', 'sogn')
    """
    if str(level).strip().lower() in LEVELS:
        return str(level).strip().lower()
    try:
        return _LAYER_NAMES[parse_level(level, allowed=BOUNDARY_LEVELS)]
    except UnknownValue:
        raise BoundaryError(f"unknown boundary level {level!r}; use one of {', '.join(LEVELS)}") from None


def cache_key(level: str) -> str:
    """Cache key of a boundary level (``"boundaries/kommune"``).

    Example
    -------
    >>> cache_key("kommuner")
    'boundaries/kommune'
    """
    return f"boundaries/{normalize_level(level)}"


def _find_field(columns: list[str], candidates: list[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in columns:
            return cand
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def detect_level(columns: list[str]) -> str | None:
    """Guess the boundary level from property names (``KOMKODE`` -> ``"kommune"``), or ``None``.

    Example
    -------
    >>> detect_level(["KOMKODE", "KOMNAVN", "geometry"])
    'kommune'
    """
    lower = {c.lower() for c in columns}
    for col, level in _DETECT:
        if col.lower() in lower:
            return level
    return None


def _normalize_code(level: str, value: Any) -> str:
    if level == "kommune":
        return normalize_municipality_code(value)
    if level == "region":
        return normalize_region_code(value)
    text = str(value).strip()
    if level == "sogn":
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not re.fullmatch(r"\d{1,4}", text):
            raise ValueError(f"not a parish code: {value!r}")
        return text.zfill(4)
    # postnummer: 4 digits, or a DAGI range code like "1000-1499"
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not re.fullmatch(r"\d{3,4}(-\d{4})?", text):
        raise ValueError(f"not a postal code: {value!r}")
    return text if "-" in text else text.zfill(4)


def normalize_boundaries(gdf: gpd.GeoDataFrame, level: str | None = None, *, source: str = "frame",
                         keep_non_municipal: bool = False) -> gpd.GeoDataFrame:
    """Normalise a raw boundary layer to the documented schema (``level, code, name, geometry``).

    Drops Z values, reprojects to EPSG:25832 (a layer without CRS is taken as WGS84 lon/lat, as the
    DAGI GeoJSON/TopoJSON files are), repairs invalid polygons, normalises codes and dissolves the
    polygon parts of one unit into one (Multi)Polygon. ``source`` names the file/request in errors.

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> raw = gpd.GeoDataFrame({"KOMKODE": ["851"], "KOMNAVN": ["Aalborg"]},
    ...     geometry=[shapely.box(9.9, 57.0, 10.0, 57.1)], crs=4326)  # constructed example
    >>> normalize_boundaries(raw)[["level", "code", "name"]].values.tolist()
    [['kommune', '0851', 'Aalborg']]
    """
    if len(gdf) == 0:
        raise BoundaryError(f"{source}: the layer has no features (an empty FeatureCollection?)")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    lvl = normalize_level(level) if level else detect_level(cols)
    if lvl is None:
        raise BoundaryError(
            f"{source}: cannot tell which boundary level this is from its columns {cols}; "
            f"pass level= one of {', '.join(LEVELS)}"
        )
    code_col = _find_field(cols, _CODE_FIELDS[lvl])
    name_col = _find_field(cols, _NAME_FIELDS[lvl])
    if code_col is None:
        raise BoundaryError(
            f"{source}: no code column for level {lvl!r} (looked for {', '.join(_CODE_FIELDS[lvl])}; "
            f"found {cols})"
        )
    gdf = gdf.set_crs(_source_crs(gdf, source), allow_override=True)
    geoms = shapely.force_2d(gdf.geometry.values)
    work = gpd.GeoDataFrame({"raw_code": gdf[code_col].values,
                             "name": gdf[name_col].astype("string").values if name_col else pd.NA},
                            geometry=list(geoms), crs=gdf.crs)
    work = work.to_crs(STORAGE_CRS)
    _check_inside_denmark(work, source, code_col)
    codes = []
    for i, value in enumerate(work["raw_code"]):
        try:
            codes.append(_normalize_code(lvl, value))
        except ValueError as exc:
            raise BoundaryError(f"{source}: feature {i}, column {code_col!r}: {exc}") from exc
    work["code"] = codes
    bad = ~work.geometry.is_valid
    if bad.any():
        work.loc[bad, "geometry"] = shapely.make_valid(work.loc[bad, "geometry"].values)
    work = work[~work.geometry.is_empty & work.geometry.notna()]
    polys = work.geometry.geom_type.isin(["Polygon", "MultiPolygon", "GeometryCollection"])
    if not polys.all():
        raise BoundaryError(f"{source}: expected polygon features, found {sorted(set(work.geom_type))}")
    dropped = 0
    if lvl == "kommune" and not keep_non_municipal:
        mask = work["code"].isin(NON_MUNICIPAL_CODES)
        dropped = int(mask.sum())
        work = work[~mask]
    names = work.groupby("code")["name"].first()
    dissolved = work[["code", "geometry"]].dissolve(by="code", as_index=False)
    out = gpd.GeoDataFrame(
        {"level": lvl, "code": dissolved["code"].astype("string"),
         "name": dissolved["code"].map(names).astype("string")},
        geometry=_polygonal(dissolved.geometry.values), crs=STORAGE_CRS,
    ).sort_values("code", ignore_index=True)
    out.attrs["dropped"] = dropped
    out.attrs["source"] = source
    return out


# Denmark (with Bornholm and Christiansø) in EPSG:25832 is x 441,676..892,787, y 6,049,782..6,402,217 (the DAGI
# layers in shared/data/geo); the envelope allows 40-50 km around it.
DENMARK_25832 = (400_000.0, 6_000_000.0, 940_000.0, 6_450_000.0)
DENMARK_LONLAT = (7.0, 54.0, 16.0, 58.2)


def _bounds_text(b: Any) -> str:
    return f"x {b[0]:,.6g}..{b[2]:,.6g}, y {b[1]:,.6g}..{b[3]:,.6g}"


def _source_crs(gdf: gpd.GeoDataFrame, source: str) -> Any:
    """The CRS the coordinates are in: the declared one if the coordinates fit it, else a clear error.

    A layer without CRS is taken as WGS84 longitude/latitude (as the DAGI GeoJSON/TopoJSON files are) only
    when its coordinates are degrees; projected coordinates without a CRS (a shapefile without its ``.prj``),
    or declared as longitude/latitude (CRS84/WGS84), are refused rather than guessed.
    """
    b = np.asarray(gdf.total_bounds, dtype=float)
    is_degrees = bool(np.isfinite(b).all() and b[0] >= -180 and b[2] <= 180 and b[1] >= -90 and b[3] <= 90)
    looks_utm = bool(np.isfinite(b).all() and b[0] >= DENMARK_25832[0] and b[2] <= DENMARK_25832[2]
                     and b[1] >= DENMARK_25832[1] and b[3] <= DENMARK_25832[3])
    hint = (" They look like ETRS89 / UTM zone 32N (EPSG:25832), the CRS of DAGI's projected files."
            if looks_utm else "")
    if gdf.crs is None:
        if is_degrees:
            return WEB_CRS
        shp = " (a shapefile needs its .prj file beside it)" if source.lower().endswith(".shp") else ""
        raise BoundaryError(
            f"{source}: no coordinate reference system is declared{shp}, and the coordinates "
            f"({_bounds_text(b)}) are not longitude/latitude degrees.{hint} Restore the CRS information "
            "(e.g. the .prj file) or save the layer again with its CRS."
        )
    if gdf.crs.is_geographic and not is_degrees:
        raise BoundaryError(
            f"{source}: the file declares the geographic CRS {gdf.crs.name!r} (longitude/latitude degrees), but "
            f"its coordinates ({_bounds_text(b)}) are not degrees.{hint} Declare the CRS the coordinates are in "
            "(or convert them to longitude/latitude)."
        )
    return gdf.crs


def _check_inside_denmark(work: gpd.GeoDataFrame, source: str, code_col: str) -> None:
    """Every feature must lie within Denmark's envelope after reprojection to EPSG:25832."""
    bounds = work.geometry.bounds.to_numpy(dtype=float)
    x0, y0, x1, y1 = DENMARK_25832
    empty = work.geometry.is_empty.to_numpy() | work.geometry.isna().to_numpy()
    ok = (np.isfinite(bounds).all(axis=1) & (bounds[:, 0] >= x0) & (bounds[:, 2] <= x1)
          & (bounds[:, 1] >= y0) & (bounds[:, 3] <= y1)) | empty
    if ok.all():
        return
    bad = np.flatnonzero(~ok)
    i = int(bad[0])
    raise BoundaryError(
        f"{source}: feature {i} ({code_col} {work['raw_code'].iloc[i]!r}) lies outside Denmark after "
        f"reprojection to EPSG:{STORAGE_CRS} ({_bounds_text(bounds[i])}; Denmark is {_bounds_text(DENMARK_25832)})"
        f"{f', and so do {len(bad) - 1} more features' if len(bad) > 1 else ''}. Check the CRS the file declares."
    )


def _polygonal(geoms: Any) -> list:
    """Keep only the polygonal part of each geometry (make_valid may add stray lines/points)."""
    out = []
    for g in geoms:
        if g.geom_type == "GeometryCollection":
            parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            g = shapely.union_all(parts) if parts else shapely.Polygon()
        out.append(g)
    return out


def read_boundaries(path: str | os.PathLike[str], level: str | None = None, *, layer: str | None = None,
                    keep_non_municipal: bool = False) -> gpd.GeoDataFrame:
    """Read a boundary file a user has (GeoJSON, GeoPackage, Shapefile, TopoJSON) into the schema.

    The real DAGI files load as they are: one feature per polygon part (dissolved here), 3-D
    coordinates with ``Z=-999`` (dropped), ``KOMKODE``/``REGIONKODE``/``SOGNEKODE``/``POSTNR_TXT``.

    Example
    -------
    Needs the DAGI boundary files of the shared data; not run as a doctest.
    >>> read_boundaries("../shared/data/geo/regioner.geojson").code.tolist()  # doctest: +SKIP
    ['1081', '1082', '1083', '1084', '1085']
    """
    p = Path(path)
    if not p.exists():
        raise BoundaryError(f"boundary file {p} does not exist")
    try:
        if _is_topojson(p):
            raw = read_topojson(p, layer)
        else:
            raw = gpd.read_file(p, layer=layer) if layer else gpd.read_file(p)
    except BoundaryError:
        raise
    except Exception as exc:  # pyogrio raises several types
        raise BoundaryError(f"could not read boundary file {p}: {exc}") from exc
    return normalize_boundaries(raw, level, source=str(p), keep_non_municipal=keep_non_municipal)


def _is_topojson(path: Path) -> bool:
    if path.suffix.lower() == ".topojson":
        return True
    if path.suffix.lower() != ".json":
        return False
    with open(path, "rb") as fh:
        head = fh.read(200).decode("utf-8", "ignore").replace(" ", "")
    return '"type":"Topology"' in head


def read_topojson(path: str | os.PathLike[str], layer: str | None = None) -> gpd.GeoDataFrame:
    """Decode a TopoJSON file (quantized or not) into a GeoDataFrame (WGS84 unless the file says else).

    Own decoder: GDAL's TopoJSON driver mis-decodes the delta-encoded arcs of the DAGI parish file.
    ``layer`` picks one object of the topology (default: the first).

    Example
    -------
    Needs the DAGI boundary files of the shared data; not run as a doctest.
    >>> read_topojson("../shared/data/geo/sogne.topojson").total_bounds.round(1)  # doctest: +SKIP
    array([ 8.1, 54.6, 15.2, 57.8])
    """
    p = Path(path)
    try:
        topo = json.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise BoundaryError(f"could not read TopoJSON file {p}: {exc}") from exc
    if topo.get("type") != "Topology" or not isinstance(topo.get("objects"), dict) or not topo["objects"]:
        raise BoundaryError(f"{p}: not a TopoJSON Topology with objects")
    name = layer or next(iter(topo["objects"]))
    if name not in topo["objects"]:
        raise BoundaryError(f"{p}: no object {name!r} (objects: {', '.join(topo['objects'])})")
    transform = topo.get("transform")
    arcs = []
    for arc in topo.get("arcs", []):
        a = np.asarray([pt[:2] for pt in arc], dtype=float).reshape(-1, 2)
        if transform:
            a = np.cumsum(a, axis=0) * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
        arcs.append(a)

    def ring(indexes: list[int]) -> np.ndarray:
        parts = []
        for k, i in enumerate(indexes):
            a = arcs[i] if i >= 0 else arcs[~i][::-1]
            parts.append(a if k == 0 else a[1:])
        return np.concatenate(parts)

    def geometry(obj: dict) -> Any:
        kind = obj.get("type")
        if kind == "Polygon":
            rings = [ring(r) for r in obj["arcs"]]
            return shapely.Polygon(rings[0], rings[1:])
        if kind == "MultiPolygon":
            return shapely.MultiPolygon([shapely.Polygon(ring(r[0]), [ring(h) for h in r[1:]]) for r in obj["arcs"]])
        if kind is None:
            return None
        raise BoundaryError(f"{p}: unsupported TopoJSON geometry type {kind!r}")

    obj = topo["objects"][name]
    members = obj.get("geometries", [obj]) if obj.get("type") == "GeometryCollection" else [obj]
    props = [m.get("properties") or {} for m in members]
    geoms = [geometry(m) for m in members]
    crs_name = ((obj.get("crs") or topo.get("crs") or {}).get("properties") or {}).get("name")
    return gpd.GeoDataFrame(pd.DataFrame(props), geometry=geoms,
                            crs=_parse_crs(crs_name) if crs_name else WEB_CRS)




def _parse_crs(name: Any) -> Any:
    text = str(name)
    m = re.search(r"EPSG:+(\d+)$", text) or re.search(r"EPSG::?(\d+)", text)
    if "CRS84" in text:
        return WEB_CRS
    return int(m.group(1)) if m else text
