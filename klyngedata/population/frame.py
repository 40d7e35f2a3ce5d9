"""The entry point :func:`population` (the schema is in :mod:`klyngedata.population`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import KlyngedataError
from klyngedata.population.load import _align_quarters_to_months, _choose_base, _compact, _parse_periods
from klyngedata.population.pooling import (
    _aggregate,
    _complete_members,
    _reasons,
    _seed_missing,
    _to_clusters,
    _use_own_rows,
    _with_absent_members,
)
from klyngedata.population.shape import _group_cols, _municipality_names, _region_names, _select
from klyngedata.sources import (
    complete_age_totals,
    complete_totals,
)
from klyngedata.vocabulary import parse_level, period_code


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
    Needs population data imported into the data directory; not run as a doctest.
    >>> population("cluster", period="2035", kind="projection", age_groups="broad")  # doctest: +SKIP
    """
    from klyngedata.population.memo import remembered

    level = parse_level(level)
    return remembered("population", _population, {"level": level, "division": division, "period": period, "by": by,
                                    "age_groups": age_groups, "kind": kind, "geometry": geometry,
                                    "data_dir": data_dir, "refresh": refresh})


def _population(level: str, division: str | None, period: Any, by: Sequence[str],
                age_groups: str | Sequence[int] | None, kind: str, geometry: bool,
                data_dir: str | os.PathLike[str] | None, refresh: bool) -> pd.DataFrame:
    from klyngedata.exceptions import ArgumentError
    from klyngedata.population.shape import _edges

    by_set = set(by)
    if not by_set <= {"sex", "age"}:
        raise ArgumentError(f"by must be a subset of ('sex', 'age'), not {sorted(by_set)}")
    if age_groups is not None:
        _edges(age_groups)  # the arguments first: a wrong one is named before what the data hold is said
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
    used_periods = sorted({period_code(p) for p in mun["period"].unique()})
    provenance = [{
        "table": meta.get("table"),
        "presentation": meta.get("presentation"),
        "periods": used_periods,
        **({"fetched_at": meta["fetched_at"]} if meta.get("fetched_at") else {}),
        **({"updated": meta["updated"]} if meta.get("updated") else {}),
        **({"file": meta["file"]} if meta.get("file") else {}),
        "source": meta.get("source"),
    }]
    if age_groups is None or mun["population"].hasnans:  # (summed without '..' years: no list to seed)
        mun["_missing"] = _seed_missing(mun, lambda rows: mun.loc[rows, "entity_id"].map(names))
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
