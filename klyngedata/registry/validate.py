"""Validating and typing each registry file, one function per kind of fact (regions, municipalities, hospitals,
divisions, units, memberships, governance levels and seats, council seats, recorded conflicts).

Each ``checked_*`` function takes the file as read (every cell a string, ``attrs["file"]`` its path) and the
already checked files it refers to, raises a :class:`~klyngedata.exceptions.RegistryError` naming the file, the
row and the problem, and returns the typed frame :class:`~klyngedata.registry.load.Registry` holds.
:func:`klyngedata.registry.load.load_registry` calls them in the order the facts refer to each other.

>>> columns = ["region_id", "region_code", "dst_code", "name", "valid_from", "valid_to", "successor_id",
...            "code_note", "source", "source_ref"]
>>> row = ["nordjylland", "1081", "081", "Region Nordjylland", "2007-01-01", "", "", "", "CONSTRUCTED", ""]
>>> raw = pd.DataFrame([row, row], columns=columns, dtype=object)  # CONSTRUCTED: one region listed twice
>>> raw.attrs["file"] = "regions.csv"
>>> checked_regions(raw)
Traceback (most recent call last):
...
klyngedata.exceptions.RegistryError: regions.csv, row 3: duplicate region_id 'nordjylland'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pandas as pd

from klyngedata.exceptions import RegistryError
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code

SHARE_TOLERANCE = 1e-9
TAGS = ("SOLID", "SECONDARY", "INFERENCE")
"""Confidence tags of the researched facts (``shared/reference``): only ``SOLID`` rows may be ``verified``."""
COUNCIL_ROLES = {"regionsraadsmedlem": "Regionsrådsmedlem", "kommunalt-medlem": "Kommunalt medlem"}

Members = dict[tuple[str, str], set[str]]
"""(division, unit id) -> the codes of its member municipalities."""


# -- cell parsers ----------------------------------------------------------------------------------------
def _bool(value: str, file: str, row: int, column: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise RegistryError(file, row, f"column '{column}' must be true or false, got {value!r}")


def _date(value: str, file: str, row: int, column: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RegistryError(file, row, f"column '{column}' is not an ISO date: {value!r}") from None


def _int_or_none(value: str, file: str, row: int, column: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise RegistryError(file, row, f"column '{column}' must be a whole number, got {value!r}") from None


def _tagged(r: dict, file: str, row: int, source_col: str = "source") -> None:
    """Check a fact's ``verified`` flag, confidence ``tag`` and source: only a SOLID fact may be verified."""
    verified = _bool(r["verified"], file, row, "verified")
    if r["tag"] not in TAGS:
        raise RegistryError(file, row, f"tag must be one of {', '.join(TAGS)}, got {r['tag']!r}")
    if verified and r["tag"] != "SOLID":
        raise RegistryError(file, row, f"a {r['tag']} fact cannot be verified=true")
    if not r[source_col].strip():
        raise RegistryError(file, row, "no source given")


def _rows(df: pd.DataFrame) -> Iterator[tuple[int, dict]]:
    """Iterate rows with their line number in the file (header is line 1)."""
    for i, rec in enumerate(df.to_dict("records")):
        yield i + 2, rec


def _with_region(frame: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its region's key and name (by ``region_id``) as the last two columns."""
    return frame.assign(
        region_code=frame["region_id"].map(dict(zip(regions["region_id"], regions["region_key"], strict=True))),
        region_name=frame["region_id"].map(dict(zip(regions["region_id"], regions["name"], strict=True))),
    )


# -- geography -------------------------------------------------------------------------------------------
def checked_regions(raw: pd.DataFrame) -> pd.DataFrame:
    """regions.csv: unique ids, codes written as DAGI writes them (or a note why there is none), ISO validity
    dates, known successors; typed with ``region_key`` (the code, else the id)."""
    file = raw.attrs["file"]
    seen: set[str] = set()
    for row, r in _rows(raw):
        if not r["region_id"]:
            raise RegistryError(file, row, "empty region_id")
        if r["region_id"] in seen:
            raise RegistryError(file, row, f"duplicate region_id {r['region_id']!r}")
        seen.add(r["region_id"])
        if r["region_code"]:
            try:
                code = normalize_region_code(r["region_code"])
            except ValueError as exc:
                raise RegistryError(file, row, str(exc)) from None
            if code != r["region_code"]:
                raise RegistryError(file, row, f"region_code must be written {code!r}")
        elif not r["code_note"].strip():
            raise RegistryError(file, row, "a region without region_code needs a code_note saying why")
        for col in ("valid_from", "valid_to"):
            _date(r[col], file, row, col)
        if not r["source"].strip():
            raise RegistryError(file, row, "no source given")
    for row, r in _rows(raw):
        if r["successor_id"] and r["successor_id"] not in seen:
            raise RegistryError(file, row, f"unknown successor_id {r['successor_id']!r}")
    regions = raw.assign(
        region_code=raw["region_code"].replace("", None),
        dst_code=raw["dst_code"].replace("", None),
        successor_id=raw["successor_id"].replace("", None),
        valid_from=pd.to_datetime(raw["valid_from"].replace("", None)),
        valid_to=pd.to_datetime(raw["valid_to"].replace("", None)),
    )
    regions["region_key"] = regions["region_code"].fillna(regions["region_id"])
    return regions


def checked_municipalities(raw: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """municipalities.csv: unique four-digit codes, a name, a known region, a source; typed with the region's
    key and name."""
    file = raw.attrs["file"]
    region_ids = set(regions["region_id"])
    codes: set[str] = set()
    for row, r in _rows(raw):
        try:
            code = normalize_municipality_code(r["municipality_code"])
        except ValueError as exc:
            raise RegistryError(file, row, str(exc)) from None
        if code != r["municipality_code"]:
            raise RegistryError(file, row, f"municipality_code must be written {code!r}")
        if code in codes:
            raise RegistryError(file, row, f"duplicate municipality_code {code}")
        codes.add(code)
        if not r["name"].strip():
            raise RegistryError(file, row, "empty name")
        if r["region_id"] not in region_ids:
            raise RegistryError(file, row, f"unknown region_id {r['region_id']!r}")
        if not r["source"].strip():
            raise RegistryError(file, row, "no source given")
    return _with_region(raw, regions)


def checked_hospitals(raw: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """hospitals.csv: unique ids, a known region, the kind, coordinates inside Denmark (required for acute
    hospitals); typed with numeric coordinates and the region's key and name."""
    file = raw.attrs["file"]
    region_ids = set(regions["region_id"])
    hosp_ids: set[str] = set()
    for row, r in _rows(raw):
        if r["hospital_id"] in hosp_ids or not r["hospital_id"]:
            raise RegistryError(file, row, f"empty or duplicate hospital_id {r['hospital_id']!r}")
        hosp_ids.add(r["hospital_id"])
        if r["region_id"] not in region_ids:
            raise RegistryError(file, row, f"unknown region_id {r['region_id']!r}")
        if r["kind"] not in ("acute", "psychiatry"):
            raise RegistryError(file, row, f"kind must be 'acute' or 'psychiatry', got {r['kind']!r}")
        for col, lo, hi in (("lat", 54.0, 58.0), ("lon", 8.0, 15.5)):
            if r[col]:
                try:
                    v = float(r[col])
                except ValueError:
                    raise RegistryError(file, row, f"column '{col}' is not a number") from None
                if not lo <= v <= hi:
                    raise RegistryError(file, row, f"column '{col}' = {v} is outside Denmark")
            elif r["kind"] == "acute":
                raise RegistryError(file, row, f"acute hospital without '{col}'")
        _bool(r["coords_verified"], file, row, "coords_verified")
        if not r["source"].strip():
            raise RegistryError(file, row, "no source given")
    hosp = raw.assign(
        lat=pd.to_numeric(raw["lat"].replace("", None)),
        lon=pd.to_numeric(raw["lon"].replace("", None)),
        coords_verified=raw["coords_verified"].str.lower().eq("true"),
    )
    return _with_region(hosp, regions)


# -- divisions and their units ---------------------------------------------------------------------------
def checked_divisions(raw: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """divisions.csv: unique names, a start date, coverage, the Danish word for a unit, known regions, and
    validity periods that do not overlap; typed with timestamps."""
    file = raw.attrs["file"]
    region_ids = set(regions["region_id"])
    div_ids: set[str] = set()
    for row, r in _rows(raw):
        if not r["division"] or r["division"] in div_ids:
            raise RegistryError(file, row, f"empty or duplicate division {r['division']!r}")
        div_ids.add(r["division"])
        if _date(r["valid_from"], file, row, "valid_from") is None:
            raise RegistryError(file, row, "valid_from is required")
        _date(r["valid_to"], file, row, "valid_to")
        if r["coverage"] not in ("complete", "partial"):
            raise RegistryError(file, row, "coverage must be 'complete' or 'partial'")
        if r["unit_da"] not in ("sundhedsklynge", "sundhedsråd", "klyngestyregruppe"):
            raise RegistryError(file, row, "unit_da must be 'sundhedsklynge', 'sundhedsråd' or 'klyngestyregruppe'")
        for reg in filter(None, r["regions"].split(";")):
            if reg not in region_ids:
                raise RegistryError(file, row, f"unknown region {reg!r} in 'regions'")
    divs = raw.assign(
        valid_from=pd.to_datetime(raw["valid_from"]),
        valid_to=pd.to_datetime(raw["valid_to"].replace("", None)),
    )
    ordered = divs.sort_values("valid_from").to_dict("records")
    for a, b in zip(ordered, ordered[1:], strict=False):
        if pd.isna(a["valid_to"]) or a["valid_to"] >= b["valid_from"]:
            raise RegistryError(file, None, f"validity of {a['division']} overlaps {b['division']}")
    return divs


def checked_clusters(raw: pd.DataFrame, divisions: pd.DataFrame, regions: pd.DataFrame,
                     hospitals: pd.DataFrame) -> pd.DataFrame:
    """clusters.csv (the units of every division): a known division, ids ``<prefix>-<name>`` unique across all
    divisions, former ids used once per division, a known region and hospitals, a tagged source; typed with the
    region's key and name and the division's word for a unit (``unit_da``)."""
    file = raw.attrs["file"]
    div_ids, region_ids, hosp_ids = set(divisions["division"]), set(regions["region_id"]), set(hospitals["hospital_id"])
    all_ids: dict[str, str] = {}
    former: set[tuple[str, str]] = set()
    for row, r in _rows(raw):
        if r["division"] not in div_ids:
            raise RegistryError(file, row, f"unknown division {r['division']!r}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r["cluster_id"]):
            raise RegistryError(file, row,
                                f"cluster_id {r['cluster_id']!r} must look like '<prefix>-<name>' (a-z, 0-9)")
        if r["cluster_id"] in all_ids:
            raise RegistryError(file, row,
                                f"duplicate cluster_id {r['cluster_id']!r} (already used in "
                                f"{all_ids[r['cluster_id']]}): ids are unique across all divisions")
        all_ids[r["cluster_id"]] = r["division"]
        for old in filter(None, r["former_ids"].split(";")):
            if (r["division"], old) in former:
                raise RegistryError(file, row, f"former id {old!r} used twice in {r['division']}")
            former.add((r["division"], old))
        if r["region_id"] not in region_ids:
            raise RegistryError(file, row, f"unknown region_id {r['region_id']!r}")
        for h in filter(None, r["hospital_ids"].split(";")):
            if h not in hosp_ids:
                raise RegistryError(file, row, f"unknown hospital_id {h!r}")
        _tagged(r, file, row)
    cl = _with_region(raw.assign(verified=raw["verified"].str.lower().eq("true")), regions)
    return cl.assign(unit_da=cl["division"].map(dict(zip(divisions["division"], divisions["unit_da"], strict=True))))


# -- memberships -----------------------------------------------------------------------------------------
Allocation = tuple[int, str, str, float | None, str]
"""One membership row as the consistency checks see it: (row, allocation, unit code, share, unit id)."""


def checked_memberships(raw: pd.DataFrame, clusters: pd.DataFrame, municipalities: pd.DataFrame,
                        regions: pd.DataFrame, divisions: pd.DataFrame) -> pd.DataFrame:
    """memberships.csv: each row valid (:func:`_membership_allocations`), each municipality's allocation in a
    division consistent (:func:`_check_allocations`), every municipality a division covers in a unit
    (:func:`_check_coverage`); typed with numeric shares (1 for a whole municipality)."""
    allocations = _membership_allocations(raw, clusters, municipalities, regions)
    _check_allocations(allocations, raw.attrs["file"])
    _check_coverage(divisions, allocations, municipalities, raw.attrs["file"])
    mem = raw.assign(
        municipality_code=raw["municipality_code"].map(normalize_municipality_code),
        share=pd.to_numeric(raw["share"].replace("", None)).astype("Float64"),
        verified=raw["verified"].str.lower().eq("true"),
    )
    mem.loc[mem["allocation"] == "whole", "share"] = 1.0
    for col in ("unit_type", "unit_code", "unit_name"):
        mem[col] = mem[col].replace("", None)
    return mem


def _membership_allocations(raw: pd.DataFrame, clusters: pd.DataFrame, municipalities: pd.DataFrame,
                            regions: pd.DataFrame) -> dict[tuple[str, str], list[Allocation]]:
    """Check each membership row (a known unit and municipality, the unit in the municipality's region or its
    successor, a valid whole/unit/share allocation, a tagged source) and collect the rows by (division,
    municipality)."""
    file = raw.attrs["file"]
    cl_keys = set(zip(clusters["division"], clusters["cluster_id"], strict=True))
    cluster_region = {(d, c): r for d, c, r in zip(clusters["division"], clusters["cluster_id"],
                                                   clusters["region_id"], strict=True)}
    muni_region = dict(zip(municipalities["municipality_code"], municipalities["region_id"], strict=True))
    successor = dict(zip(regions["region_id"], regions["successor_id"], strict=True))
    shares: dict[tuple[str, str], list[Allocation]] = {}
    for row, r in _rows(raw):
        key = (r["division"], r["cluster_id"])
        if key not in cl_keys:
            raise RegistryError(file, row, f"unknown cluster {r['cluster_id']!r} in division {r['division']!r}")
        try:
            code = normalize_municipality_code(r["municipality_code"])
        except ValueError as exc:
            raise RegistryError(file, row, str(exc)) from None
        if code not in muni_region:
            raise RegistryError(file, row, f"unknown municipality code {r['municipality_code']!r}")
        home = muni_region[code]
        creg = cluster_region[key]
        if creg not in (home, successor.get(home)):
            raise RegistryError(file, row,
                                f"municipality {code} ({home}) cannot belong to cluster {r['cluster_id']} ({creg})")
        share = _allocated_share(r, file, row)
        _tagged(r, file, row)
        shares.setdefault((r["division"], code), []).append((row, r["allocation"], r["unit_code"], share,
                                                              r["cluster_id"]))
    return shares


def _allocated_share(r: dict, file: str, row: int) -> float | None:
    """The share of the municipality a membership row allocates: 1 for ``whole``, None for ``unit`` (a bydel or
    other named part), the number for ``share``."""
    alloc = r["allocation"]
    share: float | None
    if alloc == "whole":
        if r["unit_type"] or r["unit_code"]:
            raise RegistryError(file, row, "a 'whole' membership must not name a unit")
        share = 1.0
        if r["share"] not in ("", "1", "1.0"):
            raise RegistryError(file, row, "a 'whole' membership has share 1")
    elif alloc == "unit":
        if not (r["unit_type"] and r["unit_code"]):
            raise RegistryError(file, row, "a 'unit' membership needs unit_type and unit_code")
        share = None
    elif alloc == "share":
        try:
            share = float(r["share"])
        except ValueError:
            raise RegistryError(file, row, f"share {r['share']!r} is not a number") from None
        if not 0 < share <= 1:
            raise RegistryError(file, row, f"share {share} must be in (0, 1]")
    else:
        raise RegistryError(file, row, f"allocation must be 'whole', 'unit' or 'share', got {alloc!r}")
    return share


def _check_allocations(shares: dict[tuple[str, str], list[Allocation]], file: str) -> None:
    """A municipality is allocated one way in a division: whole to one unit, by distinct units, or by shares
    summing to 1."""
    for (division, code), entries in shares.items():
        kinds = {e[1] for e in entries}
        last_row = entries[-1][0]
        if len(kinds) > 1:
            raise RegistryError(file, last_row, f"municipality {code} mixes allocations {sorted(kinds)} in {division}")
        kind = kinds.pop()
        if kind == "whole" and len(entries) > 1:
            raise RegistryError(file, last_row,
                                f"duplicate: municipality {code} belongs to more than one cluster in {division}")
        if kind == "unit":
            units = [e[2] for e in entries]
            dup = {u for u in units if units.count(u) > 1}
            if dup:
                raise RegistryError(file, last_row,
                                    f"unit(s) {sorted(dup)} of municipality {code} listed twice in {division}")
        if kind == "share":
            total = sum(e[3] for e in entries)
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise RegistryError(file, last_row,
                                    f"shares of municipality {code} in {division} sum to {total!r}, not 1")


def _check_coverage(divisions: pd.DataFrame, shares: dict[tuple[str, str], list[Allocation]],
                    municipalities: pd.DataFrame, file: str) -> None:
    """Every municipality a division covers (all of them if its coverage is complete, else those of its
    regions) is in one of its units."""
    muni_region = dict(zip(municipalities["municipality_code"], municipalities["region_id"], strict=True))
    for r in divisions.to_dict("records"):
        covered = {code for (d, code) in shares if d == r["division"]}
        required: set[str] = set()
        if r["coverage"] == "complete":
            required = set(muni_region)
        for reg in filter(None, r["regions"].split(";")):
            required |= {c for c, home in muni_region.items() if home == reg}
        missing = sorted(required - covered)
        if missing:
            raise RegistryError(file, None,
                                f"division {r['division']}: municipalities without a cluster: {', '.join(missing)}")


# -- governance ------------------------------------------------------------------------------------------
def checked_levels(raw: pd.DataFrame, divisions: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """levels.csv (governance levels per division and region): known division and region, one row per level,
    meeting counts that are whole numbers in order, a tagged source; typed with integer meeting counts."""
    file = raw.attrs["file"]
    div_ids, region_ids = set(divisions["division"]), set(regions["region_id"])
    lev_keys: set[tuple[str, str, str]] = set()
    for row, r in _rows(raw):
        key = (r["division"], r["region_id"], r["level"])
        if r["division"] not in div_ids:
            raise RegistryError(file, row, f"unknown division {r['division']!r}")
        if r["region_id"] not in region_ids:
            raise RegistryError(file, row, f"unknown region_id {r['region_id']!r}")
        if key in lev_keys:
            raise RegistryError(file, row, f"duplicate level {key}")
        lev_keys.add(key)
        lo = _int_or_none(r["meetings_min_per_year"], file, row, "meetings_min_per_year")
        hi = _int_or_none(r["meetings_max_per_year"], file, row, "meetings_max_per_year")
        if lo is not None and hi is not None and hi < lo:
            raise RegistryError(file, row, "meetings_max_per_year is below meetings_min_per_year")
        _tagged(r, file, row)
    return raw.assign(
        verified=raw["verified"].str.lower().eq("true"),
        meetings_min_per_year=pd.to_numeric(raw["meetings_min_per_year"].replace("", None)).astype("Int64"),
        meetings_max_per_year=pd.to_numeric(raw["meetings_max_per_year"].replace("", None)).astype("Int64"),
    )


def checked_seats(raw: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
    """seats.csv (seats of a level): a level levels.csv lists, true/false flags, consistent whole-number
    counts, a source; typed with booleans and integer counts."""
    file = raw.attrs["file"]
    lev_keys = set(zip(levels["division"], levels["region_id"], levels["level"], strict=True))
    for row, r in _rows(raw):
        if (r["division"], r["region_id"], r["level"]) not in lev_keys:
            raise RegistryError(file, row,
                                f"no level {r['level']!r} for {r['region_id']} in {r['division']} (levels.csv)")
        _bool(r["per_municipality"], file, row, "per_municipality")
        _bool(r["observer"], file, row, "observer")
        lo = _int_or_none(r["count_min"], file, row, "count_min")
        hi = _int_or_none(r["count_max"], file, row, "count_max")
        if (lo is not None and lo < 0) or (lo is not None and hi is not None and hi < lo):
            raise RegistryError(file, row, "count_min/count_max are inconsistent")
        if not r["source"].strip():
            raise RegistryError(file, row, "no source given")
    return raw.assign(
        per_municipality=raw["per_municipality"].str.lower().eq("true"),
        observer=raw["observer"].str.lower().eq("true"),
        count_min=pd.to_numeric(raw["count_min"].replace("", None)).astype("Int64"),
        count_max=pd.to_numeric(raw["count_max"].replace("", None)).astype("Int64"),
    )


def unit_members(clusters: pd.DataFrame, memberships: pd.DataFrame) -> Members:
    """Every unit's member municipalities (an empty set for a unit without members)."""
    members_of: Members = {(d, c): set() for d, c in zip(clusters["division"], clusters["cluster_id"], strict=True)}
    for d, c, code in zip(memberships["division"], memberships["cluster_id"], memberships["municipality_code"],
                          strict=True):
        members_of[(d, c)].add(code)
    return members_of


def checked_council_seats(raw: pd.DataFrame, members_of: Members) -> pd.DataFrame:
    """council_seats.csv (a council's seats as listed): a known council and role, at least one seat, municipal
    seats naming each member municipality exactly once and regional seats none, a tagged source; typed with
    integer seats."""
    file = raw.attrs["file"]
    seen_roles: set[tuple[str, str, str]] = set()
    for row, r in _rows(raw):
        key = (r["division"], r["cluster_id"])
        if key not in members_of:
            raise RegistryError(file, row, f"unknown council {r['cluster_id']!r} in division {r['division']!r}")
        if r["role_id"] not in COUNCIL_ROLES:
            raise RegistryError(file, row, f"role_id must be one of {sorted(COUNCIL_ROLES)}")
        n = _int_or_none(r["seats"], file, row, "seats")
        if n is None or n < 1:
            raise RegistryError(file, row, "seats must be a whole number >= 1")
        code = r["municipality_code"]
        if r["role_id"] == "kommunalt-medlem":
            if code not in members_of[key]:
                raise RegistryError(file, row, f"municipality {code!r} is not a member of {r['cluster_id']}")
        elif code:
            raise RegistryError(file, row, "regional seats name no municipality")
        if (r["cluster_id"], r["role_id"], code) in seen_roles:
            raise RegistryError(file, row, f"duplicate seat row for {r['cluster_id']}")
        seen_roles.add((r["cluster_id"], r["role_id"], code))
        _tagged(r, file, row)
    for key in {(d, c) for d, c in zip(raw["division"], raw["cluster_id"], strict=True)}:
        listed = set(raw.loc[(raw["cluster_id"] == key[1]) & (raw["role_id"] == "kommunalt-medlem"),
                             "municipality_code"])
        if listed != members_of[key]:
            raise RegistryError(file, None,
                                f"{key[1]}: municipal seats do not name every member municipality exactly once")
    return raw.assign(seats=pd.to_numeric(raw["seats"]).astype("Int64"),
                      verified=raw["verified"].str.lower().eq("true"),
                      municipality_code=raw["municipality_code"].replace("", None))


def checked_conflicts(raw: pd.DataFrame, members_of: Members) -> pd.DataFrame:
    """conflicts.csv (conflicts between sources, recorded, not resolved by guessing): known units, the reading
    used being the registry's, a tagged source; typed with a boolean ``verified``."""
    file = raw.attrs["file"]
    for row, r in _rows(raw):
        if (r["division"], r["cluster_id"]) not in members_of:
            raise RegistryError(file, row, f"unknown unit {r['cluster_id']!r} in {r['division']!r}")
        if r["alternative"] and (r["division"], r["alternative"]) not in members_of:
            raise RegistryError(file, row, f"unknown alternative {r['alternative']!r}")
        if r["municipality_code"] not in members_of[(r["division"], r["cluster_id"])]:
            raise RegistryError(file, row,
                                f"the reading used must be the registry's: {r['municipality_code']} is not in "
                                f"{r['cluster_id']}")
        _tagged(r, file, row, source_col="sources")
    return raw.assign(verified=raw["verified"].str.lower().eq("true"))
