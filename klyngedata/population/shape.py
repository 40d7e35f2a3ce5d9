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


def _apply_age_groups(df: pd.DataFrame, age_groups: str | Sequence[int]) -> pd.DataFrame:
    edges = AGE_GROUPS.get(age_groups) if isinstance(age_groups, str) else list(age_groups)
    if edges is None:
        raise KlyngedataError(f"age_groups {age_groups!r}: use 'broad', '5y' or a list of bin edges")
    edges = sorted(int(e) for e in edges)
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
        raise DataNotAvailable(f"the cached {table} has no rows for by={sorted(by)} "
                               f"age_groups={age_groups!r}: {GET_DATA_HINT}.")
    cols = ["area_code", "period", "sex"] + (["age", "age_open"] if want_age else []) + ["population"]
    # every row selected (a table read with the selection's filters): no copy of millions of rows
    df = (base[cols] if mask.all() else base.loc[mask, cols]).rename(columns={"area_code": "entity_id"})
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
    regions[CHRISTIANSOE] = registry.region_key_on(CHRISTIANSOE_REGION,
                                                   division=registry.resolve_division(division))
    return names, regions


def _region_names() -> dict:
    from klyngedata import registry

    r = registry.regions()
    return dict(zip(r["region_key"].astype(str), r["name"], strict=True))
