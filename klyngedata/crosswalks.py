"""Crosswalk between two divisions, with the population each pair of units shares.

:func:`crosswalk` with ``population=False`` is the registry's municipality table
(:func:`klyngedata.registry.crosswalk`: one row per municipality, or per bydel of a split municipality, with its
unit in both divisions). With ``population=True`` it returns one row per pair of units that share residents
(for instance Sundhedsråd Limfjorden and Klynge Midt, Syd and Vest):

=================  ===========================================================================================
column             meaning
=================  ===========================================================================================
from_division      the first division (``"sundhedsklynger-2022"``)
to_division        the second division (``"sundhedsraad-2027"``)
period             pandas Period of the population (FOLK1AM monthly / FOLK1A quarterly, as in
                   :func:`klyngedata.population.population`)
from_cluster_id    unit of ``from_division`` (or ``"0101:ikke-fordelt"``, see below)
from_cluster_name  its name
to_cluster_id      unit of ``to_division`` (or ``"0101:ikke-fordelt"``)
to_cluster_name    its name
municipality_codes the municipalities (or split municipalities) the two units share, comma-separated
population         residents the two units share (Int64; NA when it cannot be computed, see ``note_da``)
share_of_from      ``population`` / the from unit's population (1.0 when all of the unit goes to the other
                   unit, whatever the population); NA when unknown
share_of_to        ``population`` / the to unit's population (1.0 likewise)
complete           False when part of a split municipality could not be allocated (no unit data)
note_da            Danish reason for a missing figure ("" otherwise)
=================  ===========================================================================================

Split municipalities (København by bydel in 2022): the bydel populations of the unit population file
(``klyngedata data import``) or fetched from Københavns Kommune (``klyngedata data fetch``; cache key
``population/units``) are used when they exist for the period (a unit quarter serves the month that starts it).
When they include the source's residents in no bydel (``uden-for-inddeling``), the units account for the whole
municipality: what it has beyond its bydele is a pair of its own, ``"0101:ingen-klynge"`` on the side of the
division that splits it, with a Danish note.
Otherwise nothing is guessed: the part of the municipality not covered by unit data gets its own row, with
``from_cluster_id`` (or ``to_cluster_id``) ``"0101:ikke-fordelt"``, and the pairs that may share part of it
have ``population`` NA and ``complete`` False, with a Danish note saying why. Christiansø belongs to no unit
and is left out (as in :func:`klyngedata.population.population`, where it has its own row).

Example
-------
Needs population data imported into the data directory (``population=True``); not run as a doctest.
>>> import klyngedata as kd
>>> cw = kd.crosswalk("sundhedsklynger-2022", "sundhedsraad-2027", population=True, period="2024M01")  # doctest: +SKIP
>>> cw[cw.to_cluster_id == "sundhedsraad-limfjorden"][["from_cluster_id", "share_of_to"]]  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from klyngedata import registry
from klyngedata.cache import Cache
from klyngedata.population.pooling import align_unit_periods
from klyngedata.sources import UNPLACED_UNIT

UNALLOCATED_SUFFIX = ":ikke-fordelt"
NO_CLUSTER_SUFFIX = ":ingen-klynge"
COLUMNS = ["from_division", "to_division", "period", "from_cluster_id", "from_cluster_name", "to_cluster_id",
           "to_cluster_name", "municipality_codes", "population", "share_of_from", "share_of_to", "complete",
           "note_da"]


def crosswalk(from_division: str, to_division: str, population: bool = False, period: Any = "latest",
              data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Units of two divisions side by side; with ``population=True`` the residents each pair shares.

    Without population: one row per municipality (or bydel of a split municipality) with its unit in both
    divisions (:func:`klyngedata.registry.crosswalk`). With population: one row per pair of units sharing
    residents and period, with the shared population and its share of each unit (schema in the module
    docstring). ``period`` as in :func:`klyngedata.population.population` (``"latest"``, ``"2024M01"``,
    ``"all"``, a list).

    Example
    -------
    Needs population data imported into the data directory (``population=True``); not run as a doctest.
    >>> cw = crosswalk("sundhedsklynger-2022", "sundhedsraad-2027", population=True, period="2024M01")  # doctest: +SKIP
    >>> cw.query("to_cluster_id == 'sundhedsraad-limfjorden'")["share_of_to"].sum()  # doctest: +SKIP
    1.0
    """
    if not population:
        return registry.crosswalk(from_division, to_division)
    from klyngedata.population.memo import remembered

    return remembered("crosswalk", _with_population, {"from_division": from_division, "to_division": to_division,
                                                      "period": period, "data_dir": data_dir})


def _with_population(from_division: str, to_division: str, period: Any, data_dir: Any) -> pd.DataFrame:
    from klyngedata.population import population as population_frame

    table = registry.crosswalk(from_division, to_division)
    mun = population_frame(level="municipality", period=period, data_dir=data_dir)
    mun = mun[mun["sex"] == "total"] if "sex" in mun.columns else mun
    units = _unit_population(data_dir)
    names = _unit_names(table)
    rows: list[dict] = []
    for per, pop in mun.groupby("period", observed=True, sort=True):
        pieces = _pieces(table, dict(zip(pop["entity_id"], pop["population"], strict=True)), units, per)
        rows += _pairs(pieces, table, names, per)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["from_division"] = table["from_division"].iloc[0]
    out["to_division"] = table["to_division"].iloc[0]
    out["population"] = out["population"].astype("Int64")
    for col in ("share_of_from", "share_of_to"):
        out[col] = pd.to_numeric(out[col].astype(object).where(out[col].notna(), None)).astype("float64")
    out = out.sort_values(["from_cluster_id", "to_cluster_id", "period"], ignore_index=True)
    out.attrs["provenance"] = mun.attrs.get("provenance", [])
    return out[COLUMNS]


def _unit_population(data_dir: Any) -> pd.DataFrame | None:
    cache = Cache(data_dir)
    if not cache.exists("population/units"):
        return None
    u = cache.read("population/units")
    if "sex" in u.columns:
        u = u[u["sex"] == "total"]
    if "age" in u.columns:
        u = u[u["age"].isna()]
    return u


def _unit_names(table: pd.DataFrame) -> dict[str, str]:
    names = dict(zip(table["from_cluster_id"], table["from_cluster_name"], strict=True))
    names.update(zip(table["to_cluster_id"], table["to_cluster_name"], strict=True))
    return {k: v for k, v in names.items() if pd.notna(k)}


def _pieces(table: pd.DataFrame, mun_pop: dict[str, Any], units: pd.DataFrame | None,
            period: Any) -> list[dict]:
    """Residents per (municipality or unit, from unit, to unit); the unallocated rest of a split municipality
    is a piece of its own, marked ``unallocated``."""
    pieces: list[dict] = []
    for code, rows in table.groupby("municipality_code", sort=True):
        total = mun_pop.get(code)
        if total is None or pd.isna(total):
            continue
        if rows["unit_code"].isna().all():
            r = rows.iloc[0]
            pieces.append({"code": code, "from": r["from_cluster_id"], "to": r["to_cluster_id"],
                           "population": int(total), "unallocated": False})
            continue
        got = {}
        if units is not None:
            u = align_unit_periods(units[units["municipality_code"] == code], [period])
            got = dict(zip(u["unit_code"], u["population"], strict=True))
        allocated = 0
        for r in rows.to_dict("records"):
            if r["unit_code"] in got and pd.notna(got[r["unit_code"]]):
                n = int(got[r["unit_code"]])
                allocated += n
                pieces.append({"code": code, "from": r["from_cluster_id"], "to": r["to_cluster_id"],
                               "population": n, "unallocated": False})
        rest = int(total) - allocated
        accounted = UNPLACED_UNIT in got and all(pd.notna(got.get(c)) for c in rows["unit_code"])
        if accounted:  # the source places the rest in no unit: in no unit of a division that splits the municipality
            one = {side: set(rows[f"{side}_cluster_id"].dropna()) for side in ("from", "to")}
            pieces.append({"code": code, "unallocated": False, "population": rest, **{
                side: ids.pop() if len(ids) == 1 else f"{code}{NO_CLUSTER_SUFFIX}" for side, ids in one.items()}})
        elif rest:
            froms = set(rows["from_cluster_id"].dropna())
            tos = set(rows["to_cluster_id"].dropna())
            pieces.append({
                "code": code, "unallocated": True, "population": rest,
                "from": froms.pop() if len(froms) == 1 else f"{code}{UNALLOCATED_SUFFIX}",
                "to": tos.pop() if len(tos) == 1 else f"{code}{UNALLOCATED_SUFFIX}",
                "may_from": sorted(set(rows["from_cluster_id"].dropna())),
                "may_to": sorted(set(rows["to_cluster_id"].dropna())),
            })
    return [p for p in pieces if pd.notna(p["from"]) and pd.notna(p["to"])]


def _pairs(pieces: list[dict], table: pd.DataFrame, names: dict[str, str], period: Any) -> list[dict]:
    """Aggregate pieces to the pairs of units the registry says share residents; populations and shares only
    where no unallocated part of a split municipality could belong to them (never a partial sum)."""
    structure = table.dropna(subset=["from_cluster_id", "to_cluster_id"])
    pairs = set(zip(structure["from_cluster_id"], structure["to_cluster_id"], strict=True))
    n_to = structure.groupby("from_cluster_id")["to_cluster_id"].nunique()
    n_from = structure.groupby("to_cluster_id")["from_cluster_id"].nunique()
    unsure: set[str] = set()  # units whose total is unknown: part of the unallocated rest may be theirs
    unsure_pairs: set[tuple[str, str]] = set()
    note = ""
    for p in pieces:
        if p["from"].endswith(NO_CLUSTER_SUFFIX) or p["to"].endswith(NO_CLUSTER_SUFFIX):
            pairs.add((p["from"], p["to"]))
        if not p["unallocated"]:
            continue
        mname = registry.municipality(p["code"]).name
        note = (f"{mname} er delt efter bydel, og der er ikke befolkningstal for alle bydele i perioden; "
                f"den ikke fordelte del står i rækken »{mname} (ikke fordelt)« og fordeles ikke")
        if p["from"].endswith(UNALLOCATED_SUFFIX):
            unsure |= set(p["may_from"])
        if p["to"].endswith(UNALLOCATED_SUFFIX):
            unsure |= set(p["may_to"])
        unsure_pairs |= {(a, b) for a in p["may_from"] for b in p["may_to"]}
        pairs.add((p["from"], p["to"]))
    frame = pd.DataFrame(pieces, columns=["code", "from", "to", "population", "unallocated"])
    total_from = frame.groupby("from")["population"].sum()
    total_to = frame.groupby("to")["population"].sum()
    codes = structure.groupby(["from_cluster_id", "to_cluster_id"])["municipality_code"].agg(
        lambda c: ",".join(sorted(set(c))))
    out = []
    for a, b in sorted(pairs):
        grp = frame[(frame["from"] == a) & (frame["to"] == b)]
        pseudo = a.endswith(UNALLOCATED_SUFFIX) or b.endswith(UNALLOCATED_SUFFIX)
        outside = a.endswith(NO_CLUSTER_SUFFIX) or b.endswith(NO_CLUSTER_SUFFIX)
        known = pseudo or (a, b) not in unsure_pairs
        pop = int(grp["population"].sum()) if known and len(grp) else (0 if known else None)

        def share(unit: str, n_other: pd.Series, totals: pd.Series, pop: int | None = pop) -> Any:
            if not unit.endswith(UNALLOCATED_SUFFIX) and n_other.get(unit, 0) == 1:
                return 1.0  # all of the unit goes to the other unit, whatever the population
            if unit.endswith(UNALLOCATED_SUFFIX) or unit in unsure or pop is None or not totals.get(unit):
                return pd.NA
            return pop / totals[unit]

        out.append({
            "period": period, "from_cluster_id": a, "to_cluster_id": b,
            "from_cluster_name": _name(a, names), "to_cluster_name": _name(b, names),
            "municipality_codes": codes.get((a, b), ",".join(sorted(set(grp["code"])))),
            "population": pd.NA if pop is None else pop,
            "share_of_from": share(a, n_to, total_from), "share_of_to": share(b, n_from, total_to),
            "complete": not ((a, b) in unsure_pairs or pseudo),
            "note_da": note if ((a, b) in unsure_pairs or pseudo) else (_outside_note(a, b) if outside else ""),
        })
    return out


def _outside_note(a: str, b: str) -> str:
    code = (a if a.endswith(NO_CLUSTER_SUFFIX) else b).removesuffix(NO_CLUSTER_SUFFIX)
    mname = registry.municipality(code).name
    return (f"borgere i {mname}, som kilden ikke placerer i en bydel; de hører ikke til nogen af de enheder, "
            f"{mname} er delt mellem")


def _name(unit: str, names: dict[str, str]) -> str:
    if unit.endswith(NO_CLUSTER_SUFFIX):
        return f"{registry.municipality(unit.removesuffix(NO_CLUSTER_SUFFIX)).name} (uden for bydelene)"
    if unit.endswith(UNALLOCATED_SUFFIX):
        code = unit.removesuffix(UNALLOCATED_SUFFIX)
        return f"{registry.municipality(code).name} (ikke fordelt)"
    return names.get(unit, unit)
