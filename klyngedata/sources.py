"""Parsers for population files a user downloaded, and the file import into the local cache.

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
They are cached under ``population/units``.

Example
-------
>>> from klyngedata.sources import parse_statbank_csv
>>> path = "../shared/data/population/dst_FOLK1AM_area_2021M10-2024M04.csv"
>>> df = parse_statbank_csv(path)  # doctest: +SKIP
>>> df.attrs["provenance"]["table"]  # doctest: +SKIP
'FOLK1AM'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.codes import normalize_municipality_code
from klyngedata.dst.parse import (  # noqa: F401  (re-exported: the parsers' historical home)
    CHRISTIANSOE,
    KEY_COLUMNS,
    TIDY_COLUMNS,
    check_unique,
    format_period,
    map_unique,
    parse_age,
    parse_area,
    parse_counts,
    parse_period,
    parse_sex,
    parse_statbank_csv,
    period_column,
    read_records,
)
from klyngedata.dst.parse import finish as _finish
from klyngedata.exceptions import (
    CacheCorrupt,
    CacheWriteError,
    DataFormatError,
    ImportRefused,
    KlyngedataError,
)
from klyngedata.merge import MergeReport, merge_by_key

UNIT_COLUMNS = ["municipality_code", "unit_type", "unit_code", "unit_name", "sex", "age", "age_open",
                "period", "population"]

# Statistics Denmark lists 411 Christiansø under Region Hovedstaden, and the region's total includes it
# (row order and totals of the FOLK1AM export in shared/data/population, see its README).
CHRISTIANSOE_DST_REGION = "1084"
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
        "periods": sorted({format_period(p) for p in result["period"].unique()}),
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
                               "periods": sorted({format_period(p) for p in out["period"].unique()})}
    return out


def complete_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add the ``sex == "total"`` rows where a file has only male and female (e.g. FRKM projections).

    Existing totals are kept. Rows are only added for (area, age, period) cells where *both* sexes exist.

    Example
    -------
    >>> complete_totals(parse_statbank_csv(b"KOMMUNEDK;K\\xc3\\x98N;ALDER;TID;INDHOLD\\n851;M;0;2030;5\\n"
    ...                                    b"851;K;0;2030;4\\n", file="constructed example"))["sex"].tolist()
    ['male', 'female', 'total']
    """
    keys = ["area_level", "area_code", "age", "age_open", "period"]
    has_total = df[df["sex"] == "total"][keys].drop_duplicates()
    parts = df[df["sex"].isin(["male", "female"])]
    if parts.empty:
        return df
    counts = parts.groupby(keys, dropna=False, sort=False)["sex"].nunique()
    summed = parts.groupby(keys, dropna=False, sort=False)["population"].sum(min_count=2)
    summed = summed[counts == 2].reset_index()
    if not has_total.empty:
        summed = summed.merge(has_total, on=keys, how="left", indicator=True)
        summed = summed[summed["_merge"] == "left_only"].drop(columns="_merge")
    if summed.empty:
        return df
    summed["sex"] = "total"
    summed["municipality_code"] = pd.NA
    attrs = df.attrs
    out = pd.concat([df, _finish(summed)], ignore_index=True)
    out.attrs = attrs
    return out


def complete_age_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add the all-ages rows (``age`` NA) where a file has single years only (an export without ``IALT``).

    A cell (area, sex, period) gets a total only when its ages run without a gap from 0 to an open top group
    or to at least 100, so a partial age selection is never passed off as the whole population.

    Example
    -------
    >>> ages = "".join(f"851;TOT;{a};2024K1;1\\n" for a in range(0, 126))
    >>> out = complete_age_totals(parse_statbank_csv(("OMR\u00c5DE;K\u00d8N;ALDER;TID;INDHOLD\\n" + ages).encode(),
    ...                                              file="constructed example"))
    >>> int(out.loc[out["age"].isna(), "population"].iloc[0])
    126
    """
    keys = ["area_level", "area_code", "sex", "period"]
    singles = df[df["age"].notna()]
    if singles.empty:
        return df
    have_total = df[df["age"].isna()][keys].drop_duplicates()
    singles = singles.assign(_na=singles["population"].isna())
    g = singles.groupby(keys, dropna=False, sort=False)
    stats = g.agg(n=("age", "nunique"), lo=("age", "min"), hi=("age", "max"), top_open=("age_open", "any"),
                  population=("population", "sum"), n_missing=("_na", "sum"))
    stats = stats.reset_index()
    # a '..' year makes the total missing, never a partial sum
    stats["population"] = stats["population"].astype("Int64").where(stats["n_missing"] == 0, pd.NA)
    complete = (stats["lo"] == 0) & (stats["n"] == stats["hi"] + 1) & (stats["top_open"] | (stats["hi"] >= 100))
    summed = stats[complete][keys + ["population"]]
    if not have_total.empty:
        summed = summed.merge(have_total, on=keys, how="left", indicator=True)
        summed = summed[summed["_merge"] == "left_only"].drop(columns="_merge")
    if summed.empty:
        return df
    summed["age"] = pd.array([pd.NA] * len(summed), dtype="Int64")
    summed["age_open"] = False
    summed["municipality_code"] = pd.NA
    attrs = df.attrs
    out = pd.concat([df, _finish(summed)], ignore_index=True)
    out.attrs = attrs
    return out


# ---------------------------------------------------------------------------------------------
# sniffing and import
# ---------------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """Outcome of importing one file: ``status`` is ``"imported"``, ``"skipped"``, ``"failed"`` (the file is
    wrong) or ``"refused"`` (importing it would lose cached data; ``replace=True`` overrides)."""

    path: str
    status: str
    kind: str | None = None
    key: str | None = None
    rows: int | None = None
    message: str = ""


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    # a UTF-16 export is recognised by its header, so that the parser can say which encoding it refuses
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(encoding, errors="replace").split("\n", 1)[0].strip()
    return head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip()


def sniff(path: str | os.PathLike[str]) -> str | None:
    """Classify a file: ``"statbank_csv"``, ``"tidy_population"``, ``"unit_population"``,
    ``"boundaries"``, ``"municipality_groups"``, ``"indicator"`` or ``None`` (not recognised).

    Example
    -------
    >>> sniff("README.md") is None  # doctest: +SKIP
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in BOUNDARY_SUFFIXES:
        return "boundaries"
    if suffix == ".json":
        try:
            head = path.read_text(encoding="utf-8-sig", errors="replace")[:200_000]
        except OSError:
            return None
        if '"geometry"' in head or '"FeatureCollection"' in head or '"Topology"' in head:
            return "boundaries"
        from klyngedata.municipality_groups import is_municipality_groups_file

        if is_municipality_groups_file(path):
            return "municipality_groups"
    if suffix in {".csv", ".txt", ".json"}:
        if suffix in {".csv", ".txt"}:
            first = _first_line(path)
            cols = [c.strip().upper() for c in re.split(r"[;,]", first)]
            if ";" in first and "INDHOLD" in cols or (cols and cols[-1] in {"INDHOLD", "CONTENT"}):
                return "statbank_csv"
            lower = [c.lower() for c in cols]
            if {"municipality_code", "unit_type", "unit_code", "period", "population"} <= set(lower):
                return "unit_population"
            if {"municipality_code", "period", "population"} <= set(lower):
                return "tidy_population"
        try:
            from klyngedata import indicators
        except ImportError:
            return None
        is_ind = getattr(indicators, "is_indicator_file", None)
        if is_ind is not None and is_ind(path):
            return "indicator"
    return None


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
    >>> store_population(parse_statbank_csv("FOLK1A.csv"), data_dir="/tmp/kd")  # doctest: +SKIP
    'population/FOLK1A'
    """
    return _store_population(frame, data_dir, replace=not merge, extra_meta=extra_meta)[0]


def _period_kind(frame: pd.DataFrame) -> str | None:
    if not len(frame):
        return None
    code = frame["period"].iloc[0].freqstr[0]
    return {"Q": "quarterly", "M": "monthly", "Y": "annual", "A": "annual"}.get(code, code)


def _cached_for_merge(cache: Cache, key: str, replace: bool) -> pd.DataFrame | None:
    """The cached entry to merge into (``None`` if there is none). A corrupt entry cannot be merged into: it is
    refused (:class:`CacheCorrupt`) unless the import replaces it."""
    state, _ = cache.state(key)
    if state == "ok":
        return cache.read(key)
    if state == "corrupt" and not replace:
        cache.read(key)  # raises CacheCorrupt naming the entry and the problem
    return None


def _store_population(frame: pd.DataFrame, data_dir, *, replace: bool = False,
                      extra_meta: dict | None = None) -> tuple[str, MergeReport]:
    """Read–merge–write of a population table under the cache lock; returns the key and what changed."""
    prov = dict(frame.attrs.get("provenance", {}))
    table = prov.get("table") or "UNKNOWN"
    where = prov.get("file") or f"table {table}"
    if frame.empty:
        raise DataFormatError(f"{where}: no data rows; the cached {table} is unchanged")
    key = population_key(table)
    cache = Cache(data_dir)
    with cache.lock():
        old = _cached_for_merge(cache, key, replace)
        sources = [prov]
        if old is not None:
            sources = list(old.attrs["provenance"].get("sources", [])) + sources
            if not replace and _period_kind(old) != _period_kind(frame):
                raise ImportRefused(
                    f"{where}: its periods are {_period_kind(frame)} ({format_period(frame['period'].iloc[0])}) "
                    f"but the cached {table} has {_period_kind(old)} periods; a table holds one kind of period. "
                    "Import it with --replace to replace the cached table (or check the file's table name)."
                )
        merged, report = merge_by_key(old[TIDY_COLUMNS] if old is not None else None, frame[TIDY_COLUMNS],
                                      KEY_COLUMNS, ["population"], replace=replace)
        merged = merged.sort_values(["area_level", "area_code", "sex", "age", "period"], na_position="first",
                                    ignore_index=True)
        meta = {
            "table": table,
            "presentation": prov.get("presentation"),
            "periods": sorted({format_period(p) for p in merged["period"].unique()}),
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
        meta.update(extra_meta or {})
        cache.write(key, merged, meta)
    return key, report


UNIT_KEY = ["municipality_code", "unit_type", "unit_code", "sex", "age", "age_open", "period"]


def _store_units(frame: pd.DataFrame, path: Path, data_dir, *, replace: bool = False) -> tuple[str, MergeReport]:
    """Read–merge–write of the unit populations (``population/units``) under the cache lock."""
    if frame.empty:
        raise DataFormatError(f"{path}: no data rows; the cached unit populations are unchanged")
    cache = Cache(data_dir)
    key = "population/units"
    with cache.lock():
        old = _cached_for_merge(cache, key, replace)
        old = old[UNIT_COLUMNS] if old is not None else None
        merged, report = merge_by_key(old, frame[UNIT_COLUMNS], UNIT_KEY, ["population", "unit_name"],
                                      replace=replace)
        cache.write(key, merged, {"table": "units", "file": str(path), "imported_at": _now(),
                                  "periods": sorted({format_period(p) for p in merged["period"].unique()}),
                                  "source": f"unit population file {path.name}"})
    return key, report


def _import_one(path: Path, data_dir, replace: bool = False) -> ImportResult:
    kind = sniff(path)
    if kind is None:
        return ImportResult(str(path), "skipped",
                            message="not a recognised population, boundary or indicator file")
    try:
        if kind in {"statbank_csv", "tidy_population"}:
            frame = parse_statbank_csv(path) if kind == "statbank_csv" else parse_tidy_municipality_csv(path)
            frame = complete_totals(frame)
            key, report = _store_population(frame, data_dir, replace=replace)
            return ImportResult(str(path), "imported", kind, key, len(frame),
                                f"table {frame.attrs['provenance']['table']}: {report}")
        if kind == "unit_population":
            frame = parse_unit_population_csv(path)
            key, report = _store_units(frame, path, data_dir, replace=replace)
            return ImportResult(str(path), "imported", kind, key, len(frame), str(report))
        if kind == "municipality_groups":
            from klyngedata.municipality_groups import import_municipality_groups

            key = import_municipality_groups(path, data_dir)
            rows = (Cache(data_dir).meta(key) or {}).get("rows")
            return ImportResult(str(path), "imported", kind, key, rows, "municipality groups (DST)")
        if kind in ("boundaries", "indicator"):
            if kind == "boundaries":
                from klyngedata.geo.boundaries import import_boundaries as importer
            else:
                from klyngedata.indicators import import_indicator_file as importer
            res = importer(path, data_dir=data_dir, replace=replace)
            return ImportResult(str(path), "imported", kind, getattr(res, "key", None), getattr(res, "rows", None),
                                str(res))
    except CacheWriteError:
        raise  # the data directory cannot be written: no file can be imported, say it once
    except (ImportRefused, CacheCorrupt) as exc:
        return ImportResult(str(path), "refused", kind, message=str(exc))
    except KlyngedataError as exc:
        return ImportResult(str(path), "failed", kind, message=str(exc))
    except (OSError, UnicodeError) as exc:
        return ImportResult(str(path), "failed", kind, message=f"{path}: cannot be read ({exc})")
    return ImportResult(str(path), "skipped", kind, message="unhandled kind")


def import_file(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None,
                *, strict: bool = False, replace: bool = False) -> list[ImportResult]:
    """Import a file (or every recognised file under a directory) into the cache.

    Population files (StatBank CSV exports, the derived tidy file, unit populations) are parsed here;
    boundary files go to ``klyngedata.geo.boundaries.import_boundaries`` and health-indicator files to
    ``klyngedata.indicators.import_indicator_file``. Returns one :class:`ImportResult` per file
    (skipped files included). A single file that is not recognised or fails raises
    :class:`DataFormatError` (:class:`ImportRefused` when importing it would lose cached data); with
    ``strict=True`` so does any failure in a directory.

    Import rules: tables are merged by key (a file's rows replace cached rows with the same key, other cached
    rows are kept); an import that would drop cached data (a boundary layer with fewer units) is refused.
    ``replace=True`` (``klyngedata data import --replace``) replaces each cached table or layer by the file's
    contents and the result says what was dropped. A data directory that cannot be written raises
    :class:`~klyngedata.exceptions.CacheWriteError`.

    Example
    -------
    >>> [r.key for r in import_file("../shared/data/population", data_dir="/tmp/kd")]  # doctest: +SKIP
    ['population/FOLK1AM', 'population/FOLK1AM']
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file or directory")
    if path.is_dir():
        files: Iterable[Path] = sorted(
            p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
        )
        results = [_import_one(p, data_dir, replace) for p in files]
        failed = [r for r in results if r.status == "failed"]
        if strict and failed:
            raise DataFormatError("; ".join(f"{r.path}: {r.message}" for r in failed))
        return results
    result = _import_one(path, data_dir, replace)
    if result.status != "imported":
        message = result.message if result.message.startswith(str(path)) else f"{path}: {result.message}"
        raise (ImportRefused if result.status == "refused" else DataFormatError)(message)
    return [result]


def results_frame(results: list[ImportResult]) -> pd.DataFrame:
    """Import results as a DataFrame (path, status, kind, key, rows, message).

    Example
    -------
    >>> results_frame([ImportResult("a.csv", "skipped")])["status"].tolist()
    ['skipped']
    """
    return pd.DataFrame([r.__dict__ for r in results],
                        columns=["path", "status", "kind", "key", "rows", "message"])


def to_json(results: list[ImportResult]) -> str:
    """Import results as JSON text (for logs)."""
    return json.dumps([r.__dict__ for r in results], ensure_ascii=False)
