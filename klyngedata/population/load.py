"""The population tables in the cache: which table serves a request (FOLK1A, FOLK1AM, the newest FRKM),
fetching from StatBank when online, the daily re-check, and reading only the rows a selection uses."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Iterable
from typing import Any

import pandas as pd

from klyngedata import settings
from klyngedata.cache import GET_DATA_HINT, HOW_TO_GET_DATA, Cache
from klyngedata.exceptions import DataNotAvailable, DstApiError, KlyngedataError, KlyngedataWarning, warn
from klyngedata.formatting import datetime_da
from klyngedata.sources import (
    population_key,
    store_population,
)
from klyngedata.vocabulary import parse_period, period_text_da

ENV_OFFLINE = settings.VARIABLES["offline"]
RECHECK_AFTER = dt.timedelta(days=1)
SHARE_TOLERANCE = 1e-6
AGE_GROUPS = {
    "broad": [0, 18, 65, 80],
    "5y": list(range(0, 101, 5)),
}
UNALLOCATED_SUFFIX = ":ikke-fordelt"
NO_CLUSTER_SUFFIX = ":ingen-klynge"
# what `klyngedata data fetch` pulls by default: table -> by sex and age?
DEFAULT_FETCH = {"FOLK1A": True, "FOLK1AM": False, "FRKM": True}

log = logging.getLogger(__name__)


class PopulationWarning(KlyngedataWarning):
    """Warnings about population data (stale cache, unallocated split municipalities, source mismatches), in
    Danish, raised at the analyst's line of code (:func:`klyngedata.exceptions.warn`)."""




# ---------------------------------------------------------------------------------------------
# cache and fetching
# ---------------------------------------------------------------------------------------------
def _offline() -> bool:
    return settings.current().offline


def _age_text(meta: dict) -> str:
    """The cached table and its age in Danish: ``'FOLK1A hentet 4. december 2026 kl. 10.00 (3,0 dage gammel;
    nyeste periode 2. kvt. 2024)'``."""
    stamp = meta.get("fetched_at") or meta.get("imported_at") or meta.get("written_at")
    how = "hentet" if meta.get("fetched_at") else "indlæst"
    try:
        when = dt.datetime.fromisoformat(str(stamp))
        days = (dt.datetime.now(dt.UTC) - when).total_seconds() / 86400
        newest = max(meta.get("periods") or ["?"])
        days_da = f"{days:.1f}".replace(".", ",")
        return (f"{meta.get('table')} {how} {datetime_da(when)} ({days_da} dage gammel; nyeste periode "
                f"{period_text_da(newest)})")
    except (TypeError, ValueError):
        return f"{meta.get('table')} (alderen er ukendt)"


def fetch_population(tables: Iterable[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None,
                     client: Any = None, progress: Any = None, by_sex_age: bool | None = None,
                     listing: list[dict] | None = None) -> list[str]:
    """Fetch population tables from StatBank into the cache; returns the cache keys written.

    ``tables`` default: FOLK1A (by sex and age), FOLK1AM (totals), the newest active FRKM projection.
    ``/tables`` is asked once; then each table's ``/tableinfo`` and ``/data`` (BULK, in chunks of periods).
    ``progress(table, done, total)`` is called after each chunk. The cache metadata keep the table's
    ``updated`` (Danish local time made explicit) and ``footnote``. ``listing``: a ``/tables`` answer already
    fetched (it is then not asked again).

    Example
    -------
    Needs the network (Statistics Denmark's API); not run as a doctest.
    >>> fetch_population(["FOLK1A"], data_dir="/tmp/kd")  # doctest: +SKIP
    ['population/FOLK1A']
    """
    from klyngedata.dst.client import StatBankClient
    from klyngedata.dst.tables import fetch_table

    client = client or StatBankClient()
    wanted = list(tables) if tables else list(DEFAULT_FETCH)
    try:
        listing = listing if listing is not None else client.tables()
    except DstApiError as exc:  # name what was being fetched
        if getattr(exc, "table", "") is None:
            exc.table = ", ".join(t.upper() for t in wanted)
        raise
    keys = []
    for table in wanted:
        detail = by_sex_age if by_sex_age is not None else DEFAULT_FETCH.get(table.upper(), True)
        cb = (lambda i, n, t=table: progress(t, i, n)) if progress else None
        frame = fetch_table(table, client, by_sex_age=detail, progress=cb, listing=listing)
        prov = frame.attrs["provenance"]
        keys.append(store_population(frame, data_dir, merge=False,
                                     extra_meta={"updated": prov.get("updated"), "footnote": prov.get("footnote")}))
    return keys


def _cached_tables(cache: Cache, kind: str) -> list[str]:
    keys = [k for k in cache.keys() if k.startswith("population/")]  # corrupt ones too: reading names them
    tables = [k.split("/", 1)[1] for k in keys]
    if kind == "projection":
        return sorted((t for t in tables if re.fullmatch(r"FRKM1\d\d", t)), reverse=True)
    return [t for t in ("FOLK1A", "FOLK1AM") if t in tables]


_CATEGORICAL = ("area_level", "area_code", "municipality_code", "sex")
"""String columns of a cached population table read as categoricals (FOLK1A by sex and single age has millions of
rows with a few hundred distinct values: selecting and grouping on codes, not strings)."""


def _load_table(cache: Cache, table: str, refresh: bool, rows: list[tuple] | None = None) -> pd.DataFrame:
    """The cached table (fetched or refreshed as the module docstring says). ``rows``: read only the rows
    matching these filters (the whole table if none match, so that checks and messages see what is cached)."""
    frame = _load_table_rows(cache, table, refresh, rows)
    if rows and frame.empty:
        frame = _load_table_rows(cache, table, False, None)
    return frame


_COLUMNS = ("area_level", "area_code", "sex", "age", "age_open", "period", "population")
"""The columns of a cached population table that :func:`~klyngedata.population.population` uses."""


_kept: dict[tuple, tuple[tuple, pd.DataFrame]] = {}
"""The last population table read in this process: ``{(cache root, key, rows): ((data file, checksum), frame)}``."""
_kept_lock = threading.Lock()


def _read(cache: Cache, key: str, rows: list[tuple] | None, meta: dict | None = None) -> pd.DataFrame:
    """The rows of cache entry ``key`` (``rows``: pyarrow filters), parsed once for as long as the entry is
    unchanged.

    At full national detail (FOLK1A by sex and single age: ~2 M rows) parsing the parquet is a third of a
    ``population()`` call, and a notebook or a batch asks the same table again and again (other levels, the
    other division, other age groups). The last table read is kept — one, so memory stays bounded — under the
    data file and checksum of its entry: before it is used again the entry's metadata is read and the data file
    checked against its checksum (:meth:`Cache.meta`), so a new import, a fetch or a damaged file is never
    answered from memory. Callers get a copy (shallow under pandas' copy-on-write): changing it never changes
    the kept frame. ``meta``: the entry's metadata as :meth:`Cache.meta` just returned it (not checked again).
    """
    spec = (str(cache.root), key, repr(rows))
    with _kept_lock:
        kept = _kept.get(spec)
    if kept is not None:
        meta = meta or cache.meta(key)  # None when missing or damaged: read below, which says what is wrong
        if meta is not None and (meta.get("data_file"), meta.get("data_sha256")) == kept[0]:
            out = _copy(kept[1])
            out.attrs = {"provenance": meta}
            return out
    with _kept_lock:
        _kept.clear()  # the table kept before is not held while another one is parsed
    frame = cache.read(key, categorical=_CATEGORICAL, filters=rows, columns=_COLUMNS)
    try:  # the parquet decoding buffers go back to the system before pandas allocates the aggregation's arrays
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    meta = frame.attrs.get("provenance") or {}
    with _kept_lock:
        _kept.clear()
        _kept[spec] = ((meta.get("data_file"), meta.get("data_sha256")), frame)
    out = _copy(frame)
    out.attrs = {"provenance": meta}
    return out


def _copy(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy that can be changed without changing ``frame``: shallow under copy-on-write (pandas 3, or the
    option set), else deep."""
    cow = int(pd.__version__.split(".")[0]) >= 3 or bool(pd.get_option("mode.copy_on_write"))
    return frame.copy(deep=not cow)


def forget_tables() -> None:
    """Drop the population table kept in memory (it is dropped anyway when its cache entry changes)."""
    with _kept_lock:
        _kept.clear()


def _load_table_rows(cache: Cache, table: str, refresh: bool, rows: list[tuple] | None) -> pd.DataFrame:
    key = population_key(table)
    meta = cache.meta(key)
    if meta is None and cache.state(key)[0] == "corrupt":
        if _offline():
            _read(cache, key, rows)  # raises CacheCorrupt naming this table and what is wrong
        try:  # online a fetch replaces the damaged entry
            fetch_population([table], data_dir=cache.data_dir)
        except (DstApiError, OSError):
            _read(cache, key, rows)
        warn(f"Den gemte tabel {table} var beskadiget og er hentet igen fra Statistikbanken.", PopulationWarning)
        return _read(cache, key, rows)
    if meta is not None and not refresh:
        stale = False
        if meta.get("fetched_at") and not _offline():
            try:  # the last fetch or the last check that found the cache current
                last = max(dt.datetime.fromisoformat(meta[k]) for k in ("fetched_at", "checked_at") if meta.get(k))
                stale = dt.datetime.now(dt.UTC) - last > RECHECK_AFTER
            except ValueError:
                stale = True
        if not stale:
            return _read(cache, key, rows, meta)
        try:
            from klyngedata.dst.client import StatBankClient
            from klyngedata.dst.tables import latest_published_period

            newest = latest_published_period(table, StatBankClient(retries=1, timeout=(5.0, 30.0)))
            if newest not in (meta.get("periods") or []):
                fetch_population([table], data_dir=cache.data_dir,
                                 by_sex_age=bool(meta.get("by_sex_age", DEFAULT_FETCH.get(table, True))))
                return _read(cache, key, rows)
        except (DstApiError, OSError) as exc:
            log.info("StatBank not reachable (%s: %s); using the cached %s", type(exc).__name__, exc, table)
            warn(f"Statistikbanken kunne ikke nås, så de gemte tal bruges: {_age_text(meta)}.", PopulationWarning)
            return _read(cache, key, rows)
        checked = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        try:  # current: note the check so that the next one is a day later, not on every call
            cache.update_meta(key, checked_at=checked)  # meta only: never rewrites rows an import just merged
        except OSError:  # a read-only cache is simply re-checked next time
            pass
        return _read(cache, key, rows)
    if _offline():
        if meta is not None:  # refresh=True offline: the cache is all there is
            warn(f"Tallene opdateres ikke, fordi {ENV_OFFLINE}=1 er sat (klyngedata arbejder offline); de gemte tal "
                 f"bruges: {_age_text(meta)}.", PopulationWarning)
            return _read(cache, key, rows)
        log.info("data directory: %s", cache.root)
        raise DataNotAvailable(f"No cached population table {table}, and offline ({ENV_OFFLINE}=1 is set, so "
                               f"nothing is fetched): {GET_DATA_HINT}, into the data directory chosen by "
                               f"`data_dir=` or {settings.VARIABLES['data_dir']}.")
    try:
        fetch_population([table], data_dir=cache.data_dir)
    except (DstApiError, OSError) as exc:
        if meta is not None:
            log.info("refresh of %s failed (%s: %s)", table, type(exc).__name__, exc)
            warn(f"Tallene kunne ikke opdateres fra Statistikbanken, så de gemte tal bruges: {_age_text(meta)}.",
                 PopulationWarning)
        else:
            log.info("data directory: %s", cache.root)
            raise DataNotAvailable(f"No cached population table {table}, and fetching it from StatBank failed "
                                   f"({exc}); {GET_DATA_HINT}.") from exc
    return _read(cache, _cached_key(cache, "projection") if table.upper() == "FRKM" else population_key(table), rows)


def _cached_key(cache: Cache, kind: str) -> str:
    tables = _cached_tables(cache, kind)
    if not tables:
        log.info("data directory: %s", cache.root)
        raise DataNotAvailable(f"No {kind} population in the data: {GET_DATA_HINT}.")
    return population_key(tables[0])


def _parse_periods(period: Any) -> list[pd.Period] | str:
    if isinstance(period, str) and period in {"latest", "all"}:
        return period
    items = [period] if isinstance(period, (str, int, pd.Period)) else list(period)
    try:
        return [parse_period(p) for p in items]
    except ValueError as exc:
        raise KlyngedataError(f"period {period!r}: {exc}") from exc


def _align_quarters_to_months(base: pd.DataFrame, periods: list[pd.Period] | str) -> list[pd.Period] | str:
    """FOLK1A's quarter ``2024K1`` counts the population on 1 January 2024, the same day as FOLK1AM's
    ``2024M01``; when only the monthly table is cached, ask it for the first month of each quarter."""
    if isinstance(periods, str) or not len(base) or base["period"].iloc[0].freqstr[0] != "M":
        return periods
    return [p.asfreq("M", how="start") if p.freqstr[0] == "Q" else p for p in periods]


def _choose_base(cache: Cache, kind: str, periods: list[pd.Period] | str, need_detail: bool,
                 refresh: bool, rows: list[tuple] | None = None) -> pd.DataFrame:
    if kind == "projection":
        tables = _cached_tables(cache, "projection")
        table = tables[0] if tables else "FRKM"
        return _load_table(cache, table, refresh, rows)
    if kind != "observed":
        raise KlyngedataError(f"kind must be 'observed' or 'projection', not {kind!r}")
    cached = _cached_tables(cache, "observed")
    freq = None if isinstance(periods, str) else periods[0].freqstr[0]
    if freq == "M":
        order = ["FOLK1AM"]
    elif freq == "Q":
        order = ["FOLK1A", "FOLK1AM"]  # a quarter's reference date is the 1st day of its first month
    else:
        order = ["FOLK1A", "FOLK1AM"]
    candidates = [t for t in order if t in cached] or order[:1]
    last_error = None
    for table in candidates:
        try:
            frame = _load_table(cache, table, refresh, rows)
        except DataNotAvailable as exc:
            last_error = exc
            continue
        if need_detail and frame["age"].notna().sum() == 0 and (frame["sex"] != "total").sum() == 0:
            last_error = DataNotAvailable(
                f"The cached {table} has no breakdown by sex and age (the shared FOLK1AM files are totals only): "
                "fetch FOLK1A with `klyngedata data fetch --tables FOLK1A` or import a StatBank export by sex and "
                "age with `klyngedata data import PATH`.")
            continue
        return frame
    raise last_error or DataNotAvailable(HOW_TO_GET_DATA)




class SharedMeta(dict):
    """A table's cache metadata in ``attrs``, shared by the frames derived from it instead of copied: pandas
    deep-copies ``attrs`` at every operation, which for millions of rows costs more than some operations."""

    def __deepcopy__(self, memo: dict) -> SharedMeta:
        return self


def _compact(base: pd.DataFrame) -> pd.DataFrame:
    """String columns as categories: selecting and grouping millions of rows (FOLK1A by sex and age) on
    integer codes instead of strings. The output is converted back to strings."""
    out = base.copy(deep=False)
    for c in ("area_level", "area_code", "municipality_code", "sex"):
        if c in out.columns and not isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("category")
    out.attrs = {**base.attrs, "provenance": SharedMeta(base.attrs.get("provenance", {}))} \
        if "provenance" in base.attrs else base.attrs
    return out
