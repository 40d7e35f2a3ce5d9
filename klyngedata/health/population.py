"""The population the health figures are divided by: each municipality's population on 1 January of a year in an
age group (all ages, 65+, 67+, 80+), built exactly from the bands a population table has (frames layer).

Sources, in this order for each year
    1. the population cache by single years of age (FOLK1A, else FOLK1AM; :func:`klyngedata.population.population`),
       the first quarter or January of the year: every group is exact;
    2. FOLK1B's 5-year bands (fetched with the health tables), the first quarter of the year: 65+ and 80+ are exact,
       67+ is refused (the bands have edges at 65 and 70, not 67) – missing with the edges named;
    3. the population of all ages alone (e.g. FOLK1AM without ages): all ages only;
    4. without any: missing, with the reason.

The projection (:func:`projection_groups`) is Statistics Denmark's newest active FRKM1yy in the population cache,
by single years of age, for every projected year.

Schema (both functions): ``municipality_code``, ``year`` (int), ``group`` (``"total"``, ``"65+"`` …),
``population`` (float; NaN when missing), ``reason_da`` (``""`` unless missing), ``source`` (``"FOLK1A 2024K1"``);
``attrs["provenance"]``: the tables used (``table``, ``fetched_at``, ``updated``).

Example
-------
Needs the population tables fetched into a data directory; not run as a doctest.
>>> population_groups(["total", "65+"], [2024], data_dir="/tmp/kd")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.exceptions import KlyngedataError
from klyngedata.stats.banded import group_sums
from klyngedata.vocabulary import period_code

__all__ = ["COLUMNS", "NO_POPULATION_DA", "population_groups", "projection_groups"]

COLUMNS = ["municipality_code", "year", "group", "population", "reason_da", "source"]
NO_POPULATION_DA = ("Befolkningen 1. januar {year} efter alder findes ikke i de hentede data, så tallet kan ikke "
                    "beregnes.")


def _cached(data_dir, kind: str) -> bool:
    """Whether the population cache holds a table of ``kind`` (the health figures never make population() fetch)."""
    from klyngedata.cache import Cache

    wanted = ("population/FRKM",) if kind == "projection" else ("population/FOLK1A",)
    return any(k.startswith(wanted) for k in Cache(data_dir).keys())


def _single_years(data_dir, kind: str) -> tuple[pd.DataFrame | None, dict]:
    """The municipality population by single year of age (``municipality_code, period, age_lo, age_hi,
    age_total, value, reason_da``) from the population cache, or None."""
    from klyngedata.population import population

    if not _cached(data_dir, kind):
        return None, {}
    try:
        frame = population("municipality", period="all", by=["age"], kind=kind, data_dir=data_dir)
    except KlyngedataError:
        return None, {}
    prov = (frame.attrs.get("provenance") or [{}])[0]
    if frame.empty:
        return None, prov
    age = frame["age"].astype("Int64")
    # the oldest single year closes the table (FOLK1A lists every age up to 125; nobody is older)
    top = frame["age_open"].to_numpy(dtype=bool) | (age == age.max()).to_numpy(dtype=bool, na_value=False)
    out = pd.DataFrame({
        "municipality_code": frame["entity_id"].astype(str).to_numpy(), "period": frame["period"].to_numpy(),
        "age_lo": age.to_numpy(), "age_hi": age.astype("Float64").mask(top).to_numpy(dtype=float, na_value=np.nan),
        "age_total": False, "value": frame["population"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "reason_da": frame["reason_da"].fillna("").astype(str).to_numpy()})
    return out, prov


def _totals(data_dir) -> tuple[pd.DataFrame | None, dict]:
    """The municipality population of all ages (e.g. FOLK1AM without ages), or None."""
    from klyngedata.population import population

    if not _cached(data_dir, "observed"):
        return None, {}
    try:
        frame = population("municipality", period="all", data_dir=data_dir)
    except KlyngedataError:
        return None, {}
    prov = (frame.attrs.get("provenance") or [{}])[0]
    out = pd.DataFrame({
        "municipality_code": frame["entity_id"].astype(str).to_numpy(), "period": frame["period"].to_numpy(),
        "age_lo": pd.NA, "age_hi": pd.NA, "age_total": True,
        "value": frame["population"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "reason_da": frame["reason_da"].fillna("").astype(str).to_numpy()})
    return (out if len(out) else None), prov


def _five_year_bands(data_dir) -> tuple[pd.DataFrame | None, dict]:
    """FOLK1B's municipality rows (both sexes, its age bands) from the health cache, or None."""
    from klyngedata.dst.health_store import cached_health_table, load_health_table

    if not cached_health_table("FOLK1B", data_dir):
        return None, {}
    frame = load_health_table("FOLK1B", data_dir)
    prov = dict(frame.attrs.get("provenance") or {})
    rows = frame[(frame["area_level"] == "municipality") & (frame["sex"] == "total")]
    out = pd.DataFrame({
        "municipality_code": rows["area_code"].astype(str).to_numpy(), "period": rows["period"].astype(str).to_numpy(),
        "age_lo": rows["age_lo"].to_numpy(), "age_hi": rows["age_hi"].to_numpy(),
        "age_total": rows["age_total"].to_numpy(dtype=bool),
        "value": rows["value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        "reason_da": rows["reason_da"].fillna("").astype(str).to_numpy()})
    return out, prov


def _first_day(period: object) -> int | None:
    """The year whose 1 January ``period`` is (a first quarter, a January, a projected year), else None."""
    code = period_code(period)
    if code.endswith(("K1", "M01")):
        return int(code[:4])
    return int(code) if code.isdigit() else None


def _groups_from(source: pd.DataFrame, table: str, groups: Sequence[str], years: set[int]) -> pd.DataFrame:
    first = {p: _first_day(p) for p in pd.unique(source["period"])}
    rows = source.assign(year=source["period"].map(first))
    rows = rows[rows["year"].isin(years)]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    codes = {p: f"{table} {period_code(p)}" for p in pd.unique(rows["period"])}
    totals_only = bool(rows["age_total"].all())
    parts = [group_sums(rows, group, ["municipality_code", "year", "period"], "befolkningstallets").assign(group=group)
             for group in groups if group == "total" or not totals_only]
    out = pd.concat(parts, ignore_index=True).rename(columns={"value": "population"})
    out["source"] = out["period"].map(codes)
    out["year"] = out["year"].astype(int)
    return out.drop_duplicates(["municipality_code", "year", "group"])[COLUMNS]


def _found(frames: list[pd.DataFrame]) -> set[tuple[int, str]]:
    """The (year, group) pairs the frames hold."""
    return {(int(y), str(g)) for f in frames for y, g in zip(f["year"], f["group"], strict=True)}


def population_groups(groups: Sequence[str], years: Sequence[int],
                      data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Each municipality's population on 1 January of each of ``years`` in each of ``groups`` (see the module
    docstring); a year no source has is missing for every municipality with the reason."""
    wanted = {int(y) for y in years}
    found, provenance = [], []
    single, prov = _single_years(data_dir, "observed")
    if single is not None:
        found.append(_groups_from(single, str(prov.get("table") or "FOLK1A"), groups, wanted))
        provenance.append(prov)
    for load, table in ((_five_year_bands, "FOLK1B"), (_totals, "")):
        have = _found(found)
        rest = {y for y in wanted if any((y, g) not in have for g in groups)}
        if not rest:
            break
        source, prov = load(data_dir)
        if source is not None:
            got = _groups_from(source, table or str(prov.get("table") or ""), groups, rest)
            new = np.array([(y, g) not in have for y, g in zip(got["year"], got["group"], strict=True)], dtype=bool)
            found.append(got[new])
            provenance.append(prov)
    out = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)
    have = _found([out])
    missing = [(y, g) for y in sorted(wanted) for g in groups if (y, g) not in have]
    if missing:
        from klyngedata import registry

        codes = registry.municipalities()["municipality_code"].tolist()
        out = pd.concat([out, pd.DataFrame([
            {"municipality_code": c, "year": y, "group": g, "population": np.nan,
             "reason_da": NO_POPULATION_DA.format(year=y), "source": ""}
            for y, g in missing for c in codes])], ignore_index=True)
    out["population"] = out["population"].astype(float)
    out.attrs["provenance"] = provenance
    return out[COLUMNS]


def projection_groups(groups: Sequence[str], data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Each municipality's projected population in each of ``groups`` for every year of the newest cached
    projection (empty when none is cached)."""
    single, prov = _single_years(data_dir, "projection")
    if single is None:
        out = pd.DataFrame(columns=COLUMNS)
        out.attrs["provenance"] = []
        return out
    years = {y for y in map(_first_day, pd.unique(single["period"])) if y is not None}
    out = _groups_from(single, str(prov.get("table") or "FRKM"), groups, years)
    out["population"] = out["population"].astype(float)
    out.attrs["provenance"] = [prov]
    return out
