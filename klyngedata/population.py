"""Population of municipalities, health clusters, regions and Denmark, by sex, age and period.

:func:`population` returns a tidy (long) DataFrame, one row per entity x period x sex x (age | age group):

================  ===========================================================================
column            meaning
================  ===========================================================================
level             ``"municipality"`` | ``"cluster"`` | ``"region"`` | ``"country"``
entity_id         municipality code ``"0851"`` | cluster id ``"nordjylland-nord"`` | region key
                  ``"1081"`` (``"oestdanmark"`` for Region Østdanmark, which has no official code) | ``"DK"``;
                  plus the explicit remainder rows described below
entity_name       Danish name (``"Aalborg"``, ``"Sundhedsklynge Nord"``, ``"Region Nordjylland"``,
                  ``"Hele landet"``)
region_code       the region key of the entity (NA for the country). Regions follow the division: for
                  ``sundhedsraad-2027`` (from 2027-01-01) Hovedstaden and Sjælland are Region Østdanmark,
                  computed as the sum of its municipalities
is_cluster        cluster level only: False for the remainder rows below
period            pandas Period (freq Q for FOLK1A, M for FOLK1AM, Y for projections)
sex               ``"total"`` unless ``"sex" in by`` (then ``"male"`` / ``"female"``)
age, age_open     only if ``"age" in by`` (single year, Int64; ``age_open`` marks an open top group)
age_group         only if ``age_groups`` is given (``"0-17"``, ``"80+"`` …; ordered categorical)
population        Int64 persons; NA where Statistics Denmark wrote ``..`` (not published) or a sum
                  covers such a cell (never a partial sum)
reason_da         the Danish reason a population is missing (NA where it is not)
================  ===========================================================================

``df.attrs["provenance"]`` is a list of dicts (``table``, ``presentation``, ``periods``, ``fetched_at``
or ``file``, ``source``); ``df.attrs["division"]`` names the cluster division used.

Sources: the local cache (:mod:`klyngedata.cache`): FOLK1A (quarterly) if cached, else FOLK1AM
(monthly; the real files in ``shared/data`` have totals only); projections from the newest cached
``FRKM1yy``. Missing tables are fetched from StatBank when online; fetched tables are re-checked once
a day and refetched when a newer period is published (``refresh=True`` forces it). Offline (no answer,
or ``$KLYNGEDATA_OFFLINE=1``) the cache is used and a warning says how old it is; offline with an empty
cache raises :class:`~klyngedata.exceptions.DataNotAvailable` saying how to get the data.

Aggregation to clusters uses :func:`klyngedata.registry.membership`:

* ``allocation == "whole"``: the whole municipality (share 1).
* ``allocation == "share"``: population x share, rounded per cell by the largest-remainder method, so
  the parts of a municipality add up **exactly** to its population; each part is within 1 person of
  population x share (the stated tolerance). Shares of a municipality must add up to 1 (±1e-6).
* ``allocation == "unit"`` (København 0101 by bydel): the population of the units, from a unit
  population file (import format in :mod:`klyngedata.sources`, cache key ``population/units``) for the
  same period (and sex/age if asked). No share is invented: whatever is not covered by unit data for a
  period (all of it, if there is none) is put in an explicit row ``entity_id = "0101:ikke-fordelt"``,
  ``entity_name = "København (ikke fordelt på klynger)"``, ``is_cluster = False``, and a warning says so.
* Christiansø (0411) is not a municipality and belongs to no cluster, but Statistics Denmark counts it
  in Region Hovedstaden and Hele landet. It appears at municipality level and as an explicit cluster-level
  row ``"0411:ingen-klynge"`` (``is_cluster = False``), so that conservation holds.

Conservation: for every period and group, the cluster-level rows of a region (including the remainder
rows) add up to the region, the regions to Denmark, and a cluster to its member municipalities.

Example
-------
>>> import klyngedata.population as kp
>>> kp.population("cluster", period="2035", kind="projection", age_groups="broad")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.cache import HOW_TO_GET_DATA, Cache
from klyngedata.exceptions import DataNotAvailable, DstApiError, KlyngedataError
from klyngedata.sources import (
    CHRISTIANSOE,
    CHRISTIANSOE_DST_REGION,
    complete_age_totals,
    complete_totals,
    format_period,
    parse_period,
    population_key,
    store_population,
)

LEVELS = ("municipality", "cluster", "region", "country")
ENV_OFFLINE = "KLYNGEDATA_OFFLINE"
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


class PopulationWarning(UserWarning):
    """Warnings about population data (stale cache, unallocated split municipalities, source mismatches)."""


# ---------------------------------------------------------------------------------------------
# cache and fetching
# ---------------------------------------------------------------------------------------------
def _offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes"}


def _age_text(meta: dict) -> str:
    stamp = meta.get("fetched_at") or meta.get("imported_at") or meta.get("written_at")
    try:
        when = dt.datetime.fromisoformat(str(stamp))
        days = (dt.datetime.now(dt.UTC) - when).total_seconds() / 86400
        newest = max(meta.get("periods") or ["?"])
        return f"{meta.get('table')} cached {stamp} ({days:.1f} days old; newest period {newest})"
    except (TypeError, ValueError):
        return f"{meta.get('table')} cached (age unknown)"


def fetch_population(tables: Iterable[str] | None = None, *, data_dir: str | os.PathLike[str] | None = None,
                     client: Any = None, progress: Any = None, by_sex_age: bool | None = None) -> list[str]:
    """Fetch population tables from StatBank into the cache; returns the cache keys written.

    ``tables`` default: FOLK1A (by sex and age), FOLK1AM (totals), the newest active FRKM projection.
    ``/tables`` is asked once; then each table's ``/tableinfo`` and ``/data`` (BULK, in chunks of periods).
    ``progress(table, done, total)`` is called after each chunk. The cache metadata keep the table's
    ``updated`` (Danish local time made explicit) and ``footnote``.

    Example
    -------
    >>> fetch_population(["FOLK1A"], data_dir="/tmp/kd")  # doctest: +SKIP
    ['population/FOLK1A']
    """
    from klyngedata.dst.client import StatBankClient
    from klyngedata.dst.tables import fetch_table

    client = client or StatBankClient()
    wanted = list(tables) if tables else list(DEFAULT_FETCH)
    try:
        listing = client.tables()
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


def _read(cache: Cache, key: str, rows: list[tuple] | None) -> pd.DataFrame:
    frame = cache.read(key, categorical=_CATEGORICAL, filters=rows)
    try:  # the parquet decoding buffers go back to the system before pandas allocates the aggregation's arrays
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    return frame


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
        warnings.warn(f"the cached {table} was corrupt and has been fetched again", PopulationWarning, stacklevel=3)
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
            return _read(cache, key, rows)
        try:
            from klyngedata.dst.client import StatBankClient
            from klyngedata.dst.tables import latest_published_period

            newest = latest_published_period(table, StatBankClient(retries=1, timeout=(5.0, 30.0)))
            if newest not in (meta.get("periods") or []):
                fetch_population([table], data_dir=cache.data_dir,
                                 by_sex_age=bool(meta.get("by_sex_age", DEFAULT_FETCH.get(table, True))))
                return _read(cache, key, rows)
        except (DstApiError, OSError) as exc:
            warnings.warn(f"StatBank not reachable ({exc.__class__.__name__}); using {_age_text(meta)}",
                          PopulationWarning, stacklevel=3)
            return _read(cache, key, rows)
        checked = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        try:  # current: note the check so that the next one is a day later, not on every call
            cache.update_meta(key, checked_at=checked)  # meta only: never rewrites rows an import just merged
        except OSError:  # a read-only cache is simply re-checked next time
            pass
        return _read(cache, key, rows)
    if _offline():
        if meta is not None:  # refresh=True offline: the cache is all there is
            warnings.warn(f"offline (${ENV_OFFLINE} is set): not refreshing; using {_age_text(meta)}",
                          PopulationWarning, stacklevel=3)
            return _read(cache, key, rows)
        raise DataNotAvailable(f"No cached population table {table} in {cache.root} and offline "
                               f"(${ENV_OFFLINE} is set). {HOW_TO_GET_DATA}")
    try:
        fetch_population([table], data_dir=cache.data_dir)
    except (DstApiError, OSError) as exc:
        if meta is not None:
            warnings.warn(f"refresh failed ({exc}); using {_age_text(meta)}", PopulationWarning, stacklevel=3)
        else:
            raise DataNotAvailable(f"No cached population table {table} in {cache.root}, and fetching it from "
                                   f"StatBank failed: {exc}. {HOW_TO_GET_DATA}") from exc
    return _read(cache, _cached_key(cache, "projection") if table.upper() == "FRKM" else population_key(table), rows)


def _cached_key(cache: Cache, kind: str) -> str:
    tables = _cached_tables(cache, kind)
    if not tables:
        raise DataNotAvailable(f"no {kind} population in {cache.root}. {HOW_TO_GET_DATA}")
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
                f"the cached {table} has no sex/age breakdown (the shared FOLK1AM files are totals only). "
                "Run `klyngedata data fetch --tables FOLK1A` or import a StatBank export by sex and age.")
            continue
        return frame
    raise last_error or DataNotAvailable(HOW_TO_GET_DATA)


# ---------------------------------------------------------------------------------------------
# shaping
# ---------------------------------------------------------------------------------------------
def _age_labels(edges: Sequence[int]) -> list[str]:
    labels = []
    for lo, hi in zip(edges, list(edges[1:]) + [None], strict=True):
        labels.append(f"{lo}+" if hi is None else f"{lo}-{hi - 1}")
    return labels


def _apply_age_groups(df: pd.DataFrame, age_groups: str | Sequence[int]) -> pd.DataFrame:
    edges = AGE_GROUPS.get(age_groups) if isinstance(age_groups, str) else list(age_groups)
    if edges is None:
        raise KlyngedataError(f"age_groups {age_groups!r}: use 'broad', '5y' or a list of bin edges")
    edges = sorted(int(e) for e in edges)
    if edges[0] != 0:
        edges = [0, *edges]
    labels = _age_labels(edges)
    ages = df["age"].astype("float64").to_numpy()
    idx = np.searchsorted(np.asarray(edges), ages, side="right") - 1
    bad = df["age_open"].to_numpy() & (df["age"].to_numpy(dtype="float64", na_value=np.nan) < edges[-1])
    if bad.any():
        raise KlyngedataError(f"the open age group {int(df.loc[bad, 'age'].iloc[0])}+ cannot be split by the "
                              f"age group edges {edges}; use a last edge of at most that age")
    out = df.drop(columns=["age", "age_open"])
    out["age_group"] = pd.Categorical.from_codes(idx, categories=labels, ordered=True)
    return out


def _select(base: pd.DataFrame, periods: list[pd.Period] | str, by: set[str], age_groups: Any,
            area_level: str = "municipality") -> pd.DataFrame:
    # one boolean mask and one take: at full detail every intermediate frame would be millions of rows
    area = (base["area_level"] == area_level).to_numpy(dtype=bool, na_value=False)
    mask = area.copy()
    if area_level != "municipality":  # the source's own region/country rows, for the periods already chosen
        mask &= base["period"].isin(periods).to_numpy()
    elif isinstance(periods, str):
        if periods == "latest":
            mask &= (base["period"] == base.loc[area, "period"].max()).to_numpy(dtype=bool, na_value=False)
    else:
        have = set(base.loc[area, "period"].unique())
        missing = [p for p in periods if p not in have]
        if missing:
            table = base.attrs.get("provenance", {}).get("table")
            lo, hi = (min(have), max(have)) if have else ("-", "-")
            raise DataNotAvailable(f"period(s) {', '.join(format_period(p) for p in missing)} not in the cached "
                                   f"{table} (it has {format_period(lo) if have else '-'}..."
                                   f"{format_period(hi) if have else '-'}). {HOW_TO_GET_DATA}")
        mask &= base["period"].isin(periods).to_numpy()
    want_sex = "sex" in by
    want_age = "age" in by or age_groups is not None
    sex = base["sex"].isin(["male", "female"]) if want_sex else base["sex"] == "total"
    mask &= sex.to_numpy(dtype=bool, na_value=False)
    mask &= (base["age"].notna() if want_age else base["age"].isna()).to_numpy()
    if not mask.any() and area_level == "municipality":
        table = base.attrs.get("provenance", {}).get("table")
        raise DataNotAvailable(f"the cached {table} has no rows for by={sorted(by)} "
                               f"age_groups={age_groups!r}. {HOW_TO_GET_DATA}")
    cols = ["area_code", "period", "sex"] + (["age", "age_open"] if want_age else []) + ["population"]
    df = base.loc[mask, cols].rename(columns={"area_code": "entity_id"})
    if age_groups is not None:
        df = _apply_age_groups(df, age_groups)
        if "age" in by:
            raise KlyngedataError("use either by=['age'] or age_groups, not both")
    return df


def _group_cols(df: pd.DataFrame) -> list[str]:
    return [c for c in ("period", "sex", "age", "age_open", "age_group") if c in df.columns]


def _municipality_names(division: str | None = None) -> tuple[dict, dict]:
    """(code -> name, code -> region key); the regions are those valid for ``division`` (default: today's):
    from 2027 Hovedstaden and Sjælland are Region Østdanmark (key ``"oestdanmark"``, no official code)."""
    from klyngedata import registry

    m = registry.municipalities()
    names = dict(zip(m["municipality_code"], m["name"], strict=True))
    regions = registry.municipality_regions(division=registry.resolve_division(division))
    names[CHRISTIANSOE] = "Christiansø"
    regions[CHRISTIANSOE] = registry.region_key_on(CHRISTIANSOE_DST_REGION,
                                                   division=registry.resolve_division(division))
    return names, regions


def _region_names() -> dict:
    from klyngedata import registry

    r = registry.regions()
    return dict(zip(r["region_key"].astype(str), r["name"], strict=True))


def _largest_remainder(values: pd.Series, shares: pd.Series, groups: pd.Series) -> pd.Series:
    """Round ``values * shares`` so that each group (one municipality cell) keeps its exact total."""
    exact = values.astype("float64") * shares.astype("float64")
    floor = np.floor(exact)
    rem = exact - floor
    short = (values.astype("float64").groupby(groups).transform("first") - floor.groupby(groups).transform("sum"))
    rank = rem.groupby(groups).rank(method="first", ascending=False)
    return (floor + (rank <= short).astype("float64")).round().astype("Int64")


def _to_clusters(mun: pd.DataFrame, division: str | None, data_dir, names: dict, regions: dict,
                 provenance: list) -> tuple[pd.DataFrame, str]:
    from klyngedata import registry

    div = registry.resolve_division(division)
    mem = registry.membership(div)
    group = _group_cols(mun.drop(columns=["region_code"], errors="ignore"))
    # an absent member makes its unit's count missing (units without any data are left out, as before)
    with_data = set(mem.loc[mem["municipality_code"].isin(set(mun["entity_id"].unique())), "cluster_id"])
    mun = _with_absent_members(mun, group, names, regions,
                               mem.loc[mem["cluster_id"].isin(with_data), "municipality_code"].unique())
    mun = mun.drop(columns=["region_code"], errors="ignore")
    parts = []
    # whole municipalities
    whole = mem[mem["allocation"] == "whole"][["cluster_id", "cluster_name", "region_code", "municipality_code"]]
    w = mun.merge(whole.rename(columns={"municipality_code": "entity_id"}), on="entity_id", how="inner")
    parts.append(w[["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]])
    # share-defined splits
    shares = mem[mem["allocation"] == "share"]
    if not shares.empty:
        tot = shares.groupby("municipality_code")["share"].sum()
        off = tot[(tot - 1).abs() > SHARE_TOLERANCE]
        if not off.empty:
            raise KlyngedataError(f"division {div}: shares of municipality {off.index[0]} add up to "
                                  f"{float(off.iloc[0])}, not 1")
        s = mun.merge(shares[["cluster_id", "cluster_name", "region_code", "municipality_code", "share"]]
                      .rename(columns={"municipality_code": "entity_id"}), on="entity_id", how="inner")
        key = s[["entity_id", *group]].astype(str).agg("|".join, axis=1)
        s["population"] = _largest_remainder(s["population"], s["share"], key)
        parts.append(s[["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]])
    # unit-defined splits
    units_mem = mem[mem["allocation"] == "unit"]
    unallocated = []
    if not units_mem.empty:
        cache = Cache(data_dir)
        unit_pop = cache.read("population/units") if cache.exists("population/units") else None
        if unit_pop is not None:
            provenance.append({k: unit_pop.attrs["provenance"].get(k) for k in ("table", "file", "periods",
                                                                                "source")})
        for code, m in units_mem.groupby("municipality_code"):
            mrows = mun[mun["entity_id"] == code]
            if mrows.empty:
                continue
            allocated = None
            if unit_pop is not None:
                u = unit_pop[(unit_pop["municipality_code"] == code)
                             & unit_pop["unit_type"].isin(m["unit_type"].unique())]
                u = u.merge(m[["unit_code", "cluster_id", "cluster_name", "region_code"]], on="unit_code")
                u = _unit_cells(u, mun, group)
                if not u.empty:
                    u = u.assign(_missing=_missing_names(u["population"], u["unit_name"]))
                    allocated = _aggregate(u, ["cluster_id", "cluster_name", "region_code", *group])
                    parts.append(allocated)
            rest = mrows[[*group, "population", "_missing"]].reset_index(drop=True)
            if allocated is not None:
                alloc_sum = _aggregate(allocated, group)
                rest = rest.merge(alloc_sum, on=group, how="left", suffixes=("", "_units"))
                rest["population"] = rest["population"] - rest["population_units"].fillna(0).astype("Int64")
                rest["population"] = rest["population"].where(rest["_missing_units"].isna(), pd.NA)
                rest["_missing"] = rest["_missing"].where(rest["_missing"].notna(), rest["_missing_units"])
            known = rest["population"].notna()
            if (rest.loc[known, "population"] != 0).any():
                n_periods = rest.loc[known & (rest["population"] != 0), "period"].nunique()
                warnings.warn(
                    f"{names.get(code, code)} ({code}) is split between clusters by {m['unit_type'].iloc[0]}, "
                    f"but unit populations do not cover all of it in {n_periods} period(s); the rest is "
                    f"reported in the row '{code}{UNALLOCATED_SUFFIX}' instead of being guessed. "
                    "Import unit populations (municipality_code, unit_type, unit_code, period, population) with "
                    "`klyngedata data import PATH`.", PopulationWarning, stacklevel=3)
            rest["cluster_id"] = f"{code}{UNALLOCATED_SUFFIX}"
            rest["cluster_name"] = f"{names.get(code, code)} (ikke fordelt på klynger)"
            rest["region_code"] = regions.get(code)
            unallocated.append(rest[["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]])
    # Christiansø and any other area outside the division
    covered = set(mem["municipality_code"])
    outside = mun[~mun["entity_id"].isin(covered)]
    for code, rows in outside.groupby("entity_id"):
        rows = rows.copy()
        rows["cluster_id"] = f"{code}{NO_CLUSTER_SUFFIX}"
        outside_da = "ikke i et sundhedsråd" if registry.division(div)["unit_da"] == "sundhedsråd" \
            else "ikke i en sundhedsklynge"
        rows["cluster_name"] = f"{names.get(code, code)} ({outside_da})"
        rows["region_code"] = regions.get(code)
        unallocated.append(rows[["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]])
    allc = pd.concat(parts, ignore_index=True)
    out = _aggregate(allc, ["cluster_id", "cluster_name", "region_code", *group])
    out["is_cluster"] = True
    if unallocated:
        extra = pd.concat(unallocated, ignore_index=True)
        extra["is_cluster"] = False
        out = pd.concat([out, extra], ignore_index=True)
    out = out.rename(columns={"cluster_id": "entity_id", "cluster_name": "entity_name"})
    return out, div


def _unit_cells(u: pd.DataFrame, mun: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Unit rows at the same sex/age granularity and periods as ``mun``."""
    periods = set(mun["period"].unique())
    u = u[u["period"].isin(periods)]
    sexes = set(mun["sex"].unique())
    u = u[u["sex"].isin(sexes)]
    if "age_group" in group:
        u = u[u["age"].notna()]
        edges_labels = mun["age_group"].cat.categories
        edges = [int(lbl.split("-")[0].rstrip("+")) for lbl in edges_labels]
        u = _apply_age_groups(u, edges)
    elif "age" in group:
        u = u[u["age"].notna()]
    else:
        u = u[u["age"].isna()]
    return u


def population(level: str = "cluster", division: str | None = None, period: Any = "latest",
               by: Sequence[str] = (), age_groups: str | Sequence[int] | None = None, kind: str = "observed",
               geometry: bool = False, data_dir: str | os.PathLike[str] | None = None,
               refresh: bool = False) -> pd.DataFrame:
    """Tidy population by municipality, cluster, region or country (schema in the module docstring).

    Parameters
    ----------
    level: ``"cluster"`` | ``"municipality"`` | ``"region"`` | ``"country"``.
    division: cluster division id (default: the one valid today, see :func:`klyngedata.registry.resolve_division`).
    period: ``"latest"``, ``"all"``, a period (``"2024K1"``, ``"2024M01"``, ``"2035"``) or a list of them.
    by: subset of ``{"sex", "age"}``.
    age_groups: ``"broad"`` (0-17/18-64/65-79/80+), ``"5y"`` (0-4 … 95-99, 100+) or a list of bin edges.
    kind: ``"observed"`` (FOLK1A/FOLK1AM) or ``"projection"`` (newest FRKM1yy).
    geometry: return a GeoDataFrame via :func:`klyngedata.geo.attach_geometry`.
    data_dir: data directory (default ``$KLYNGEDATA_DATA_DIR`` or the user data dir).
    refresh: refetch from StatBank even if cached.

    Example
    -------
    >>> population("cluster", period="2035", kind="projection", age_groups="broad")  # doctest: +SKIP
    """
    if level not in LEVELS:
        raise KlyngedataError(f"level must be one of {LEVELS}, not {level!r}")
    by_set = set(by)
    if not by_set <= {"sex", "age"}:
        raise KlyngedataError(f"by must be a subset of ('sex', 'age'), not {sorted(by_set)}")
    periods = _parse_periods(period)
    cache = Cache(data_dir)
    need_detail = bool(by_set) or age_groups is not None
    # rows the selection can never use are not read (the sex totals when by sex; the all-ages rows when by age)
    rows = ([("sex", "in", ["male", "female"])] if "sex" in by_set else []) + \
        ([("age", ">=", 0)] if "age" in by_set or age_groups is not None else [])
    base = _choose_base(cache, kind, periods, need_detail, refresh, rows or None)
    # derived totals only where the selection uses them (summing millions of single-age rows otherwise for nothing)
    if "sex" not in by_set and (base["sex"] == "total").sum() == 0:
        base = complete_totals(base)
    if "age" not in by_set and age_groups is None and base["age"].isna().sum() == 0:
        base = complete_age_totals(base)
    base = _compact(base)
    meta = base.attrs.get("provenance", {})
    periods = _align_quarters_to_months(base, periods)
    mun = _select(base, periods, by_set, age_groups)
    own_base = base if level in ("region", "country") else None  # the source's own region/country rows
    del base  # millions of rows at full detail: freed before the aggregation allocates
    group = _group_cols(mun)
    names, regions = _municipality_names(division)
    used_periods = sorted({format_period(p) for p in mun["period"].unique()})
    provenance = [{
        "table": meta.get("table"),
        "presentation": meta.get("presentation"),
        "periods": used_periods,
        **({"fetched_at": meta["fetched_at"]} if meta.get("fetched_at") else {}),
        **({"updated": meta["updated"]} if meta.get("updated") else {}),
        **({"file": meta["file"]} if meta.get("file") else {}),
        "source": meta.get("source"),
    }]
    mun["_missing"] = _missing_names(mun["population"], mun["entity_id"].map(names))
    if age_groups is not None:  # single years -> groups; a group with a '..' year is missing
        mun = _aggregate(mun, ["entity_id", *group])
    mun["region_code"] = mun["entity_id"].map(regions)
    unknown = mun.loc[mun["region_code"].isna(), "entity_id"].unique()
    if len(unknown):
        raise KlyngedataError(f"{meta.get('table')}: municipality codes not in the registry: {list(unknown)[:5]}")
    # an absent member makes the count of its region (of a region with data) and of Denmark missing
    if level == "region":
        with_data = {regions.get(c) for c in mun["entity_id"].unique()}
        mun = _with_absent_members(mun, group, names, regions, [c for c in names if regions.get(c) in with_data])
    elif level == "country":
        mun = _with_absent_members(mun, group, names, regions, list(names))
    division_used = None
    if level == "municipality":
        out = mun.assign(entity_name=mun["entity_id"].map(names))
    elif level == "cluster":
        out, division_used = _to_clusters(mun, division, data_dir, names, regions, provenance)
    elif level == "region":
        out = _aggregate(mun, ["region_code", *group])
        out["entity_id"] = out["region_code"]
        out["entity_name"] = out["entity_id"].map(_region_names())
        out = _use_own_rows(own_base, out, level, mun["period"].unique(), by_set, age_groups, group,
                            _complete_members(mun, regions, "region_code"))
    else:
        out = _aggregate(mun, group)
        out["entity_id"] = "DK"
        out["entity_name"] = "Hele landet"
        out["region_code"] = pd.NA
        out = _use_own_rows(own_base, out, level, mun["period"].unique(), by_set, age_groups, group,
                            _complete_members(mun.assign(_all="DK"), regions, "_all"))
    own_rows = bool(out.attrs.get("own_rows"))
    out["level"] = level
    out["reason_da"] = _reasons(out, level)
    cols = ["level", "entity_id", "entity_name", "region_code"] + (["is_cluster"] if level == "cluster" else [])
    cols += group + ["population", "reason_da"]
    out = out[cols].sort_values(["entity_id", *group], ignore_index=True)
    out["population"] = out["population"].astype("Int64")
    for c in ("level", "entity_id", "entity_name", "region_code", "sex", "reason_da"):
        out[c] = out[c].astype("string")
    out.attrs["provenance"] = provenance
    if level in ("region", "country"):
        out.attrs["own_rows"] = own_rows  # the source's own region/country rows were used
    if division_used:
        out.attrs["division"] = division_used
    if geometry:
        try:
            from klyngedata.geo.catchment import attach_geometry
        except ImportError as exc:
            raise KlyngedataError(f"geometry=True needs klyngedata.geo.attach_geometry: {exc}") from exc
        out = attach_geometry(out, level=level, division=division_used, data_dir=data_dir)
    return out


MISSING_DA = "markeret '..' i kilden"


def _compact(base: pd.DataFrame) -> pd.DataFrame:
    """String columns as categories: selecting and grouping millions of rows (FOLK1A by sex and age) on
    integer codes instead of strings. The output is converted back to strings."""
    out = base.copy(deep=False)
    for c in ("area_level", "area_code", "municipality_code", "sex"):
        if c in out.columns and not isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("category")
    out.attrs = base.attrs
    return out


def _missing_names(population: pd.Series, names: pd.Series) -> pd.Series:
    """``(name,)`` where the count is missing ('..'), None elsewhere: the seed of the missing-member lists."""
    out = pd.Series([None] * len(population), index=population.index, dtype=object)
    na = population.isna().to_numpy()
    if na.any():
        out[na] = [(str(n),) for n in names[na]]
    return out


def _aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum ``population`` over ``keys``; a group with a missing member is missing, never a partial sum.

    ``_missing`` (a tuple of names, None when complete) collects the names of the missing members.
    """
    out = df.groupby(keys, observed=True, as_index=False, dropna=False, sort=False)["population"].sum()
    na = df["population"].isna()
    if not na.any():
        out["_missing"] = None
        return out
    miss = df[na]
    who = miss.groupby(keys, observed=True, dropna=False, sort=False)["_missing"].agg(
        lambda s: tuple(sorted({n for t in s if t for n in t}))).reset_index()
    out = out.merge(who, on=keys, how="left")
    out["population"] = out["population"].astype("Int64").where(out["_missing"].isna(), pd.NA)
    out["_missing"] = out["_missing"].astype(object).where(out["_missing"].notna(), None)
    return out


def _join_da(names: tuple[str, ...]) -> str:
    names = tuple(names)
    if len(names) > 4:
        return f"{', '.join(names[:3])} og {len(names) - 3} andre"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} og {names[-1]}"


ABSENT = "\x1f"
"""Prefix of a name in the internal missing-member lists: the member has no row in the data at all (as opposed
to a row marked '..')."""


def _with_absent_members(mun: pd.DataFrame, group: list[str], names: dict, regions: dict,
                         expected: Iterable[str]) -> pd.DataFrame:
    """Add a missing row for every ``expected`` municipality that has no row for a cell (period, sex, age …)
    the data have for others, so that every sum over it is missing with the reason, never partial.

    Fast path: when every expected municipality has as many rows as there are cells, nothing is absent.
    """
    cells = mun[group].drop_duplicates(ignore_index=True)
    counts = mun["entity_id"].astype(str).value_counts()
    short = [c for c in expected if counts.get(c, 0) < len(cells)]
    if not short:
        return mun
    extra = []
    for code in short:
        have = mun.loc[mun["entity_id"] == code, group]
        absent = cells.merge(have.drop_duplicates(), on=group, how="left", indicator=True)
        absent = absent[absent["_merge"] == "left_only"].drop(columns="_merge")
        if len(absent):
            extra.append(absent.assign(entity_id=code, population=pd.NA, region_code=regions.get(code),
                                       _missing=[(ABSENT + names[code],)] * len(absent)))
    if not extra:
        return mun
    add = pd.concat(extra, ignore_index=True)
    mun = mun.copy(deep=False)
    if isinstance(mun["entity_id"].dtype, pd.CategoricalDtype):
        new_codes = sorted(set(add["entity_id"]) - set(mun["entity_id"].cat.categories))
        mun["entity_id"] = mun["entity_id"].cat.add_categories(new_codes)
    for c in ("entity_id", *group):  # keep categorical columns categorical (ordered age groups)
        if isinstance(mun[c].dtype, pd.CategoricalDtype):
            add[c] = pd.Categorical(add[c], dtype=mun[c].dtype)
    out = pd.concat([mun, add], ignore_index=True)
    out["population"] = out["population"].astype("Int64")
    return out


def _reasons(out: pd.DataFrame, level: str) -> pd.Series:
    """The Danish reason for each missing count (NA where the count is there)."""
    reasons = pd.Series(pd.NA, index=out.index, dtype="string")
    for i in np.flatnonzero(out["_missing"].notna().to_numpy()):
        who, name = out["_missing"].iloc[i], out["entity_name"].iloc[i]
        dots = tuple(n for n in who if not n.startswith(ABSENT))
        absent = tuple(n[1:] for n in who if n.startswith(ABSENT))
        parts = []
        if dots:
            parts.append(f"Danmarks Statistik har ikke offentliggjort befolkningstallet for {_join_da(dots)} "
                         f"({MISSING_DA})")
        if absent:
            parts.append(f"befolkningstallet for {_join_da(absent)} findes ikke i de indlæste data"
                         if parts else
                         f"Befolkningstallet for {_join_da(absent)} findes ikke i de indlæste data")
        text = "; ".join(parts)
        if level != "municipality" and tuple(who) != (name,):
            text += f", så tallet for {name} kan ikke beregnes uden at gætte"
        reasons.iloc[i] = text
    return reasons


def _complete_members(mun: pd.DataFrame, regions: dict, key: str) -> set[tuple[str, pd.Period]]:
    """(entity, period) pairs for which every municipality of the region (or of Denmark: all 98 and
    Christiansø) is in the data."""
    expected: dict[str, set[str]] = {}
    for code, region in regions.items():
        expected.setdefault(region if key != "_all" else "DK", set()).add(code)
    have = mun.groupby([key, "period"], observed=True)["entity_id"].nunique()
    return {(e, p) for (e, p), n in have.items() if n == len(expected.get(str(e), ()))}


def _use_own_rows(base: pd.DataFrame, out: pd.DataFrame, level: str, periods: Any, by: set[str], age_groups: Any,
                  group: list[str], complete: set[tuple[str, pd.Period]]) -> pd.DataFrame:
    """Where the source has its own region/country rows, use them; where the sum of its municipalities is
    complete too (``complete``: (entity, period) pairs), check it against them (a warning names both if they
    differ)."""
    area = "region" if level == "region" else "country"
    own = _select(base, list(periods), by, age_groups, area_level=area)
    out.attrs["own_rows"] = not own.empty
    if own.empty:
        return out
    names = _region_names() if level == "region" else {"DK": "Hele landet"}
    own["_missing"] = _missing_names(own["population"], own["entity_id"].map(names).fillna(own["entity_id"]))
    if age_groups is not None:
        own = _aggregate(own, ["entity_id", *group])
    own = own[own["entity_id"].isin(names.keys())]
    if level == "region":  # only the regions of the division (from 2027 Østdanmark, which has no own row)
        own = own[own["entity_id"].isin(set(out["entity_id"]))]
    keys = ["entity_id", *group]
    merged = out.merge(own[[*keys, "population", "_missing"]], on=keys, how="outer", suffixes=("", "_own"),
                       indicator=True)
    has_own = (merged["_merge"] != "left_only").to_numpy()
    both = has_own & merged["population"].notna().to_numpy() & merged["population_own"].notna().to_numpy()
    diff = both & (merged["population"].fillna(0) != merged["population_own"].fillna(0)).to_numpy()
    diff &= np.array([(e, p) in complete for e, p in zip(merged["entity_id"], merged["period"], strict=True)],
                     dtype=bool)
    if diff.any():
        r = merged[diff].iloc[0]
        warnings.warn(f"{area} {r['entity_id']} {r['period']}: sum of municipalities {r['population']} differs "
                      f"from the source's own row {r['population_own']}; the source's row is used",
                      PopulationWarning, stacklevel=3)
    merged.loc[has_own, "population"] = merged.loc[has_own, "population_own"]
    merged.loc[has_own, "_missing"] = merged.loc[has_own, "_missing_own"]
    merged["entity_name"] = merged["entity_id"].map(names)
    if level == "region":
        merged["region_code"] = merged["entity_id"]
    else:
        merged["region_code"] = pd.NA
    out = merged.drop(columns=["population_own", "_missing_own", "_merge"])
    out.attrs["own_rows"] = True
    return out
