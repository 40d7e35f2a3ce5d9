"""Health tables in the cache: one entry per table (``health/<TABLE>``), merged by key, with provenance.

* :func:`fetch_and_store` fetches a catalogue table (:mod:`klyngedata.dst.health_fetch`) unless the cached copy
  is as new as the table's ``updated`` stamp, and merges it into the cache;
* :func:`import_health_file` reads a StatBank CSV export (:func:`klyngedata.dst.health_parse.read_export`) and
  merges it the same way;
* :func:`load_health_table` returns a cached table in the tidy schema documented in
  :mod:`klyngedata.dst.health_parse` (``df.attrs["provenance"]`` = the entry's metadata);
* :func:`health_status` lists the cached tables with their newest period and fetch time.

Merging follows the import rule (:mod:`klyngedata.merge`): rows with the same key (area, sex, age band, measure,
period) are replaced, other cached rows kept. A table whose *shape* changed between releases – another kind of
period or value, or age bands that neither contain nor are contained in the cached ones (re-banded ages) – is
refused (:class:`~klyngedata.exceptions.ImportRefused`) unless ``replace=True``, which replaces the entry whole.

Metadata of an entry: ``table``, ``title``, ``unit``, ``value`` (``count``/``rate``), ``periods`` (in time
order), ``newest``, ``updated`` (the table's own stamp, Danish local time made explicit), ``fetched_at`` or
``file`` + ``imported_at``, ``source``, ``sources`` (the last fetches and imports), ``footnote``, ``measures``
(key → [StatBank value id, Danish text]), ``missing_optional``, ``left_out`` (areas klyngedata does not know),
``shape``, ``derived_totals``.

Example
-------
Needs the table fetched or imported into the data directory; not run as a doctest.
>>> load_health_table("FOD207", data_dir="/tmp/kd")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from klyngedata.cache import HOW_TO_GET_DATA, Cache
from klyngedata.dst.health_fetch import fetch_health_table, sort_periods
from klyngedata.dst.health_parse import COLUMNS, KEY, read_export
from klyngedata.dst.health_tables import TABLES
from klyngedata.dst.health_tables import table as catalogue_table
from klyngedata.dst.metadata import parse_updated
from klyngedata.exceptions import DataFormatError, ImportRefused
from klyngedata.merge import MergeReport, merge_by_key
from klyngedata.sources import _cached_for_merge
from klyngedata.vocabulary import period_kind

PREFIX = "health/"
SOURCES_KEPT = 20


def health_key(table: str) -> str:
    """Cache key of a health table.

    >>> health_key("fod207")
    'health/FOD207'
    """
    return PREFIX + catalogue_table(table).id


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def data_shape(frame: pd.DataFrame) -> dict[str, Any]:
    """What must agree between a cached table and new rows: period kind, value kind and the age bands.

    >>> data_shape(pd.DataFrame({"period": ["2024"], "value": pd.array([1], dtype="Int64"),
    ...     "age_lo": pd.array([85], dtype="Int64"), "age_hi": pd.array([pd.NA], dtype="Int64"),
    ...     "age_total": [False]}))
    {'period_kind': 'year', 'value': 'count', 'age_bands': ['85+']}
    """
    bands = {("total" if t else f"{lo}+" if pd.isna(hi) else f"{lo}-{hi}" if hi != lo else f"{lo}")
             for lo, hi, t in zip(frame["age_lo"], frame["age_hi"], frame["age_total"], strict=True)}
    bands.discard("total")
    return {"period_kind": period_kind(frame["period"].iloc[0]) if len(frame) else None,
            "value": "count" if str(frame["value"].dtype) == "Int64" else "rate",
            "age_bands": sorted(bands, key=lambda b: (int(b.split("-")[0].rstrip("+")), b))}


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Why rows of shape ``new`` cannot be merged into a table of shape ``old`` (None when they can)."""
    for what in ("period_kind", "value"):
        if old.get(what) and new.get(what) and old[what] != new[what]:
            return f"its {what.replace('_', ' ')} is {new[what]} but the cached table's is {old[what]}"
    a, b = set(old.get("age_bands") or []), set(new.get("age_bands") or [])
    if a and b and not (a <= b or b <= a):
        return (f"its age bands ({', '.join(sorted(b - a)[:6])} …) are not the cached ones "
                f"({', '.join(sorted(a - b)[:6])} …): the table was re-banded")
    return None


def store_health_table(frame: pd.DataFrame, data_dir: str | os.PathLike[str] | None = None, *,
                       replace: bool = False) -> tuple[str, MergeReport]:
    """Merge a tidy health frame (with ``attrs["provenance"]``) into its cache entry; returns the key and what
    changed. Refuses a changed shape (:class:`ImportRefused`) unless ``replace=True``.

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> store_health_table(fetch_health_table("FOD207"), data_dir="/tmp/kd")  # doctest: +SKIP
    """
    prov = dict(frame.attrs.get("provenance") or {})
    table = catalogue_table(prov["table"])
    where = prov.get("file") or f"table {table.id}"
    if frame.empty:
        raise DataFormatError(f"{where}: no data rows; the cached {table.id} is unchanged")
    key = health_key(table.id)
    cache = Cache(data_dir)
    with cache.lock():
        old = _cached_for_merge(cache, key, replace)  # a corrupt entry is refused unless replaced
        old_meta = dict(old.attrs.get("provenance") or {}) if old is not None else {}
        shape = data_shape(frame)
        if old is not None and not replace and (why := _changed(old_meta.get("data_shape") or {}, shape)):
            raise ImportRefused(f"{where}: {why}. The cached {table.id} is unchanged; fetch or import with "
                                "--replace to replace it.", lost=f"the cached {table.id}")
        merged, report = merge_by_key(old[COLUMNS] if old is not None else None, frame[COLUMNS], KEY, ["value"],
                                      replace=replace)
        merged = merged.sort_values(["area_level", "area_code", "measure", "sex", "age_total", "age_lo", "period"],
                                    ignore_index=True)
        periods = sort_periods(merged["period"].unique().tolist())
        measures = {**(old_meta.get("measures") or {}), **(prov.get("measures") or {})}
        meta = {
            **{k: v for k, v in old_meta.items() if k in ("updated", "footnote", "unit", "fetched_at")},
            "table": table.id, "title": prov.get("title") or table.title_da, "value": table.value,
            "periods": periods, "newest": periods[-1], "measures": measures,
            "source": f"Statistics Denmark (Danmarks Statistik), table {table.id}",
            "sources": ([*old_meta.get("sources", []), {k: v for k, v in prov.items() if k != "shape"}]
                        [-SOURCES_KEPT:]),
            "data_shape": data_shape(merged), "shape": prov.get("shape"),
            **{k: prov[k] for k in ("missing_optional", "left_out", "derived_totals") if k in prov},
        }
        for k in ("updated", "footnote", "unit", "fetched_at"):
            if prov.get(k) is not None:
                meta[k] = prov[k]
        if "file" in prov:
            meta.update(file=prov["file"], imported_at=_now())
        cache.write(key, merged, meta)
    return key, report


def load_health_table(table: str, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """A cached health table in the tidy schema of :mod:`klyngedata.dst.health_parse`; provenance in
    ``attrs["provenance"]``. Not cached: :class:`~klyngedata.exceptions.DataNotAvailable` saying how to get it.

    Example
    -------
    Needs the table fetched or imported into the data directory; not run as a doctest.
    >>> deaths = load_health_table("FOD207", data_dir="/tmp/kd")  # doctest: +SKIP
    >>> deaths[deaths["age_total"] & (deaths["sex"] == "total")]  # doctest: +SKIP
    """
    t = catalogue_table(table)
    cache = Cache(data_dir)
    frame = cache.read(health_key(t.id), hint=f"Get it with `klyngedata data fetch --table {t.id}` or import a "
                                              f"StatBank CSV export of {t.id} with `klyngedata data import FILE`. "
                                              + HOW_TO_GET_DATA)
    return frame[COLUMNS]


def health_status(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per cached health table: ``table``, ``title``, ``newest`` (period), ``periods`` (count),
    ``fetched_at`` (or ``imported_at``), ``updated`` (the table's stamp), ``rows``, ``file``.

    Example
    -------
    >>> import tempfile
    >>> health_status(tempfile.mkdtemp()).empty
    True
    """
    cache = Cache(data_dir)
    rows = []
    for key in cache.keys():
        if not key.startswith(PREFIX):
            continue
        meta = cache.meta(key) or {}
        rows.append({"table": key[len(PREFIX):], "title": meta.get("title"), "newest": meta.get("newest"),
                     "periods": len(meta.get("periods") or []), "fetched_at": meta.get("fetched_at"),
                     "imported_at": meta.get("imported_at"), "updated": meta.get("updated"),
                     "rows": meta.get("rows"), "file": meta.get("file"), "state": cache.state(key)[0]})
    return pd.DataFrame(rows, columns=["table", "title", "newest", "periods", "fetched_at", "imported_at",
                                       "updated", "rows", "file", "state"])


def import_health_file(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None, *,
                       replace: bool = False, table: str | None = None) -> tuple[str, MergeReport, pd.DataFrame]:
    """Import a StatBank CSV export of a catalogue table; returns the key, what changed and the frame read.

    Example
    -------
    Needs a StatBank export of the table; not run as a doctest.
    >>> import_health_file("FOD207.csv", data_dir="/tmp/kd")  # doctest: +SKIP
    """
    frame = read_export(path, catalogue_table(table) if table else None)
    key, report = store_health_table(frame, data_dir, replace=replace)
    return key, report, frame


def fetch_and_store(table: str, *, data_dir: str | os.PathLike[str] | None = None, client: Any = None,
                    listing: Sequence[Mapping[str, Any]] | None = None, refresh: bool = False,
                    replace: bool = False, progress: Callable[[int, int], None] | None = None
                    ) -> tuple[str, MergeReport | None]:
    """Fetch a catalogue table and merge it into the cache; ``(key, None)`` when the cached copy is as new as
    the table's ``updated`` stamp (``refresh=True`` fetches anyway). A changed table is refused with one Danish
    sentence (:class:`~klyngedata.dst.health_resolve.TableShapeChanged`) before anything is written.

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> fetch_and_store("FOD207", data_dir="/tmp/kd")  # doctest: +SKIP
    ('health/FOD207', MergeReport(...))
    """
    from klyngedata.dst.client import StatBankClient

    t = catalogue_table(table)
    client = client or StatBankClient()
    info = client.tableinfo(t.id)
    key = health_key(t.id)
    meta = Cache(data_dir).meta(key) or {}
    updated = parse_updated(info.get("updated"))
    if not refresh and meta.get("fetched_at") and updated is not None and meta.get("updated") == updated.isoformat():
        return key, None
    frame = fetch_health_table(t.id, client, listing=listing, info=info, progress=progress)
    return store_health_table(frame, data_dir, replace=replace)


def known_tables() -> list[str]:
    """The catalogue's table ids.

    >>> known_tables()[:2]
    ['FOD207', 'FOLK1B']
    """
    return list(TABLES)


def cached_health_table(table: str, data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``table`` is cached (complete).

    >>> import tempfile
    >>> cached_health_table("FOD207", tempfile.mkdtemp())
    False
    """
    return Cache(data_dir).exists(health_key(table))


__all__ = ["cached_health_table", "data_shape", "fetch_and_store", "health_key",
           "health_status", "import_health_file", "known_tables", "load_health_table", "store_health_table"]
