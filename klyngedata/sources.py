"""Parsers for population files a user downloaded and their storage in the cache (the import dispatcher
over all kinds of files is :mod:`klyngedata.importing`).

One tidy schema for every population source (StatBank CSV exports in any value presentation, the
FOLK1AM area export, the derived monthly municipality file, API pulls):

=================  ==========================================================================
column             meaning
=================  ==========================================================================
area_level         ``"country"`` | ``"region"`` | ``"municipality"`` (Christiansø ``0411`` is
                   kept at municipality level although it is not a municipality)
area_code          ``"DK"`` | region ``"1081"``..``"1085"`` | municipality ``"0851"``
municipality_code  same as ``area_code`` for municipality rows, NA otherwise
sex                ``"total"`` | ``"male"`` | ``"female"``
age                Int64 single year; NA = all ages
age_open           bool; True for an open top group such as ``100-`` ("100 år og derover")
period             pandas Period: freq Q (FOLK1A), M (FOLK1AM), Y (projections)
population         Int64 persons (NA where StatBank printed ``..``)
=================  ==========================================================================

``frame.attrs["provenance"]`` is a dict with ``table``, ``presentation`` (``Code`` | ``Value`` |
``CodeAndValue`` | ``tidy``), ``file`` (or ``fetched_at``), ``periods``, ``lang``.

Unit populations (the population of sub-municipal units such as København's bydele, needed to allocate a
split municipality to clusters) use this import format – a comma- or semicolon-separated file with the
header columns ``municipality_code, unit_type, unit_code, period, population`` and optionally ``sex``,
``age`` (``unit_name`` is allowed). ``period`` uses StatBank notation (``2024K1``, ``2024M01``, ``2024``).
They are cached under ``population/units``. The unit code ``uden-for-inddeling`` (:data:`UNPLACED_UNIT`) holds the
residents the source places in no unit; with it the units account for the whole municipality, and what the
municipality has beyond its member units is in no cluster (see :mod:`klyngedata.population`). Københavns Kommune's
bydel populations are fetched into the same entry (:mod:`klyngedata.dst.kk_bydel`).

Example
-------
Needs a StatBank export; not run as a doctest.
>>> from klyngedata.sources import parse_statbank_csv
>>> path = "../shared/data/population/dst_FOLK1AM_area_2021M10-2024M04.csv"
>>> df = parse_statbank_csv(path)  # doctest: +SKIP
>>> df.attrs["provenance"]["table"]  # doctest: +SKIP
'FOLK1AM'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.compact import release_memory
from klyngedata.dst.parse import (  # noqa: F401  (re-exported: the parsers' historical home)
    KEY_COLUMNS,
    TEXT_COLUMNS,
    TIDY_COLUMNS,
    check_unique,
    map_unique,
    parse_age,
    parse_area,
    parse_counts,
    parse_statbank_csv,
    period_column,
    read_records,
)
from klyngedata.dst.parse import finish as _finish
from klyngedata.dst.totals import complete_age_totals, complete_totals  # noqa: F401  (re-exported)
from klyngedata.exceptions import (
    DataFormatError,
    ImportRefused,
)
from klyngedata.merge import MergeReport, merge_by_key
from klyngedata.vocabulary import parse_period, parse_sex, period_code
from klyngedata.vocabulary.codes import CHRISTIANSOE, normalize_municipality_code

UNPLACED_UNIT = "uden-for-inddeling"
"""Unit code of the residents a source places in no unit (Københavns Kommune: "Bydel - Uden for inddeling")."""
UNIT_COLUMNS = ["municipality_code", "unit_type", "unit_code", "unit_name", "sex", "age", "age_open",
                "period", "population"]

# Statistics Denmark lists 411 Christiansø under Region Hovedstaden, and the region's total includes it
# (row order and totals of the FOLK1AM export in shared/data/population, see its README).
_TABLE_RE = re.compile(r"(FOLK1AM|FOLK1A|FRKM1\d\d|FRDK1\d\d|BEF\w*)", re.IGNORECASE)

BOUNDARY_SUFFIXES = {".geojson", ".gpkg", ".shp", ".topojson"}


def _municipality_code(value: object) -> str:
    """A municipality code that exists (Christiansø 0411 included); raises ValueError/LookupFailed otherwise."""
    code = normalize_municipality_code(value)
    if code != CHRISTIANSOE:
        from klyngedata import registry

        registry.municipality(code)
    return code


def _tidy_frame(path: str | os.PathLike[str], required: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    frame, file, _ = read_records(path, sep=None)
    frame.columns = [c.strip().lower() for c in frame.columns]
    for col in required:
        if col not in frame.columns:
            raise DataFormatError(f"{file}, row 1: missing column {col!r} (header: {', '.join(frame.columns)})")
    return frame, file


def parse_tidy_municipality_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Parse the derived tidy monthly file (``municipality_code,...,period,population``).

    The same rules as for StatBank exports apply (:mod:`klyngedata.dst.parse`): counts as digits, ``..`` =
    missing, no duplicate (municipality, sex, age, period), a complete last row.

    Example
    -------
    Needs the population files of the shared data; not run as a doctest.
    >>> parse_tidy_municipality_csv(
    ...     "../shared/data/population/derived_municipality_population_monthly_2021M10-2024M04.csv"
    ... )  # doctest: +SKIP
    """
    path = Path(path)
    frame, file = _tidy_frame(path, ("municipality_code", "period", "population"))
    codes = map_unique(frame["municipality_code"], _municipality_code, "municipality code", file,
                       "municipality_code")
    out = pd.DataFrame({"area_level": "municipality", "area_code": frame["municipality_code"].map(codes)})
    _add_tidy_columns(out, frame, file)
    check_unique(out[KEY_COLUMNS], file, [c for c in ("municipality_code", "sex", "age", "period")
                                          if c in frame.columns])
    out["municipality_code"] = pd.NA
    result = _finish(out)
    freq = result["period"].iloc[0].freqstr[0] if len(result) else ""
    result.attrs["provenance"] = {
        "table": _TABLE_RE.search(path.name).group(1).upper() if _TABLE_RE.search(path.name)
        else {"M": "FOLK1AM", "Q": "FOLK1A"}.get(freq, "UNKNOWN"),
        "presentation": "tidy",
        "file": file,
        "periods": sorted({period_code(p) for p in result["period"].unique()}),
    }
    return result


def _add_tidy_columns(out: pd.DataFrame, frame: pd.DataFrame, file: str) -> None:
    """Parse the optional ``sex``/``age`` and the required ``period``/``population`` columns of a tidy file."""
    out["sex"] = (frame["sex"].map(map_unique(frame["sex"], parse_sex, "sex", file, "sex"))
                  if "sex" in frame.columns else "total")
    if "age" in frame.columns:
        ages = frame["age"].map(map_unique(frame["age"], parse_age, "age", file, "age"))
        out["age"] = pd.array([a for a, _ in ages], dtype="Int64")
        out["age_open"] = [o for _, o in ages]
    else:
        out["age"] = pd.array([pd.NA] * len(frame), dtype="Int64")
        out["age_open"] = False
    per = map_unique(frame["period"], parse_period, "period", file, "period")
    out["period"] = period_column(frame["period"], per, file, "period")
    out["population"] = parse_counts(frame["population"], file, "population")


def parse_unit_population_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Parse a unit-population file (``municipality_code, unit_type, unit_code, period, population``
    [``, unit_name, sex, age``]) into :data:`UNIT_COLUMNS`.

    Example
    -------
    Needs a unit population file; not run as a doctest.
    >>> parse_unit_population_csv("bydele.csv")  # doctest: +SKIP
    """
    path = Path(path)
    frame, file = _tidy_frame(path, ("municipality_code", "unit_type", "unit_code", "period", "population"))
    codes = map_unique(frame["municipality_code"], _municipality_code, "municipality code", file,
                       "municipality_code")
    out = pd.DataFrame({"municipality_code": frame["municipality_code"].map(codes).astype("string")})
    out["unit_type"] = frame["unit_type"].str.strip().astype("string")
    out["unit_code"] = frame["unit_code"].str.strip().astype("string")
    names = frame["unit_name"] if "unit_name" in frame.columns else frame["unit_code"]
    out["unit_name"] = names.astype("string")
    _add_tidy_columns(out, frame, file)
    out["sex"] = out["sex"].astype("string")
    check_unique(out[["municipality_code", "unit_type", "unit_code", "sex", "age", "age_open", "period"]], file,
                 [c for c in ("municipality_code", "unit_type", "unit_code", "sex", "age", "period")
                  if c in frame.columns])
    out = out[UNIT_COLUMNS].reset_index(drop=True)
    out.attrs["provenance"] = {"table": "units", "presentation": "tidy", "file": file,
                               "periods": sorted({period_code(p) for p in out["period"].unique()})}
    return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def population_key(table: str) -> str:
    """Cache key of a population table (``"population/FOLK1A"``).

    Example
    -------
    >>> population_key("folk1am")
    'population/FOLK1AM'
    """
    return f"population/{table.upper()}"


def store_population(frame: pd.DataFrame, data_dir: str | os.PathLike[str] | None = None, *,
                     merge: bool = True, extra_meta: dict | None = None) -> str:
    """Write a tidy population frame into the cache, merged by key with the cached entry of the same table.

    New rows replace cached rows with the same area, sex, age and period; cached rows the frame does not
    carry are kept. ``merge=False`` replaces the table whole. Returns the cache key.

    Example
    -------
    Needs a StatBank export; not run as a doctest.
    >>> store_population(parse_statbank_csv("FOLK1A.csv"), data_dir="/tmp/kd")  # doctest: +SKIP
    'population/FOLK1A'
    """
    return _store_population(frame, data_dir, replace=not merge, extra_meta=extra_meta)[0]


def _period_kind(frame: pd.DataFrame) -> str | None:
    if not len(frame):
        return None
    code = frame["period"].iloc[0].freqstr[0]
    return {"Q": "quarterly", "M": "monthly", "Y": "annual", "A": "annual"}.get(code, code)


def _cached_for_merge(cache: Cache, key: str, replace: bool, categorical: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """The cached entry to merge into (``None`` if there is none; ``categorical``: these text columns as
    categories). A corrupt entry cannot be merged into: it is refused (:class:`CacheCorrupt`) unless the import
    replaces it."""
    state, _ = cache.state(key)
    if state == "ok":
        return cache.read(key, categorical=categorical)
    if state == "corrupt" and not replace:
        cache.read(key)  # raises CacheCorrupt naming the entry and the problem
    return None


IMPORT_FORMAT = 1
"""Part of every import's fingerprint: raise it when a change to the parsers may read the same bytes into other rows,
so that files imported before are parsed again."""


def import_fingerprint(path: Path) -> str:
    """What identifies an imported population file: its content (SHA-256, read in chunks), its name (the table
    may be read from it) and :data:`IMPORT_FORMAT`.

    Example
    -------
    >>> import tempfile
    >>> constructed = Path(tempfile.mkdtemp()) / "FOLK1A.csv"
    >>> _ = constructed.write_bytes(b"constructed")
    >>> import_fingerprint(constructed)[:16]
    'dbbb45f8b8808f24'
    """
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return f"{digest}:{path.name}:{IMPORT_FORMAT}"


def already_imported(fingerprint: str, path: Path, data_dir, *, replace: bool = False
                     ) -> tuple[str, MergeReport, int, str] | None:
    """``(key, report, rows, table)`` when the last write of a cached population table was the import of a file
    with this fingerprint: its rows are cached as they are, so importing it again changes nothing and the file is
    not parsed again (the entry's metadata records the new import). ``None`` otherwise: import it.

    With ``replace`` only when the table holds nothing but that file's rows. Checked under the cache lock.
    """
    cache = Cache(data_dir)
    if not cache.root.is_dir():
        return None
    with cache.lock():
        for key in cache.keys():
            if not key.startswith("population/") or key == UNIT_KEY_CACHE:
                continue
            meta = cache.meta(key)  # None when missing or damaged (the import then says what is wrong)
            record = (meta or {}).get("last_import") or {}
            if record.get("fingerprint") != fingerprint:
                continue
            if replace and meta.get("rows") != record.get("rows"):
                return None  # replacing drops the other rows: a real import says which
            prov = {**record["provenance"], "file": str(path)}
            cache.update_meta(key, file=str(path), imported_at=_now(), sources=[*meta.get("sources", []), prov])
            report = MergeReport(updated=record["rows"], kept=meta["rows"] - record["rows"], replaced=replace)
            return key, report, record["rows"], record["table"]
    return None


def _store_population(frame: pd.DataFrame, data_dir, *, replace: bool = False,
                      extra_meta: dict | None = None, fingerprint: str | None = None) -> tuple[str, MergeReport]:
    """Read–merge–write of a population table under the cache lock; returns the key and what changed.
    ``fingerprint``: the imported file's (:func:`import_fingerprint`), recorded so that importing the same file
    again is recognised (:func:`already_imported`)."""
    prov = dict(frame.attrs.get("provenance", {}))
    table = prov.get("table") or "UNKNOWN"
    where = prov.get("file") or f"table {table}"
    if frame.empty:
        raise DataFormatError(f"{where}: no data rows; the cached {table} is unchanged")
    key = population_key(table)
    cache = Cache(data_dir)
    frame, rows = _finish(frame, compact=True), len(frame)  # text as categories: merged and sorted on codes
    with cache.lock():
        old = _cached_for_merge(cache, key, replace, TEXT_COLUMNS)
        sources = [prov]
        if old is not None:
            sources = list(old.attrs["provenance"].get("sources", [])) + sources
            if not replace and _period_kind(old) != _period_kind(frame):
                raise ImportRefused(
                    f"{where}: its periods are {_period_kind(frame)} ({period_code(frame['period'].iloc[0])}) "
                    f"but the cached {table} has {_period_kind(old)} periods; a table holds one kind of period. "
                    "Import it with --replace to replace the cached table (or check the file's table name)."
                )
        merged, report = merge_by_key(old[TIDY_COLUMNS] if old is not None else None, frame, KEY_COLUMNS,
                                      ["population"], replace=replace,
                                      sort=["area_level", "area_code", "sex", "age", "period"])
        del old, frame
        release_memory()
        meta = {
            "table": table,
            "presentation": prov.get("presentation"),
            "periods": sorted({period_code(p) for p in merged["period"].unique()}),
            "source": "Statistics Denmark (Danmarks Statistik), table " + table,
            "sources": sources,
            # whether the table holds a sex/age breakdown: a refresh fetches the same detail again
            "by_sex_age": bool(merged["age"].notna().any() or (merged["sex"] != "total").any()),
        }
        if "fetched_at" in prov:
            meta["fetched_at"] = prov["fetched_at"]
        if "file" in prov:
            meta["file"] = prov["file"]
            meta["imported_at"] = _now()
        if fingerprint is not None:
            meta["last_import"] = {"fingerprint": fingerprint, "rows": rows, "table": table, "provenance": prov}
        meta.update(extra_meta or {})
        cache.write(key, merged, meta, as_strings=TEXT_COLUMNS)  # the cached table's text columns are strings
    return key, report


UNIT_KEY = ["municipality_code", "unit_type", "unit_code", "sex", "age", "age_open", "period"]
UNIT_KEY_CACHE = "population/units"


def _store_units(frame: pd.DataFrame, path: Path | None, data_dir, *, replace: bool = False,
                 origin: dict | None = None) -> tuple[str, MergeReport]:
    """Read–merge–write of the unit populations (``population/units``) under the cache lock.

    ``path``: the imported file; ``origin`` instead for a fetch: ``table``, ``source`` (e.g. "Københavns Kommune,
    Statistikbanken, KKBEF1"), ``fetched_at`` and whatever else the entry's metadata should say.
    """
    where = str(path) if path is not None else (origin or {}).get("source", "unit populations")
    if frame.empty:
        raise DataFormatError(f"{where}: no data rows; the cached unit populations are unchanged")
    cache = Cache(data_dir)
    key = UNIT_KEY_CACHE
    with cache.lock():
        old = _cached_for_merge(cache, key, replace)
        sources = list(old.attrs["provenance"].get("sources", [])) if old is not None else []
        old = old[UNIT_COLUMNS] if old is not None else None
        merged, report = merge_by_key(old, frame[UNIT_COLUMNS], UNIT_KEY, ["population", "unit_name"],
                                      replace=replace)
        periods = sorted({period_code(p) for p in merged["period"].unique()})
        if path is not None:
            this = {"file": str(path), "imported_at": _now(), "source": f"unit population file {path.name}"}
        else:
            this = dict(origin or {})
        meta = {**this, "table": "units", "periods": periods,
                "sources": [s for s in sources if s.get("source") != this.get("source")] + [this]}
        cache.write(key, merged, meta)
    return key, report


def store_units(frame: pd.DataFrame, data_dir=None, *, origin: dict) -> tuple[str, MergeReport]:
    """Merge unit populations (:data:`UNIT_COLUMNS`) fetched from a source into the cache entry an imported
    unit-population file uses (``population/units``): rows with the same key are replaced, others kept.

    Example
    -------
    Needs unit populations fetched from a source; not run as a doctest.
    >>> store_units(frame, "/tmp/kd", origin={"table": "KKBEF1", "source": "Københavns Kommune, Statistikbanken, "
    ...             "KKBEF1", "fetched_at": "2026-12-07T08:00:00+00:00"})  # doctest: +SKIP
    ('population/units', ...)
    """
    return _store_units(frame, None, data_dir, origin=origin)
