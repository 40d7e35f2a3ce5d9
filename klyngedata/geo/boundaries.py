"""Administrative boundaries (DAGI): loaders for files a user has, the Datafordeler WFS, and the cache.

Normalised schema (one row per unit, dissolved by code), returned by every loader here:

* ``level`` – ``"kommune"``, ``"region"``, ``"sogn"`` or ``"postnummer"``;
* ``code`` – canonical code: municipality ``"0851"`` (:func:`klyngedata.vocabulary.codes.normalize_municipality_code`),
  region ``"1081"`` (:func:`klyngedata.vocabulary.codes.normalize_region_code`), parish 4-digit ``"7033"``,
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

Modules: :mod:`klyngedata.geo.dagi_files` (levels, reading and normalising files) and
:mod:`klyngedata.geo.wfs` (the Datafordeler client); this module holds the cache, the layer checks, the
import and :func:`boundaries` (their public names are re-exported here).

Example
-------
Needs the DAGI boundary files of the shared data; not run as a doctest.
>>> from klyngedata.geo.boundaries import read_boundaries
>>> gdf = read_boundaries("../shared/data/geo/kommuner.geojson")  # doctest: +SKIP
>>> len(gdf), gdf.crs.to_epsg(), gdf.loc[gdf.code == "0851", "name"].item()  # doctest: +SKIP
(98, 25832, 'Aalborg')
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from klyngedata import settings
from klyngedata.exceptions import BoundaryError, DataNotAvailable
from klyngedata.geo.dagi_files import (  # noqa: F401  (re-exported: the boundary API's one home)
    BOUNDARY_SUFFIXES,
    DEFAULT_WFS_URL,
    DENMARK_25832,
    DENMARK_LONLAT,
    ENV_API_KEY,
    ENV_WFS_URL,
    GET_BOUNDARIES_HINT,
    HOW_TO_GET_BOUNDARIES,
    LEVELS,
    NON_MUNICIPAL_CODES,
    STORAGE_CRS,
    WEB_CRS,
    WFS_TYPENAMES,
    IncompleteLayerWarning,
    cache_key,
    detect_level,
    normalize_boundaries,
    normalize_level,
    read_boundaries,
    read_topojson,
)
from klyngedata.geo.wfs import (  # noqa: F401  (re-exported: the boundary API's one home)
    DatafordelerWFS,
)

log = logging.getLogger(__name__)


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
    Needs the DAGI boundary files of the shared data; not run as a doctest.
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
        from klyngedata.geo.vintages import file_vintage

        vintage = file_vintage(path)
        if vintage:
            meta["vintage_da"] = vintage
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
    Needs the boundaries imported into the data directory; not run as a doctest.
    >>> kommuner = boundaries("kommune")  # doctest: +SKIP
    >>> kommuner.to_crs(4326).plot()  # doctest: +SKIP
    """
    lvl = normalize_level(level)
    if not refresh:
        cached = cached_boundaries(lvl, data_dir)
        if cached is not None:
            return cached
    key = api_key or settings.current().datafordeler_api_key
    if not key:
        state = "refresh=True needs an API key" if refresh else f"no {lvl} boundaries are cached"
        log.info("boundaries: data directory %s", _cache(data_dir).data_dir)
        raise BoundaryError(f"{state}: {GET_BOUNDARIES_HINT}.")
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
