"""Municipalities pooled to units, regions and Denmark: whole, share- and unit-defined members, the
remainder rows, absent and unpublished members (missing with a Danish reason, never a partial sum) and the
source's own region/Denmark rows."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import KlyngedataError, warn
from klyngedata.formatting import number
from klyngedata.population.groups import count_groups, decategorized, group_ids, group_sums, join_rows
from klyngedata.population.load import NO_CLUSTER_SUFFIX, SHARE_TOLERANCE, UNALLOCATED_SUFFIX, PopulationWarning
from klyngedata.population.shape import GAP_COLUMN, _apply_age_groups, _group_cols, _region_names, _select
from klyngedata.registry.words import words
from klyngedata.sources import UNPLACED_UNIT
from klyngedata.vocabulary import period_text_da

log = logging.getLogger(__name__)


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
    unit_pop = _unit_population(mem, data_dir, provenance)
    if "age" in group and unit_pop is not None:
        mun = _fold_to_open_top(mun, group, unit_pop)
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
    unallocated: list[pd.DataFrame] = []
    parts += _unit_splits(mun, mem[mem["allocation"] == "unit"], unit_pop, group, names, regions, dtypes,
                          unallocated, div)
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


def _unit_population(mem: pd.DataFrame, data_dir, provenance: list) -> pd.DataFrame | None:
    """The cached unit populations of the division's unit-split municipalities (None without any)."""
    units_mem = mem[mem["allocation"] == "unit"]
    if units_mem.empty:
        return None
    cache = Cache(data_dir)
    if not cache.exists("population/units"):
        return None
    unit_pop = cache.read("population/units")
    provenance.append({k: unit_pop.attrs["provenance"].get(k) for k in ("table", "file", "periods", "source")})
    return unit_pop[unit_pop["municipality_code"].isin(set(units_mem["municipality_code"]))
                    & unit_pop["unit_type"].isin(set(units_mem["unit_type"]))]


def _same_day(unit_periods: pd.Series, periods: Iterable[pd.Period]) -> pd.Series:
    """Unit periods as the population's periods that count the same day (a quarter counts its first day, as
    FOLK1A's ``2024K1`` and FOLK1AM's ``2024M01`` both count 1 January 2024); NaT where none does."""
    wanted = list(periods)
    if not len(unit_periods) or not wanted:
        return pd.Series(pd.NaT, index=unit_periods.index, dtype=object)
    by_day = {(p.start_time, p.freqstr[0]): p for p in wanted}
    freqs = {p.freqstr[0] for p in wanted}
    out = []
    for p in unit_periods:
        hit = by_day.get((p.start_time, p.freqstr[0]))
        if hit is None and p.freqstr[0] in "QM":
            hit = next((by_day[(p.start_time, f)] for f in freqs if f in "QM" and (p.start_time, f) in by_day),
                       None)
        out.append(hit if hit is not None else pd.NaT)
    return pd.Series(out, index=unit_periods.index, dtype=object)


def align_unit_periods(units: pd.DataFrame, periods: Iterable[pd.Period]) -> pd.DataFrame:
    """The unit rows whose period counts the same day as one of ``periods``, with that period (a unit quarter
    for a month at the start of the quarter and vice versa; see :func:`_same_day`).

    Example
    -------
    >>> u = pd.DataFrame({"period": [pd.Period("2024Q1"), pd.Period("2024Q2")], "population": [5, 6]})
    >>> align_unit_periods(u, [pd.Period("2024-01", "M")])["period"].tolist()
    [Period('2024-01', 'M')]
    """
    per = list(periods)
    codes = pd.Series(pd.unique(units["period"]))
    mapping = dict(zip(codes, _same_day(codes, per), strict=True))
    out = units.assign(period=units["period"].map(mapping))
    out = out[out["period"].notna()]
    if len(out):
        out["period"] = out["period"].astype(pd.PeriodDtype(per[0].freq)) if len({p.freqstr for p in per}) == 1 \
            else out["period"]
    return out


def _fold_to_open_top(mun: pd.DataFrame, group: list[str], unit_pop: pd.DataFrame) -> pd.DataFrame:
    """Single ages at and above the open top group of the unit data (København's bydele: ``99+``) summed into
    that group for every municipality, so that every unit of the division has the same ages and a split
    municipality's oldest residents can be allocated exactly."""
    u = align_unit_periods(unit_pop[unit_pop["age_open"].fillna(False).astype(bool)], mun["period"].unique())
    if u.empty:
        return mun
    top = int(u["age"].min())
    ages = mun["age"].astype("float64").to_numpy()
    old = ages >= top
    if not old.any() or (mun.loc[old, "age_open"].all() and (ages[old] == top).all()):
        return mun
    aged = mun[old].assign(age=pd.array([top] * int(old.sum()), dtype=mun["age"].dtype), age_open=True)
    if "_missing" not in aged.columns:
        aged["_missing"] = None
    folded = _aggregate(aged, ["entity_id", *group])
    young = mun[~old]
    if "_missing" not in young.columns:
        young = young.assign(_missing=None)
    out = pd.concat([young, folded[young.columns]], ignore_index=True)
    for c in ("entity_id", *group):  # keep categorical columns categorical
        if isinstance(mun[c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(out[c], dtype=mun[c].dtype)
    return out


def _unit_splits(mun: pd.DataFrame, units_mem: pd.DataFrame, unit_pop: pd.DataFrame | None, group: list[str],
                 names: dict, regions: dict, dtypes: dict, remainder: list, div: str) -> list[pd.DataFrame]:
    """The cluster parts of unit-split municipalities (København by bydel) from the unit populations.

    A cell (period, sex, age) whose unit data cover every member unit *and* the source's own unit for residents
    it places in no unit (``uden-for-inddeling``) is complete: what the municipality has beyond its member units
    is in no cluster (row ``<code>:ingen-klynge``). Otherwise the part not covered is put in the row
    ``<code>:ikke-fordelt`` and a warning says so (nothing is guessed). The remainder rows go to ``remainder``.
    """
    parts = []
    for code, m in units_mem.groupby("municipality_code"):
        mrows = mun[mun["entity_id"] == code]
        if mrows.empty:
            continue
        rest = mrows[[*group, "population", "_missing"]].reset_index(drop=True)
        complete = pd.Series(False, index=rest.index)
        if unit_pop is not None:
            u = unit_pop[unit_pop["municipality_code"] == code]
            u = _unit_cells(align_unit_periods(u, mun["period"].unique()), mun, group)
            if not u.empty:
                members = u.merge(m[["unit_code", "cluster_id", "cluster_name", "region_code"]], on="unit_code")
                members = members.assign(_missing=_seed_missing(members, members["unit_name"]))
                allocated = _aggregate(members, ["cluster_id", "cluster_name", "region_code", *group])
                parts.append(allocated.astype(dtypes))
                rest = rest.merge(_aggregate(allocated, group), on=group, how="left", suffixes=("", "_units"))
                rest["population"] = rest["population"] - rest["population_units"].fillna(0).astype("Int64")
                rest["population"] = rest["population"].where(rest["_missing_units"].isna(), pd.NA)
                rest["_missing"] = rest["_missing"].where(rest["_missing"].notna(), rest["_missing_units"])
                complete = _complete_cells(rest, members, u, group, set(m["unit_code"]))
        known = rest["population"].notna() & ~complete
        if (rest.loc[known, "population"] != 0).any():
            n_periods = rest.loc[known & (rest["population"] != 0), "period"].nunique()
            unit = str(m["unit_type"].iloc[0])
            navn = names.get(code, code)
            warn(words(div).fill(
                "{navn} er delt mellem {sundhedsklyngerne} efter {enhed}, men {enhed}enes befolkningstal dækker "
                "ikke hele kommunen i {n} {perioder}; resten står i rækken »{navn} (ikke fordelt på {klynger})« "
                "i stedet for at blive gættet. Indlæs {enhed}enes befolkningstal for at fordele {navn}.",
                navn=navn, enhed=unit, n=str(n_periods), perioder="periode" if n_periods == 1 else "perioder"),
                PopulationWarning)
        cols = ["cluster_id", "cluster_name", "region_code", *group, "population", "_missing"]
        outside = "{navn} (uden for " + m["unit_type"].iloc[0] + "ene, ikke i {en} {sundhedsklynge})"
        for done, suffix, label in ((False, UNALLOCATED_SUFFIX, "{navn} (ikke fordelt på {klynger})"),
                                    (True, NO_CLUSTER_SUFFIX, outside)):
            rows = rest[complete == done]
            if done and rows.empty:
                continue
            rows = rows.assign(cluster_id=f"{code}{suffix}", cluster_name=words(div).fill(label,
                                                                                        navn=names.get(code, code)),
                               region_code=regions.get(code))
            remainder.append(rows[cols])
    return parts


def _complete_cells(rest: pd.DataFrame, members: pd.DataFrame, units: pd.DataFrame, group: list[str],
                    member_units: set[str]) -> pd.Series:
    """Which cells of ``rest`` the unit data account for whole: every member unit and the source's unit of
    residents in no unit have a row for the cell."""
    have = members.groupby(group, observed=True, dropna=False)["unit_code"].nunique()
    full = have[have == len(member_units)].reset_index()[group]
    unplaced = units.loc[units["unit_code"] == UNPLACED_UNIT, group].drop_duplicates()
    ok = full.merge(unplaced, on=group).assign(_complete=True)
    flag = rest[group].merge(ok, on=group, how="left")["_complete"]
    return flag.fillna(False).astype(bool).set_axis(rest.index)


def _unit_cells(u: pd.DataFrame, mun: pd.DataFrame, group: list[str]) -> pd.DataFrame:
    """Unit rows at the same sex/age granularity and periods as ``mun``. An age group that an open unit band
    (``99+``) would straddle gets no unit rows at all (never part of it)."""
    periods = set(mun["period"].unique())
    u = u[u["period"].isin(periods)]
    sexes = set(mun["sex"].unique())
    u = u[u["sex"].isin(sexes)]
    if "age_group" in group:
        u = u[u["age"].notna()]
        edges_labels = mun["age_group"].cat.categories
        edges = [int(lbl.split("-")[0].rstrip("+")) for lbl in edges_labels]
        opened = u.loc[u["age_open"].astype(bool), "age"]
        if len(opened) and int(opened.min()) < edges[-1]:
            cut = max(e for e in edges if e <= int(opened.min()))  # the group the open band starts in, and above
            u = u[u["age"] < cut]
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


GAP = "\x1e"
"""Prefix of an entry in the internal missing-member lists: ``GAP + name + GAP_SEP + years``: the member's age
group lacks those years in the data (the data hold the population by age, but not every year of the group)."""
GAP_SEP = "\x1d"


def _seed_missing(frame: pd.DataFrame, names: pd.Series | Callable[[pd.Series], pd.Series]) -> pd.Series:
    """:func:`_missing_names`, and for a row whose age group lacks years (``shape.GAP_COLUMN``) the entry
    naming them."""
    out = _missing_names(frame["population"], names)
    if GAP_COLUMN not in frame.columns:
        return out
    gap = frame[GAP_COLUMN].to_numpy(dtype=object)
    rows = np.flatnonzero(np.array([g is not None for g in gap], dtype=bool))
    if len(rows):
        who = names(frame.index[rows]) if callable(names) else names.iloc[rows]
        for i, name in zip(rows, who, strict=True):
            out.iloc[i] = (f"{GAP}{name}{GAP_SEP}{gap[i]}",)
    return out


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
        dots = tuple(n for n in who if not n.startswith((ABSENT, GAP)))
        absent = tuple(n[1:] for n in who if n.startswith(ABSENT))
        gaps: dict[str, list[str]] = {}
        for n in who:
            if n.startswith(GAP):
                member, years = n[1:].split(GAP_SEP, 1)
                gaps.setdefault(years, []).append(member)
        parts = [f"i data mangler {years} for {_join_da(tuple(members))}" for years, members in gaps.items()]
        if dots:
            parts.append(f"Danmarks Statistik har ikke offentliggjort befolkningstallet for {_join_da(dots)} "
                         f"({MISSING_DA})")
        if absent:
            parts.append(f"befolkningstallet for {_join_da(absent)} findes ikke i de indlæste data"
                         if parts else
                         f"Befolkningstallet for {_join_da(absent)} findes ikke i de indlæste data")
        text = "; ".join(parts)
        text = text[:1].upper() + text[1:]
        if level != "municipality" and tuple(who) != (name,):
            text += f", så tallet for {name} kan ikke beregnes uden at gætte"
        elif gaps:
            text += ", så aldersgruppen kan ikke beregnes uden at gætte"
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
    own["_missing"] = _seed_missing(own, own["entity_id"].map(names).fillna(own["entity_id"]))
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
        log.info("%s %s %s: sum of municipalities %s differs from the source's own row %s", area, r["entity_id"],
                 r["period"], r["population"], r["population_own"])
        warn(f"{names.get(r['entity_id'], r['entity_id'])}, {period_text_da(r['period'], stock=True)}: summen af "
             f"kommunerne ({number(r['population'])}) afviger fra kildens egen række ({number(r['population_own'])}); "
             "kildens tal bruges.", PopulationWarning)
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
