"""Municipalities pooled to units, regions and Denmark: whole, share- and unit-defined members, the
remainder rows, absent and unpublished members (missing with a Danish reason, never a partial sum) and the
source's own region/Denmark rows."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import KlyngedataError
from klyngedata.population.groups import count_groups, decategorized, group_ids, group_sums, join_rows
from klyngedata.population.load import NO_CLUSTER_SUFFIX, SHARE_TOLERANCE, UNALLOCATED_SUFFIX, PopulationWarning
from klyngedata.population.shape import _apply_age_groups, _group_cols, _region_names, _select
from klyngedata.registry.words import words


def _largest_remainder(values: pd.Series, shares: pd.Series, groups: np.ndarray) -> pd.Series:
    """Round ``values * shares`` so that each group (one municipality cell; ``groups``: integer ids) keeps its
    exact total: the parts with the largest remainders (ties: the first part) get the persons left over."""
    value = values.astype("float64").to_numpy()
    exact = value * shares.astype("float64").to_numpy()
    floor = np.floor(exact)
    rem = exact - floor
    n, k = len(value), int(groups.max()) + 1 if len(groups) else 0
    known = ~np.isnan(value)
    first = np.full(k, n, dtype=np.int64)  # each group's first known value
    np.minimum.at(first, groups[known], np.flatnonzero(known))
    group_value = np.where(first < n, value[np.minimum(first, n - 1)] if n else first, np.nan)
    short = group_value[groups] - np.bincount(groups, weights=np.nan_to_num(floor), minlength=k)[groups]
    order = np.lexsort((np.arange(n), -rem, groups))  # within a group: largest remainder first, then by position
    ranked = groups[order]
    rank = np.empty(n, dtype=np.float64)
    rank[order] = np.arange(n) - np.searchsorted(ranked, ranked, side="left") + 1
    rank[np.isnan(rem)] = np.nan
    return pd.Series(floor + (rank <= short).astype("float64"), index=values.index).round().astype("Int64")


_CLUSTER = ["cluster_id", "cluster_name", "region_code"]


def _joined(mun: pd.DataFrame, members: pd.DataFrame, cols: list[str], dtypes: dict,
            extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows of ``mun.merge(members, on entity_id == municipality_code, how="inner")``: the members'
    cluster columns (categorical, ``dtypes``), ``cols`` of ``mun``, then the members' ``extra`` columns."""
    left, right = join_rows(mun["entity_id"], members["municipality_code"].tolist())
    out = mun[cols].take(left).reset_index(drop=True)
    for i, c in enumerate(_CLUSTER):
        codes = pd.Categorical(members[c], dtype=dtypes[c]).codes
        out.insert(i, c, pd.Categorical.from_codes(codes[right], dtype=dtypes[c]))
    for c in extra:
        out[c] = members[c].iloc[right].reset_index(drop=True)
    return out


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
    # the cluster columns as categories while millions of rows are joined and summed (strings at the end)
    dtypes = {c: pd.CategoricalDtype(pd.unique(mem[c].dropna())) for c in _CLUSTER}
    # whole municipalities
    whole = mem[mem["allocation"] == "whole"]
    parts.append(_joined(mun, whole, [*group, "population", "_missing"], dtypes))
    # share-defined splits
    shares = mem[mem["allocation"] == "share"]
    if not shares.empty:
        tot = shares.groupby("municipality_code")["share"].sum()
        off = tot[(tot - 1).abs() > SHARE_TOLERANCE]
        if not off.empty:
            raise KlyngedataError(f"division {div}: shares of municipality {off.index[0]} add up to "
                                  f"{float(off.iloc[0])}, not 1")
        s = _joined(mun, shares, ["entity_id", *group, "population", "_missing"], dtypes, extra=("share",))
        s["population"] = _largest_remainder(s["population"], s["share"], group_ids(s, ["entity_id", *group])[0])
        parts.append(s[[*_CLUSTER, *group, "population", "_missing"]])
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
                    parts.append(allocated.astype(dtypes))
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
            rest["cluster_name"] = words(div).fill("{navn} (ikke fordelt på {klynger})", navn=names.get(code, code))
            rest["region_code"] = regions.get(code)
            unallocated.append(rest[["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]])
    # Christiansø and any other area outside the division
    covered = set(mem["municipality_code"])
    outside = mun[~mun["entity_id"].isin(covered)]
    for code, rows in outside.groupby("entity_id"):
        rows = rows.copy()
        rows["cluster_id"] = f"{code}{NO_CLUSTER_SUFFIX}"
        rows["cluster_name"] = words(div).fill("{navn} (ikke i {en} {sundhedsklynge})", navn=names.get(code, code))
        rows["region_code"] = regions.get(code)
        unallocated.append(rows[["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]])
    allc = pd.concat(parts, ignore_index=True)
    out = _aggregate(allc, ["cluster_id", "cluster_name", "region_code", *group])
    for c in _CLUSTER:
        out[c] = decategorized(out[c], mem[c].dtype)
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




MISSING_DA = "markeret '..' i kilden"




def _missing_names(population: pd.Series, names: pd.Series | Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``(name,)`` where the count is missing ('..'), None elsewhere: the seed of the missing-member lists.
    ``names``: the names of all rows, or a function giving them for the rows it is given (the missing ones)."""
    out = np.full(len(population), None, dtype=object)
    na = population.isna().to_numpy()
    if na.any():
        which = names(population.index[na]) if callable(names) else names[na]
        for i, name in zip(np.flatnonzero(na), which, strict=True):  # one by one: tuples stay tuples
            out[i] = (str(name),)
    return pd.Series(out, index=population.index, dtype=object)


def _aggregate(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum ``population`` over ``keys``; a group with a missing member is missing, never a partial sum.

    ``_missing`` (a tuple of names, None when complete) collects the names of the missing members. The frame is
    that of ``groupby(keys, observed=True, as_index=False, dropna=False, sort=False)`` (grouped on integer
    codes: :mod:`klyngedata.population.groups`).
    """
    ids, first = group_ids(df, keys)
    sums = group_sums(df["population"], ids, len(first))
    if sums is None:
        return _aggregate_pandas(df, keys)
    total, has_na = sums
    out = df[keys].take(first).reset_index(drop=True)
    dtype = df["population"].dtype
    out["population"] = pd.array(total, dtype=dtype) if isinstance(dtype, pd.api.extensions.ExtensionDtype) \
        else total.astype(dtype, copy=False)
    if not has_na.any():
        out["_missing"] = None
        return out
    na = df["population"].isna().to_numpy()
    names: dict[int, set] = {int(g): set() for g in np.flatnonzero(has_na)}
    for g, t in zip(ids[na], df["_missing"].to_numpy()[na], strict=True):
        if t:
            names[int(g)].update(t)
    missing = np.full(len(first), None, dtype=object)
    for g, who in names.items():
        missing[g] = tuple(sorted(who))
    out["_missing"] = missing
    out["population"] = out["population"].astype("Int64").where(~has_na, pd.NA)
    return out


def _aggregate_pandas(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`_aggregate` by pandas' groupby (a population column that is not integer)."""
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
    entity = mun["entity_id"]
    if isinstance(entity.dtype, pd.CategoricalDtype):  # rows per municipality, counted on the codes
        codes = entity.cat.codes.to_numpy()
        counts = dict(zip(entity.cat.categories.astype(str),
                          np.bincount(codes[codes >= 0], minlength=len(entity.cat.categories)).tolist(),
                          strict=True))
    else:
        counts = entity.astype(str).value_counts()
    n_cells = count_groups(mun, group)
    short = [c for c in expected if counts.get(c, 0) < n_cells]
    if not short:
        return mun
    cells = mun[group].drop_duplicates(ignore_index=True)
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
