"""Administrative boundaries (DAGI): loaders for files a user has, the Datafordeler WFS, and the cache.

Normalised schema (one row per unit, dissolved by code), returned by every loader here:

* ``level`` – ``"kommune"``, ``"region"``, ``"sogn"`` or ``"postnummer"``;
* ``code`` – canonical code: municipality ``"0851"`` (:func:`klyngedata.codes.normalize_municipality_code`),
  region ``"1081"`` (:func:`klyngedata.codes.normalize_region_code`), parish 4-digit ``"7033"``,
  postal code as written by DAGI (``"9000"``, also Copenhagen range codes such as ``"1000-1499"``);
* ``name`` – the DAGI name (``"Aalborg"``, ``"Region Nordjylland"``);
* ``geometry`` – 2-D (Multi)Polygon in **EPSG:25832** (ETRS89 / UTM 32N), used for areas and dissolves;
  call ``.to_crs(4326)`` for web maps.

Christiansø (``0411``) is not a municipality: it is dropped from the ``kommune`` level (the number of
dropped features is in ``gdf.attrs["dropped"]``).

Sources, in the order :func:`boundaries` tries them:

1. the local cache (``<data_dir>/cache/boundaries/<level>``, written by :func:`import_boundaries` or by a
   WFS fetch);
2. Datafordeleren's DAGI WFS (``https://wfs.datafordeler.dk/DAGI/DAGI_WFS/1.0.0/WFS``, typenames
   ``dagi_v001:<level>inddeling_current``) with the user's API key (argument ``api_key`` or
   ``$DATAFORDELER_API_KEY``); the base URL can be overridden with ``$KLYNGEDATA_DATAFORDELER_WFS_URL``
   (used by the tests, which replay responses from a local HTTP server).

Example
-------
>>> from klyngedata.geo.boundaries import read_boundaries
>>> gdf = read_boundaries("../shared/data/geo/kommuner.geojson")  # doctest: +SKIP
>>> len(gdf), gdf.crs.to_epsg(), gdf.loc[gdf.code == "0851", "name"].item()  # doctest: +SKIP
(98, 25832, 'Aalborg')
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from klyngedata.codes import normalize_municipality_code, normalize_region_code
from klyngedata.exceptions import BoundaryError, DataNotAvailable

log = logging.getLogger(__name__)

LEVELS = ("kommune", "region", "sogn", "postnummer")
STORAGE_CRS = 25832
WEB_CRS = 4326
NON_MUNICIPAL_CODES = frozenset({"0411"})  # Christiansø

ENV_API_KEY = "DATAFORDELER_API_KEY"
ENV_WFS_URL = "KLYNGEDATA_DATAFORDELER_WFS_URL"
DEFAULT_WFS_URL = "https://wfs.datafordeler.dk/DAGI/DAGI_WFS/1.0.0/WFS"
WFS_TYPENAMES = {
    "kommune": "dagi_v001:kommuneinddeling_current",
    "region": "dagi_v001:regionsinddeling_current",
    "sogn": "dagi_v001:sogneinddeling_current",
    "postnummer": "dagi_v001:postnummerinddeling_current",
}

_LEVEL_ALIASES = {
    "kommune": "kommune", "kommuner": "kommune", "municipality": "kommune", "municipalities": "kommune",
    "region": "region", "regioner": "region", "regions": "region",
    "sogn": "sogn", "sogne": "sogn", "parish": "sogn", "parishes": "sogn",
    "postnummer": "postnummer", "postnumre": "postnummer", "postal": "postnummer", "postal_code": "postnummer",
}

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


class IncompleteLayerWarning(UserWarning):
    """The cached boundary layer lacks units (a partial layer imported on request with ``--replace``)."""


def normalize_level(level: str) -> str:
    """Return the canonical level name (``"kommuner"``/``"municipality"`` -> ``"kommune"``).

    Example
    -------
    >>> normalize_level("municipality"), normalize_level("Sogne")
    ('kommune', 'sogn')
    """
    key = str(level).strip().lower()
    if key not in _LEVEL_ALIASES:
        raise BoundaryError(f"unknown boundary level {level!r}; use one of {', '.join(LEVELS)}")
    return _LEVEL_ALIASES[key]


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


def _cache(data_dir: str | os.PathLike[str] | None):
    from klyngedata.cache import Cache

    return Cache(data_dir)


def expected_units(level: str) -> set[str] | None:
    """The codes a complete layer of ``level`` holds (98 municipalities, 5 regions); ``None`` where unknown.

    Example
    -------
    >>> len(expected_units("kommune")), sorted(expected_units("region"))[0], expected_units("sogn")
    (98, '1081', None)
    """
    from klyngedata import registry

    lvl = normalize_level(level)
    if lvl == "kommune":
        return set(registry.municipalities()["municipality_code"])
    if lvl == "region":
        return set(registry.regions()["region_code"].dropna())
    return None


def _codes_text(codes: Any, limit: int = 8) -> str:
    codes = sorted(codes)
    more = f", ... ({len(codes)} in all)" if len(codes) > limit else ""
    return ", ".join(codes[:limit]) + more


@dataclass
class LayerCheck:
    """Plausibility of a boundary layer before it is cached: expected units ``missing``, codes that are not
    units of the level (``unknown``), and units of the cached layer it would drop (``dropped``)."""

    level: str
    units: int
    expected: int | None
    missing: set[str]
    unknown: set[str]
    dropped: set[str]
    cached_units: int = 0

    @property
    def partial(self) -> bool:
        """True if the layer lacks expected units or units the cached layer has."""
        return bool(self.missing or self.dropped)

    def describe(self) -> str:
        """What is missing, e.g. ``has 3 of the 98 kommune units; missing 0101, ...``."""
        parts = []
        if self.missing:
            parts.append(f"has {self.units} of the {self.expected} {self.level} units; missing "
                         f"{_codes_text(self.missing)}")
        if self.dropped:
            parts.append(f"would drop {len(self.dropped)} of the {self.cached_units} units of the cached layer "
                         f"({_codes_text(self.dropped)})")
        return "; ".join(parts)


def check_layer(gdf: gpd.GeoDataFrame, cached: gpd.GeoDataFrame | None = None) -> LayerCheck:
    """Compare a normalised layer with the units its level should have and with the cached layer.

    Example
    -------
    >>> import geopandas as gpd, shapely
    >>> raw = gpd.GeoDataFrame({"KOMKODE": ["851"], "KOMNAVN": ["Aalborg"]},
    ...     geometry=[shapely.box(9.9, 57.0, 10.0, 57.1)], crs=4326)  # constructed example
    >>> check_layer(normalize_boundaries(raw)).describe()[:40]
    'has 1 of the 98 kommune units; missing 0'
    """
    lvl = str(gdf["level"].iloc[0])
    codes = set(gdf["code"].astype(str))
    expected = expected_units(lvl)
    known = (expected | NON_MUNICIPAL_CODES) if expected is not None and lvl == "kommune" else expected
    cached_codes = set(cached["code"].astype(str)) if cached is not None else set()
    return LayerCheck(
        level=lvl, units=len(codes), expected=len(expected) if expected is not None else None,
        missing=(expected - codes) if expected is not None else set(),
        unknown=(codes - known) if known is not None else set(),
        dropped=cached_codes - codes, cached_units=len(cached_codes),
    )


@dataclass
class BoundaryImport:
    """Result of :func:`import_boundaries`: cache key, level, number of units, file; ``frame`` is the layer.

    ``warning`` is set when a partial layer was cached on request (``replace=True``)."""

    key: str
    level: str
    units: int
    file: str
    frame: gpd.GeoDataFrame = field(repr=False)
    warning: str = ""

    @property
    def rows(self) -> int:
        """Number of units (one row each)."""
        return self.units

    def __str__(self) -> str:
        text = f"{self.units} {self.level} boundaries from {Path(self.file).name} -> cache {self.key}"
        return f"{text}  WARNING: {self.warning}" if self.warning else text


def import_boundaries(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None,
                      level: str | None = None, *, replace: bool = False) -> BoundaryImport:
    """Read a boundary file, check it and store it in the local cache (``boundaries/<level>``).

    Before caching, the layer must lie inside Denmark (checked in :func:`normalize_boundaries`) and be
    complete: all 98 municipalities or 5 regions, and every unit of the layer already cached. A partial layer
    is refused (:class:`~klyngedata.exceptions.ImportRefused`, naming the missing units) unless
    ``replace=True`` (``klyngedata data import --replace``); it is then cached with ``incomplete`` in its
    metadata and the result carries a warning. Codes that are no unit of the level are always refused.
    ``klyngedata data import PATH`` dispatches boundary files here. Returns a :class:`BoundaryImport`.

    Example
    -------
    >>> str(import_boundaries("../shared/data/geo/kommuner.geojson", data_dir="/tmp/kd"))  # doctest: +SKIP
    '98 kommune boundaries from kommuner.geojson -> cache boundaries/kommune'
    """
    from klyngedata.exceptions import ImportRefused

    gdf = read_boundaries(path, level)
    lvl = str(gdf["level"].iloc[0])
    key = cache_key(lvl)
    cache = _cache(data_dir)
    with cache.lock():
        state, _ = cache.state(key)
        if state == "corrupt" and not replace:
            cache.read(key)  # raises CacheCorrupt naming the entry
        check = check_layer(gdf, cached_boundaries(lvl, data_dir) if state == "ok" else None)
        if check.unknown:
            raise BoundaryError(f"{path}: codes that are no {lvl} unit: {_codes_text(check.unknown)}; "
                                f"the cached layer is unchanged")
        if check.partial and not replace:
            raise ImportRefused(
                f"{path}: a partial {lvl} layer: it {check.describe()}. The cached layer is unchanged. Import a "
                f"complete layer, or use --replace to cache this partial layer anyway (maps then lack the "
                f"missing units).", lost=check.describe())
        meta = {
            "table": f"DAGI {lvl}",
            "source": f"file {Path(path).resolve()}",
            "file": str(Path(path).resolve()),
            "imported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "level": lvl,
            "crs": f"EPSG:{STORAGE_CRS}",
            "units": len(gdf),
            "dropped_non_municipal": gdf.attrs.get("dropped", 0),
        }
        warning = ""
        if check.partial:
            warning = f"partial layer cached on request (--replace): it {check.describe()}"
            meta.update(incomplete=True, missing_units=sorted(check.missing | check.dropped))
            log.warning("%s: %s", path, warning)
        cache.write(key, gdf, meta)
    log.info("imported %d %s boundaries from %s", len(gdf), lvl, path)
    return BoundaryImport(key, lvl, len(gdf), str(Path(path).resolve()), gdf, warning)


def is_boundary_file(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` looks like a boundary file (by suffix) that :func:`import_boundaries` reads.

    Example
    -------
    >>> is_boundary_file("kommuner.geojson"), is_boundary_file("FOLK1A.csv")
    (True, False)
    """
    return Path(path).suffix.lower() in BOUNDARY_SUFFIXES


def cached_boundaries(level: str = "kommune",
                      data_dir: str | os.PathLike[str] | None = None) -> gpd.GeoDataFrame | None:
    """The cached layer of ``level``, or ``None`` if nothing is cached (never fetches).

    Example
    -------
    >>> cached_boundaries("kommune", data_dir="/nonexistent") is None
    True
    """
    cache = _cache(data_dir)
    key = cache_key(level)
    if not cache.exists(key):
        return None
    try:
        gdf = cache.read(key)
    except DataNotAvailable:
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):  # pragma: no cover - cache stores GeoParquet
        raise BoundaryError(f"cache entry {key!r} is not a geographic layer")
    if gdf.crs is None or gdf.crs.to_epsg() != STORAGE_CRS:
        gdf = gdf.set_crs(STORAGE_CRS, allow_override=True) if gdf.crs is None else gdf.to_crs(STORAGE_CRS)
    meta = gdf.attrs.get("provenance") or {}
    if meta.get("incomplete"):
        missing = list(meta.get("missing_units") or [])
        warnings.warn(f"the cached {key} layer is incomplete (imported with --replace): {len(missing)} units are "
                      f"missing ({_codes_text(missing)}); maps lack them", IncompleteLayerWarning, stacklevel=2)
    return gdf


def boundaries(level: str = "kommune", data_dir: str | os.PathLike[str] | None = None, refresh: bool = False,
               api_key: str | None = None) -> gpd.GeoDataFrame:
    """Boundary layer of ``level`` in EPSG:25832: from the cache, else fetched from Datafordeleren's WFS.

    ``refresh=True`` fetches again even if cached (needs an API key). Without cached boundaries and
    without a key (``api_key`` or ``$DATAFORDELER_API_KEY``) it raises :class:`BoundaryError` telling
    how to get them.

    Example
    -------
    >>> kommuner = boundaries("kommune")  # doctest: +SKIP
    >>> kommuner.to_crs(4326).plot()  # doctest: +SKIP
    """
    lvl = normalize_level(level)
    if not refresh:
        cached = cached_boundaries(lvl, data_dir)
        if cached is not None:
            return cached
    key = api_key or os.environ.get(ENV_API_KEY)
    if not key:
        state = "refresh=True needs an API key" if refresh else f"no {lvl} boundaries are cached"
        raise BoundaryError(f"{state} (data dir: {_cache(data_dir).data_dir}). {HOW_TO_GET_BOUNDARIES}")
    client = DatafordelerWFS(api_key=key)
    raw = client.get_features(WFS_TYPENAMES[lvl])
    gdf = normalize_boundaries(raw, lvl, source=f"Datafordeler WFS {WFS_TYPENAMES[lvl]}")
    check = check_layer(gdf, cached_boundaries(lvl, data_dir))
    if check.partial or check.unknown:
        problem = check.describe() or f"has codes that are no {lvl} unit: {_codes_text(check.unknown)}"
        raise BoundaryError(f"Datafordeler WFS {WFS_TYPENAMES[lvl]}: the answer {problem}; not cached "
                            "(the cached layer is unchanged)")
    meta = {
        "table": f"DAGI {lvl}",
        "source": f"Datafordeler WFS {client.base_url} typename {WFS_TYPENAMES[lvl]}",
        "fetched_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "level": lvl,
        "crs": f"EPSG:{STORAGE_CRS}",
        "units": len(gdf),
        "features_fetched": len(raw),
    }
    _cache(data_dir).write(cache_key(lvl), gdf, meta)
    cached = cached_boundaries(lvl, data_dir)
    return cached if cached is not None else gdf


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


class DatafordelerWFS:
    """Minimal WFS 2.0 GetFeature client for Datafordeleren (GeoJSON output, paging, retries).

    * the API key goes in the ``apikey`` query parameter and is never logged or put in error messages;
    * timeouts, connection errors, HTTP 429 and 5xx are retried with exponential backoff (honouring
      ``Retry-After``); 401/403 raise at once (key missing/rejected); other 4xx raise at once;
    * pages of ``page_size`` features are requested with ``count``/``startIndex`` until a short page or
      ``numberMatched`` is reached.

    Example
    -------
    >>> wfs = DatafordelerWFS(api_key="...")  # doctest: +SKIP
    >>> raw = wfs.get_features("dagi_v001:kommuneinddeling_current")  # doctest: +SKIP
    """

    def __init__(self, api_key: str, base_url: str | None = None, *, timeout: float = 60.0,
                 retries: int = 4, backoff: float = 1.0, page_size: int = 1000,
                 srs_name: str = f"EPSG:{STORAGE_CRS}", session: Any = None) -> None:
        import requests

        if not api_key:
            raise BoundaryError(f"a Datafordeler API key is required ({ENV_API_KEY})")
        self.api_key = api_key
        self.base_url = base_url or os.environ.get(ENV_WFS_URL) or DEFAULT_WFS_URL
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.page_size = page_size
        self.srs_name = srs_name
        self.session = session or requests.Session()

    def _params(self, typename: str, start: int) -> dict[str, Any]:
        return {
            "service": "WFS", "version": "2.0.0", "request": "GetFeature", "typeNames": typename,
            "outputFormat": "application/json", "srsName": self.srs_name, "count": self.page_size,
            "startIndex": start, "apikey": self.api_key,
        }

    def _describe(self, typename: str, start: int) -> str:
        return f"GetFeature {typename} startIndex={start} count={self.page_size} at {self.base_url}"

    def _get(self, typename: str, start: int) -> Mapping[str, Any]:
        from klyngedata.http import TransportError, send

        what = self._describe(typename, start)
        try:
            resp = send(self.session, "GET", self.base_url, params=self._params(typename, start),
                        timeout=self.timeout, retries=self.retries, backoff=self.backoff, describe=what,
                        redact=lambda text: _redact(text, self.api_key))
        except TransportError as exc:
            raise BoundaryError(f"Datafordeler WFS {what} failed after {exc.attempts} "
                                f"attempt{'s' if exc.attempts != 1 else ''} "
                                f"({exc.last_problem})") from None
        status = resp.status_code
        if status in (401, 403):
            raise BoundaryError(
                f"Datafordeler WFS refused the API key (HTTP {status}) for {what}. Check {ENV_API_KEY} "
                "and that your Datafordeler user has access to DAGI."
            )
        if status >= 400:
            body = _redact(resp.text[:300], self.api_key)
            raise BoundaryError(f"Datafordeler WFS error HTTP {status} for {what}: {body}")
        text = resp.text
        if text.lstrip().startswith("<"):
            # GeoServer reports errors as an XML ExceptionReport with status 200
            raise BoundaryError(
                f"Datafordeler WFS returned XML instead of GeoJSON for {what}: {_redact(text[:300], self.api_key)}"
            )
        try:
            data = resp.json()
        except ValueError as exc:
            raise BoundaryError(f"Datafordeler WFS returned invalid JSON for {what}: {exc}") from exc
        if not isinstance(data, dict) or "features" not in data:
            raise BoundaryError(f"Datafordeler WFS response for {what} has no 'features' member")
        return data

    def get_features(self, typename: str) -> gpd.GeoDataFrame:
        """All features of ``typename`` as a GeoDataFrame (CRS from the response, else ``srsName``)."""
        features: list[dict] = []
        crs: Any = self.srs_name
        start = 0
        while True:
            data = self._get(typename, start)
            page = data.get("features") or []
            features.extend(page)
            crs_member = data.get("crs")
            if isinstance(crs_member, dict):
                name = (crs_member.get("properties") or {}).get("name")
                if name:
                    crs = name
            matched = data.get("numberMatched")
            start += len(page)
            if len(page) < self.page_size or not page:
                break
            if isinstance(matched, int) and start >= matched:
                break
        if not features:
            raise BoundaryError(f"Datafordeler WFS returned no features for {typename} at {self.base_url}")
        gdf = gpd.GeoDataFrame.from_features(features)
        return gdf.set_crs(_parse_crs(crs), allow_override=True)


def _parse_crs(name: Any) -> Any:
    text = str(name)
    m = re.search(r"EPSG:+(\d+)$", text) or re.search(r"EPSG::?(\d+)", text)
    if "CRS84" in text:
        return WEB_CRS
    return int(m.group(1)) if m else text
