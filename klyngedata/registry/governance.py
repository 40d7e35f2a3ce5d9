"""Governance of a resolved unit: levels, seats and a council's composition (from the commissions)."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from klyngedata.exceptions import LookupFailed
from klyngedata.registry.geography import official_name
from klyngedata.registry.load import LEVEL_ALIASES, Registry, _reg
from klyngedata.registry.validate import COUNCIL_ROLES


class Cluster(Protocol):
    """What governance needs of a resolved unit (:class:`klyngedata.registry.units.Cluster` has it)."""

    id: str
    name: str
    division: str
    region_id: str
    region_name: str
    municipality_codes: list[str]
    municipality_names: list[str]

    @property
    def is_council(self) -> bool: ...


# --------------------------------------------------------------------------------------------------
# Governance
# --------------------------------------------------------------------------------------------------
def _cluster_region_id(reg: Registry, c: Cluster) -> str:
    if c.region_id:
        return c.region_id
    cl = reg.clusters
    return cl[(cl["division"] == c.division) & (cl["cluster_id"] == c.id)]["region_id"].iloc[0]


def _level_id(level: str) -> str:
    key = str(level).strip().lower()
    if key in LEVEL_ALIASES:
        return LEVEL_ALIASES[key]
    raise LookupFailed(f"Unknown governance level {level!r}", sorted(set(LEVEL_ALIASES.values())))


def levels_of(c: Cluster) -> pd.DataFrame:
    """Governance levels of a cluster from the commissions: name, meetings per year, chair, source.

    """
    reg = _reg()
    rid = _cluster_region_id(reg, c)
    lev = reg.levels[(reg.levels["division"] == c.division) & (reg.levels["region_id"] == rid)]
    return lev.drop(columns=["division", "region_id"]).reset_index(drop=True)


def seats_of(c: Cluster, level: str) -> pd.DataFrame:
    """The seats a cluster must fill at a governance level, from its region's commission.

    Roles given per municipality are expanded to one row per member municipality. Columns:
    ``cluster_id, level, role_id, role_da, municipality_code, municipality_name, count_min, count_max,
    observer, appointed_by, note_da, source``. ``count_max`` NA means "at least ``count_min``" (or not fixed
    when both are NA).

    """
    lvl = _level_id(level)
    reg = _reg()
    rid = _cluster_region_id(reg, c)
    if c.is_council and lvl == "politisk":
        return _council_seats(reg, c)
    rules = reg.seats[(reg.seats["division"] == c.division) & (reg.seats["region_id"] == rid)
                      & (reg.seats["level"] == lvl)]
    if rules.empty:
        known = reg.levels[(reg.levels["division"] == c.division) & (reg.levels["region_id"] == rid)]["level"]
        raise LookupFailed(
            f"No commission for level {lvl!r} of {c.name} ({c.region_name}, {c.division}) is in the registry",
            sorted(known),
        )
    rows = []
    for r in rules.to_dict("records"):
        base = {"cluster_id": c.id, "level": lvl, "role_id": r["role_id"], "role_da": r["role_da"],
                "municipality_code": None, "municipality_name": None, "count_min": r["count_min"],
                "count_max": r["count_max"], "observer": r["observer"], "appointed_by": r["appointed_by"],
                "note_da": r["note_da"], "source": r["source"]}
        if r["per_municipality"]:
            for code, name in zip(c.municipality_codes, c.municipality_names, strict=True):
                rows.append(base | {"municipality_code": code, "municipality_name": name,
                                    "appointed_by": official_name(code, name)})
        else:
            rows.append(base)
    out = pd.DataFrame(rows)
    out["count_min"] = out["count_min"].astype("Int64")
    out["count_max"] = out["count_max"].astype("Int64")
    return out


def _council_seats(reg: Registry, c: Cluster) -> pd.DataFrame:
    """A council's composition as listed (data, not a formula): regional members, then municipal seats per
    member municipality."""
    cs = reg.council_seats[reg.council_seats["cluster_id"] == c.id]
    if cs.empty:
        raise LookupFailed(f"The composition of {c.name} is not in the registry")
    names = dict(zip(c.municipality_codes, c.municipality_names, strict=True))
    rows = []
    for r in cs.to_dict("records"):
        code = r["municipality_code"]
        regional = r["role_id"] == "regionsraadsmedlem"
        rows.append({
            "cluster_id": c.id, "level": "politisk", "role_id": r["role_id"], "role_da": COUNCIL_ROLES[r["role_id"]],
            "municipality_code": code, "municipality_name": names.get(code) if code else None,
            "count_min": r["seats"], "count_max": r["seats"], "observer": False,
            "appointed_by": (f"Regionsrådet i {c.region_name}" if regional
                             else official_name(code, names.get(code, code))),
            "note_da": r["note"], "source": r["source"], "verified": r["verified"], "tag": r["tag"],
        })
    out = pd.DataFrame(rows)
    out["count_min"] = out["count_min"].astype("Int64")
    out["count_max"] = out["count_max"].astype("Int64")
    return out


def composition_of(c: Cluster) -> dict:
    """A council's composition in short: regional members, municipal seats per municipality, chair rule,
    sources, and whether the listed seats satisfy the rule seen in all 17 councils (regional = municipal + 1;
    a check only, the seats themselves are data).

    """
    s = seats_of(c, "politisk")
    lev = levels_of(c)
    regional = int(s.loc[s["role_id"] == "regionsraadsmedlem", "count_min"].sum())
    mun = s[s["role_id"] == "kommunalt-medlem"]
    chair = lev.iloc[0] if len(lev) else None
    return {
        "cluster_id": c.id, "regional": regional, "municipal": int(mun["count_min"].sum()),
        "municipal_seats": dict(zip(mun["municipality_name"], mun["count_min"].astype(int), strict=True)),
        "regional_majority_check": regional == int(mun["count_min"].sum()) + 1,
        "chair_da": None if chair is None else chair["chair_da"],
        "chair_verified": None if chair is None else bool(chair["verified"]),
        "sources": sorted(set(s["source"]) | ({chair["source"]} if chair is not None else set())),
        "verified": bool(s["verified"].all()),
    }


