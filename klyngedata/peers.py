"""Peers: the units of a division most similar to a given one, by population features computed from data.

Like NHS RightCare's "most similar" comparators: a cluster (or council) is compared with the ``n`` units
of the *same division* whose populations look most like its own. The features, computed for every unit of
the division from the cached data (nothing is built in):

``log_population``
    Size: log10 of the population in the latest period (Statistics Denmark, FOLK1A/FOLK1AM).
``growth_pct``
    Growth: population change in % over the longest whole number of years (at most 5) that the data cover
    for every unit, the same month/quarter back.
``share_65_plus``, ``share_80_plus``
    Age structure, when the population is available by age (else left out, and said in
    ``attrs["features_da"]``).
``group_1`` … ``group_5``
    Urbanity: the share of the unit's population living in each of Statistics Denmark's municipality
    groups (1 Hovedstadskommuner … 5 Landkommuner; imported from a file, see
    :mod:`klyngedata.municipality_groups`; left out if not imported).

Distance: every feature is standardised over the units of the division (z-scores) and the distance is the
weighted Euclidean distance of the z-scores (:func:`klyngedata.stats.similarity.nearest`). Size, growth and
each age share weigh 1; the five group shares together weigh 1 (1/5 each), so urbanity counts as one
feature. Units whose features cannot be computed (e.g. a cluster with a municipality split by bydel
without population per bydel) are left out and listed with the Danish reason in ``attrs["excluded"]``.

Example
-------
Needs population data imported into the data directory; not run as a doctest.
>>> peers("nordjylland-vest", n=5, division="sundhedsklynger-2022")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from klyngedata.exceptions import ArgumentError, DataNotAvailable, KlyngedataError, LookupFailed
from klyngedata.stats.similarity import nearest
from klyngedata.vocabulary import period_code
from klyngedata.weights import division_weights

__all__ = ["FEATURES_DA", "peer_features", "peers"]

FEATURES_DA = {
    "log_population": "befolkningens størrelse (logaritme af folketallet)",
    "growth_pct": "befolkningsudvikling i procent",
    "share_65_plus": "andel 65 år og derover",
    "share_80_plus": "andel 80 år og derover",
    "group_mix": "fordeling af befolkningen på Danmarks Statistiks kommunegrupper (hovedstads-, storby-, "
                 "provinsby-, oplands- og landkommuner)",
}
"""Danish description of each feature (``group_mix`` = the five ``group_*`` columns together)."""

GROUP_WEIGHT = 1.0
MAX_GROWTH_YEARS = 5


def _cluster_totals(division: str, data_dir: Any, by_age: bool) -> pd.DataFrame:
    from klyngedata.population import population

    kwargs: dict[str, Any] = dict(level="cluster", division=division, period="all", data_dir=data_dir)
    if by_age:
        kwargs["age_groups"] = [0, 65, 80]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unallocated parts of split municipalities are handled below
        frame = population(**kwargs)
    if "sex" in frame.columns:
        frame = frame[frame["sex"].astype(str) == "total"]
    return frame


def peer_features(division: str | None = None, period: object = "latest",
                  data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The peer features of every unit of ``division`` (one row per unit, index ``unit_id``).

    Columns: ``name``, ``region_name``, ``population``, the features (module docstring) and ``reason_da``
    (why a unit has missing features). ``attrs``: ``features_da`` (the features used, Danish),
    ``period``, ``growth_years``.

    Example
    -------
    Needs population data imported into the data directory; not run as a doctest.
    >>> peer_features("sundhedsklynger-2022", data_dir="/tmp/kd").loc["nordjylland-vest", "population"]
    ... # doctest: +SKIP
    62598.0
    """
    from klyngedata import registry

    division = registry.resolve_division(division)
    units = registry.clusters(division=division)
    if units.empty:
        raise DataNotAvailable(f"division {division!r} has no units")
    mem = registry.membership(division)
    try:
        frame, by_age = _cluster_totals(division, data_dir, True), True
    except (DataNotAvailable, KlyngedataError):
        frame, by_age = _cluster_totals(division, data_dir, False), False
    if frame.empty:
        raise DataNotAvailable("no population data for the units of the division")
    periods = sorted(set(frame["period"]))
    end = periods[-1] if period in (None, "latest") else _match_period(periods, period)
    ppy = {"M": 12, "Q": 4}.get(end.freqstr[0], 1)
    growth_years = next((y for y in range(MAX_GROWTH_YEARS, 0, -1) if end - y * ppy in set(periods)), 0)

    ids = set(units["cluster_id"])
    total = frame[frame["age_group"].isna()] if "age_group" in frame.columns else frame
    if "age_group" in frame.columns and total.empty:  # the sum of the age groups: missing if one of them is
        g = frame.assign(_na=frame["population"].isna()).groupby(["entity_id", "period"], as_index=False)
        total = g.agg(population=("population", "sum"), _na=("_na", "any"), reason_da=("reason_da", "first"))
        total["population"] = total["population"].astype("Float64").mask(total["_na"])
    pop = total.pivot(index="entity_id", columns="period", values="population").astype("Float64")
    reasons = _unallocated(frame, mem, end)
    why = _missing_reasons(total, end)  # a unit whose population is missing says why (the population's reason)
    for cid, reason in why.items():
        reasons.setdefault(cid, reason)
    rows = []
    for u in units.itertuples(index=False):
        cid = u.cluster_id
        row: dict[str, Any] = {"unit_id": cid, "name": u.name, "region_name": u.region_name,
                               "reason_da": reasons.get(cid, "")}
        p_end = pop.loc[cid, end] if cid in pop.index and end in pop.columns else np.nan
        row["population"] = float(p_end) if pd.notna(p_end) and not row["reason_da"] else np.nan
        if pd.isna(row["population"]) and not row["reason_da"]:
            row["reason_da"] = "Der er ingen befolkningstal for enheden i perioden."
        row["log_population"] = math.log10(row["population"]) if row["population"] > 0 else np.nan
        if growth_years:
            start = end - growth_years * ppy
            p0 = pop.loc[cid, start] if cid in pop.index and start in pop.columns else np.nan
            ok = pd.notna(p0) and p0 > 0 and pd.notna(row["population"]) and not reasons.get(cid)
            row["growth_pct"] = 100.0 * (row["population"] - float(p0)) / float(p0) if ok else np.nan
        rows.append(row)
    out = pd.DataFrame(rows).set_index("unit_id")
    used = ["log_population"] + (["growth_pct"] if growth_years else [])
    if by_age:
        ages = frame[(frame["period"] == end) & frame["entity_id"].isin(ids) & frame["age_group"].notna()]
        wide = ages.pivot(index="entity_id", columns="age_group", values="population").astype("Float64")
        lab80 = [c for c in wide.columns if str(c).startswith("80")]
        lab65 = [c for c in wide.columns if str(c).startswith("65")] + lab80
        tot = wide.sum(axis=1, skipna=False)  # a missing age group: no shares (never over the groups there are)
        for col, labels in (("share_65_plus", lab65), ("share_80_plus", lab80)):
            share = (100 * wide[labels].sum(axis=1, skipna=False) / tot).reindex(out.index)
            out[col] = share.to_numpy(dtype="float64", na_value=np.nan)
        out.loc[out["reason_da"] != "", ["share_65_plus", "share_80_plus"]] = np.nan
        for cid, reason in _missing_reasons(ages, end).items():
            if cid in out.index and not out.loc[cid, "reason_da"]:
                out.loc[cid, "reason_da"] = reason
        used += ["share_65_plus", "share_80_plus"]
    groups_used = _add_group_mix(out, mem, data_dir, end)
    if groups_used:
        used += ["group_mix"]
    out.attrs["features"] = used
    out.attrs["features_da"] = [FEATURES_DA[f] for f in used]
    out.attrs["period"] = period_code(end)
    out.attrs["growth_years"] = growth_years
    out.attrs["division"] = division
    out.attrs["by_age"] = by_age
    return out


def _missing_reasons(frame: pd.DataFrame, end: Any) -> dict[str, str]:
    """Unit id -> the Danish reason its population (a row of ``frame`` in ``end``) is missing."""
    if "reason_da" not in frame.columns:
        return {}
    why = frame[(frame["period"] == end) & frame["population"].isna() & frame["reason_da"].notna()]
    return dict(zip(why["entity_id"].astype(str), why["reason_da"].astype(str), strict=True))


def _match_period(periods: list, period: object) -> Any:
    from klyngedata.vocabulary import parse_period

    p = parse_period(period)
    if p not in set(periods):
        raise DataNotAvailable(f"period {period} is not in the population data")
    return p


def _unallocated(frame: pd.DataFrame, mem: pd.DataFrame, end: Any) -> dict[str, str]:
    """Clusters holding part of a split municipality whose rest is not allocated (no unit population)."""
    out: dict[str, str] = {}
    rest = frame[(frame["period"] == end) & frame["entity_id"].astype(str).str.endswith(":ikke-fordelt")
                 & (frame["population"].fillna(0) > 0)]
    for code in {str(e).split(":")[0] for e in rest["entity_id"]}:
        m = mem[mem["municipality_code"] == code]
        name = str(m["municipality_name"].iloc[0]) if len(m) and "municipality_name" in m else code
        for cid in m["cluster_id"].unique():
            out[cid] = (f"{name} er delt mellem klynger, og befolkningen pr. delområde findes ikke i data, så "
                        "klyngens befolkning kan ikke opgøres.")
    return out


def _add_group_mix(out: pd.DataFrame, mem: pd.DataFrame, data_dir: Any, end: Any) -> bool:
    """Add ``group_1`` … ``group_5`` (shares of the unit's population, %); False if groups are unavailable."""
    from klyngedata.municipality_groups import municipality_groups
    from klyngedata.population import population

    try:
        groups = municipality_groups(data_dir)
    except DataNotAvailable:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mun = population(level="municipality", period=period_code(end), data_dir=data_dir)
    mun_pop = dict(zip(mun["entity_id"].astype(str), mun["population"].astype(float), strict=False))
    gmap = dict(zip(groups["municipality_code"], groups["group"], strict=True))
    cols = [f"group_{g}" for g in range(1, 6)]
    for c in cols:
        out[c] = np.nan
    for cid, uw in division_weights(str(mem["division"].iloc[0])).items():
        if cid not in out.index or pd.isna(out.loc[cid, "population"]):
            continue
        by_group = dict.fromkeys(range(1, 6), 0.0)
        known, split = 0.0, []
        for code, weight in uw.members.items():
            g, p = gmap.get(code), mun_pop.get(code)
            if g is None or p is None:
                by_group = None
                break
            if weight is None:  # split by sub-areas without their population
                split.append(g)
            else:
                by_group[g] += p * weight
                known += p * weight
        if by_group is None or len(split) > 1:
            continue
        if split:  # the allocated part of the one split municipality = the unit's population - the rest
            by_group[split[0]] += max(float(out.loc[cid, "population"]) - known, 0.0)
        total = sum(by_group.values())
        if total > 0:
            for g in range(1, 6):
                out.loc[cid, f"group_{g}"] = 100.0 * by_group[g] / total
    return True


def peers(unit: str, n: int = 5, division: str | None = None, period: object = "latest",
          data_dir: str | os.PathLike[str] | None = None, *, features: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``n`` units of the same division most similar to ``unit`` (see the module docstring).

    Returns one row per peer: ``rank``, ``unit_id``, ``name``, ``region_name``, ``distance``,
    ``population``, ``growth_pct`` and the other features. ``attrs``: ``unit`` (the unit's own feature row),
    ``features_da`` (Danish list of features), ``excluded`` (unit id -> Danish reason), ``period``,
    ``division``, ``method_da`` (a Danish sentence for reports).

    Example
    -------
    Needs population data imported into the data directory; not run as a doctest.
    >>> peers("nordjylland-vest", n=5)["unit_id"].tolist()  # doctest: +SKIP
    """
    from klyngedata import registry

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ArgumentError(f"peers(): n must be a whole number of units, at least 1 (got n={n!r})")
    cl = registry.cluster(unit, division=division)
    feats = features if features is not None else peer_features(cl.division, period, data_dir)
    if cl.id not in feats.index:
        raise LookupFailed(f"{cl.id} is not a unit of division {feats.attrs.get('division')}")
    used = [c for c in feats.columns if c in ("log_population", "growth_pct", "share_65_plus", "share_80_plus")
            or c.startswith("group_")]
    if feats.loc[cl.id, used].isna().any():
        reason = feats.loc[cl.id, "reason_da"] or "nogle af kendetegnene kan ikke beregnes"
        raise DataNotAvailable(f"peers of {cl.id}: {reason}")
    weights = {c: GROUP_WEIGHT / 5 if c.startswith("group_") else 1.0 for c in used}
    near = nearest(feats[used], cl.id, n=n, weights=weights)
    out = near.rename(columns={"unit": "unit_id"}).merge(
        feats.drop(columns=["reason_da"]), left_on="unit_id", right_index=True, how="left")
    excluded = {u: (feats.loc[u, "reason_da"] or "nogle kendetegn mangler") for u in near.attrs["excluded"]}
    out.attrs.update(
        unit=feats.loc[cl.id].to_dict(), features=feats.attrs.get("features", []),
        features_da=feats.attrs.get("features_da", []), excluded=excluded, period=feats.attrs.get("period"),
        division=cl.division, growth_years=feats.attrs.get("growth_years"),
        method_da=("Sammenlignelige enheder er fundet blandt inddelingens andre enheder ud fra "
                   + ", ".join(feats.attrs.get("features_da", [])) + ". Hvert kendetegn er standardiseret, og "
                   "afstanden er den euklidiske afstand mellem de standardiserede værdier."),
    )
    return out
