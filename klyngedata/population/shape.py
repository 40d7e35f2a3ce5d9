"""Shaping a population table: the selected periods, sexes and ages, age groups, and the names and regions
of the municipalities (regions as valid for the division)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.cache import GET_DATA_HINT
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.population.load import AGE_GROUPS
from klyngedata.vocabulary import AgeBand, period_code
from klyngedata.vocabulary.codes import CHRISTIANSOE, CHRISTIANSOE_REGION


# ---------------------------------------------------------------------------------------------
# shaping
# ---------------------------------------------------------------------------------------------
def _age_labels(edges: Sequence[int]) -> list[str]:
    return [AgeBand(lo, None if hi is None else hi - 1).label
            for lo, hi in zip(edges, list(edges[1:]) + [None], strict=True)]


def _edges(age_groups: object) -> list[int]:
    """The bin edges of ``age_groups`` ('broad', '5y' or whole ages); an :class:`ArgumentError` naming the
    argument otherwise (a list like ``["0-17"]`` raised a bare ValueError).

    >>> _edges([0, 18, 65])
    [0, 18, 65]
    >>> _edges(["0-17"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    klyngedata.exceptions.ArgumentError: age_groups ['0-17']: '0-17' is not a whole age; use 'broad', '5y' or ...
    """
    from klyngedata.exceptions import ArgumentError

    hint = "use 'broad', '5y' or a list of bin edges (whole ages, e.g. [0, 18, 65, 80])"
    if isinstance(age_groups, str):
        if age_groups not in AGE_GROUPS:
            raise ArgumentError(f"age_groups {age_groups!r}: {hint}")
        return list(AGE_GROUPS[age_groups])
    try:
        edges = list(age_groups)  # type: ignore[call-overload]
    except TypeError:
        raise ArgumentError(f"age_groups {age_groups!r}: {hint}") from None
    for e in edges:
        if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < 0:
            raise ArgumentError(f"age_groups {age_groups!r}: {e!r} is not a whole age; {hint}")
    if not edges or len(set(edges)) != len(edges):
        raise ArgumentError(f"age_groups {age_groups!r}: the edges must be distinct ages, at least one; {hint}")
    return [int(e) for e in edges]


def _apply_age_groups(df: pd.DataFrame, age_groups: str | Sequence[int]) -> pd.DataFrame:
    edges = sorted(_edges(age_groups))
    if edges[0] != 0:
        edges = [0, *edges]
    labels = _age_labels(edges)
    ages = df["age"].astype("float64").to_numpy()
    top = int(np.nanmax(ages)) if len(ages) and not np.isnan(ages).all() else -1
    if 0 <= top < 1000 and len(ages) > 1000 and not np.isnan(ages).any() and ages.min() >= 0:
        # single years: the group of every year up to the oldest, looked up (not searched for millions of rows)
        lookup = np.searchsorted(np.asarray(edges), np.arange(top + 1, dtype="float64"), side="right") - 1
        idx = lookup[ages.astype(np.int64)]
    else:
        idx = np.searchsorted(np.asarray(edges), ages, side="right") - 1
    bad = df["age_open"].to_numpy() & (ages < edges[-1])
    if bad.any():
        raise KlyngedataError(f"the open age group {int(df.loc[bad, 'age'].iloc[0])}+ cannot be split by the "
                              f"age group edges {edges}; use a last edge of at most that age")
    gaps = _group_gaps(df, idx, edges)
    out = df.drop(columns=["age", "age_open"])
    out["age_group"] = pd.Categorical.from_codes(idx, categories=labels, ordered=True)
    if gaps is not None:  # a group some of whose years are not in the data is missing, never a partial sum
        out["population"] = out["population"].astype("Int64").mask(gaps.notna().to_numpy())
        out[GAP_COLUMN] = gaps
    return out


GAP_COLUMN = "_gap"
"""Column of an age-grouped frame naming (in Danish) the years a row's age group lacks in the data; None where
the group is complete. Present only when some group lacks years."""


def _group_gaps(df: pd.DataFrame, idx: np.ndarray, edges: list[int]) -> pd.Series | None:
    """For every row, the Danish text of the years its age group lacks in its cell (area, period, sex ...), or
    None: a closed group needs each of its years, the open top group each year from its start to an open
    year (``100-``) or to at least 100 (as :func:`klyngedata.dst.totals.complete_age_totals`)."""
    from klyngedata.population.groups import group_ids
    from klyngedata.vocabulary import ages_da

    keys = [c for c in df.columns if c not in ("age", "age_open", "population")]
    frame = df[keys].assign(_g=idx)
    ids, first = group_ids(frame, [*keys, "_g"])
    k = len(first)
    ages = df["age"].to_numpy(dtype=np.int64)
    is_open = df["age_open"].to_numpy(dtype=bool)
    n = np.bincount(ids, minlength=k)
    lo = np.full(k, np.iinfo(np.int64).max)
    hi = np.full(k, -1)
    np.minimum.at(lo, ids, ages)
    np.maximum.at(hi, ids, ages)
    has_open = np.bincount(ids, weights=is_open, minlength=k) > 0
    g = idx[first]
    start = np.asarray(edges)[g]
    top = np.array([edges[i + 1] - 1 if i + 1 < len(edges) else -1 for i in g])
    closed = top >= 0
    complete = (lo == start) & (n == hi - lo + 1) & np.where(closed, hi == top, has_open | (hi >= 100))
    if complete.all():
        return None
    text = np.full(k, None, dtype=object)
    described: dict[tuple, str] = {}
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(k + 1))
    for gid in np.flatnonzero(~complete):
        present = set(ages[order[bounds[gid]:bounds[gid + 1]]].tolist())
        end = int(top[gid]) if closed[gid] else max(present | {int(start[gid])})
        lacking = tuple(a for a in range(int(start[gid]), end + 1) if a not in present)
        open_from = None if closed[gid] or has_open[gid] or end >= 100 else end + 1
        key = (lacking, open_from)
        if key not in described:
            described[key] = ages_da(lacking, open_from=open_from)
        text[gid] = described[key]
    return pd.Series(text[ids], index=df.index, dtype=object)


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
            raise DataNotAvailable(f"period(s) {', '.join(period_code(p) for p in missing)} not in the cached "
                                   f"{table} (it has {period_code(lo) if have else '-'}..."
                                   f"{period_code(hi) if have else '-'}): {GET_DATA_HINT}.")
        mask &= base["period"].isin(periods).to_numpy()
    want_sex = "sex" in by
    want_age = "age" in by or age_groups is not None
    sex = base["sex"].isin(["male", "female"]) if want_sex else base["sex"] == "total"
    mask &= sex.to_numpy(dtype=bool, na_value=False)
    mask &= (base["age"].notna() if want_age else base["age"].isna()).to_numpy()
    if not mask.any() and area_level == "municipality":
        table = base.attrs.get("provenance", {}).get("table")
        other = _other_shape(base, area)
        raise DataNotAvailable(f"the cached {table} has no rows for by={sorted(by)} age_groups={age_groups!r}"
                               + (f": {other}" if other else f": {GET_DATA_HINT}."))
    cols = ["area_code", "period", "sex"] + (["age", "age_open"] if want_age else []) + ["population"]
    # every row selected (a table read with the selection's filters): no copy of millions of rows
    df = (base[cols] if mask.all() else base.loc[mask, cols]).rename(columns={"area_code": "entity_id"})
    if age_groups is not None:
        df = _apply_age_groups(df, age_groups)
        if "age" in by:
            raise KlyngedataError("use either by=['age'] or age_groups, not both")
    return df


def _other_shape(base: pd.DataFrame, area: np.ndarray) -> str | None:
    """What the table holds when it lacks the shape asked for (the data are there in another shape), or None when
    it holds no municipality rows at all (they are not in the data)."""
    rows = base.loc[area, ["sex", "age", "age_open"]]
    if rows.empty:
        return None
    sexes = sorted(set(rows["sex"].astype(str)))
    by_sex = "by sex" if "total" not in sexes else "for both sexes"
    ages = rows["age"].dropna().astype(int)
    if ages.empty:
        return (f"it holds the population {by_sex} without an age breakdown; ask for that shape (by="
                f"{['sex'] if 'total' not in sexes else []}, no age groups) or import a table by age")
    have = set(ages.unique().tolist())
    top = max(have)
    opened = bool(rows.loc[rows["age"] == top, "age_open"].any())
    lacking = [a for a in range(0, top + 1) if a not in have]
    what = f"it holds the population {by_sex} by single year of age (0-{top}{'+' if opened else ''})"
    if not lacking and (opened or top >= 100) and "total" not in sexes:
        return f"{what}, not for both sexes; ask by=['sex', ...]"
    missing = [str(a) for a in lacking] + ([] if opened or top >= 100 else [f"{top + 1}+"])
    ages_word = "age" if len(missing) == 1 else "ages"
    verb = "is" if len(missing) == 1 else "are"
    return (f"{what}, but {ages_word} {', '.join(missing)} {verb} not in it, so all-ages totals and age groups over "
            "them cannot be computed without guessing; ask for the single years (by=['age']) or age groups that "
            "leave them out, or import an export with every age (or with the totals)")


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
    regions[CHRISTIANSOE] = registry.region_key_on(CHRISTIANSOE_REGION,
                                                   division=registry.resolve_division(division))
    return names, regions


def _region_names() -> dict:
    from klyngedata import registry

    r = registry.regions()
    return dict(zip(r["region_key"].astype(str), r["name"], strict=True))
