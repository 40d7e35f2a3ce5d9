"""Loading and validating the registry's CSV facts (``klyngedata/registry_data``), and the name folding
used by every look-up.

A broken file stops with a :class:`~klyngedata.exceptions.RegistryError` naming the file, the row and the
problem."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from klyngedata.exceptions import RegistryError
from klyngedata.vocabulary.codes import normalize_municipality_code, normalize_region_code

DATA_DIR = Path(__file__).resolve().parent.parent / "registry_data"
SHARE_TOLERANCE = 1e-9

_FILES: dict[str, list[str]] = {
    "regions.csv": ["region_id", "region_code", "dst_code", "name", "valid_from", "valid_to", "successor_id",
                    "code_note", "source", "source_ref"],
    "municipalities.csv": ["municipality_code", "name", "dst_name", "region_id", "aliases", "source"],
    "hospitals.csv": ["hospital_id", "name", "town", "region_id", "kind", "lat", "lon", "coords_verified",
                      "source"],
    "divisions.csv": ["division", "name", "valid_from", "valid_to", "coverage", "regions", "levels", "unit_da",
                      "source", "source_ref"],
    "clusters.csv": ["division", "cluster_id", "name", "short_name", "region_id", "hospital_ids", "aliases",
                     "former_ids", "verified", "tag", "source", "source_ref", "note"],
    "memberships.csv": ["division", "cluster_id", "municipality_code", "allocation", "unit_type", "unit_code",
                        "unit_name", "share", "verified", "tag", "source", "source_ref"],
    "levels.csv": ["division", "region_id", "level", "name_da", "meetings_min_per_year",
                   "meetings_max_per_year", "chair_da", "secretariat_da", "source", "verified", "tag"],
    "seats.csv": ["division", "region_id", "level", "role_id", "role_da", "per_municipality", "count_min",
                  "count_max", "observer", "appointed_by", "note_da", "source"],
    "council_seats.csv": ["division", "cluster_id", "role_id", "municipality_code", "seats", "verified", "tag",
                          "source", "source_ref", "note"],
    "conflicts.csv": ["conflict_id", "division", "municipality_code", "reading_used", "cluster_id", "alternative",
                      "verified", "tag", "sources", "source_ref", "note_da"],
}
TAGS = ("SOLID", "SECONDARY", "INFERENCE")
"""Confidence tags of the researched facts (``shared/reference``): only ``SOLID`` rows may be ``verified``."""

LEVEL_ALIASES = {
    "politisk": "politisk", "political": "politisk", "politiske": "politisk",
    "fagligt-strategisk": "fagligt-strategisk", "fagligt strategisk": "fagligt-strategisk",
    "faglig/strategisk": "fagligt-strategisk", "fagligt/strategisk": "fagligt-strategisk",
    "professional": "fagligt-strategisk", "professional/strategic": "fagligt-strategisk",
    "strategic": "fagligt-strategisk",
    "klyngestyregruppe": "klyngestyregruppe", "steering-group": "klyngestyregruppe",
    "steering group": "klyngestyregruppe",
    "sundhedsraad": "politisk", "sundhedsråd": "politisk", "council": "politisk",
}
COUNCIL_ROLES = {"regionsraadsmedlem": "Regionsrådsmedlem", "kommunalt-medlem": "Kommunalt medlem"}



# --------------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------------
def _fold(text: str, variant: int) -> str:
    """Fold a name for tolerant lookup: case, Danish letters, 'Kommune' suffix, punctuation."""
    s = str(text).casefold().strip()
    s = re.sub(r"\b(regions)?kommune\b", "", s)
    if variant == 0:
        s = s.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    else:
        s = s.replace("æ", "ae").replace("ø", "o").replace("å", "a").replace("aa", "a")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if ch.isalnum() and not unicodedata.combining(ch))
    return s


def fold_name(text: str) -> str:
    """A name folded for comparison (case, Danish letters, punctuation, a 'Kommune' suffix), the folding every
    registry look-up uses.

    >>> fold_name("Vesterbro/Kongens Enghave") == fold_name("Vesterbro-Kongens Enghave")
    True
    """
    return _fold(text, 0)


def _fold_keys(text: str) -> set[str]:
    keys = {_fold(text, 0), _fold(text, 1)}
    keys |= {k[:-1] for k in keys if k.endswith("s") and len(k) > 4}  # genitive: "Københavns Kommune"
    keys.discard("")
    return keys


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


def _read(directory: Path, name: str) -> pd.DataFrame:
    path = directory / name
    if not path.exists():
        raise RegistryError(str(path), None, "file is missing")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RegistryError(str(path), None, f"cannot be parsed as UTF-8 CSV: {exc}") from None
    missing = [c for c in _FILES[name] if c not in df.columns]
    if missing:
        raise RegistryError(str(path), None, f"missing column(s): {', '.join(missing)}")
    df = df.astype(object)
    df.attrs["file"] = str(path)
    return df


def _rows(df: pd.DataFrame):
    """Iterate rows with their line number in the file (header is line 1)."""
    for i, rec in enumerate(df.to_dict("records")):
        yield i + 2, rec


@dataclass
class Registry:
    """Validated registry tables (use the module-level functions rather than this class directly)."""

    regions: pd.DataFrame
    municipalities: pd.DataFrame
    hospitals: pd.DataFrame
    divisions: pd.DataFrame
    clusters: pd.DataFrame
    memberships: pd.DataFrame
    levels: pd.DataFrame
    seats: pd.DataFrame
    council_seats: pd.DataFrame
    conflicts: pd.DataFrame
    name_index: dict[str, str]
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    """Tables derived from these (a division's units and members), built once per registry: the registry
    does not change while it is loaded, and a report asks for the same units many times."""


def load_registry(directory: str | os.PathLike[str] | None = None) -> Registry:
    """Load and validate the registry files in ``directory`` (default: the package's own data).

    Raises :class:`RegistryError` naming the file, row and problem for any inconsistency.

    >>> reg = load_registry()
    >>> len(reg.municipalities)
    98
    """
    return _load_cached(str(Path(directory) if directory is not None else DATA_DIR))


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str) -> Registry:
    d = Path(directory)
    raw = {name: _read(d, name) for name in _FILES}
    f = {name: raw[name].attrs["file"] for name in _FILES}

    # regions ---------------------------------------------------------------------------------
    regions = raw["regions.csv"]
    seen: set[str] = set()
    for row, r in _rows(regions):
        if not r["region_id"]:
            raise RegistryError(f["regions.csv"], row, "empty region_id")
        if r["region_id"] in seen:
            raise RegistryError(f["regions.csv"], row, f"duplicate region_id {r['region_id']!r}")
        seen.add(r["region_id"])
        if r["region_code"]:
            try:
                code = normalize_region_code(r["region_code"])
            except ValueError as exc:
                raise RegistryError(f["regions.csv"], row, str(exc)) from None
            if code != r["region_code"]:
                raise RegistryError(f["regions.csv"], row, f"region_code must be written {code!r}")
        elif not r["code_note"].strip():
            raise RegistryError(f["regions.csv"], row, "a region without region_code needs a code_note saying why")
        for col in ("valid_from", "valid_to"):
            _date(r[col], f["regions.csv"], row, col)
        if not r["source"].strip():
            raise RegistryError(f["regions.csv"], row, "no source given")
    for row, r in _rows(regions):
        if r["successor_id"] and r["successor_id"] not in seen:
            raise RegistryError(f["regions.csv"], row, f"unknown successor_id {r['successor_id']!r}")
    region_ids = set(regions["region_id"])
    regions = regions.assign(
        region_code=regions["region_code"].replace("", None),
        dst_code=regions["dst_code"].replace("", None),
        successor_id=regions["successor_id"].replace("", None),
        valid_from=pd.to_datetime(regions["valid_from"].replace("", None)),
        valid_to=pd.to_datetime(regions["valid_to"].replace("", None)),
    )
    regions["region_key"] = regions["region_code"].fillna(regions["region_id"])
    region_name = dict(zip(regions["region_id"], regions["name"], strict=True))
    region_code = dict(zip(regions["region_id"], regions["region_key"], strict=True))
    successor = dict(zip(regions["region_id"], regions["successor_id"], strict=True))

    # municipalities -----------------------------------------------------------------------------
    munis = raw["municipalities.csv"]
    codes: set[str] = set()
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for row, r in _rows(munis):
        try:
            code = normalize_municipality_code(r["municipality_code"])
        except ValueError as exc:
            raise RegistryError(f["municipalities.csv"], row, str(exc)) from None
        if code != r["municipality_code"]:
            raise RegistryError(f["municipalities.csv"], row, f"municipality_code must be written {code!r}")
        if code in codes:
            raise RegistryError(f["municipalities.csv"], row, f"duplicate municipality_code {code}")
        codes.add(code)
        if not r["name"].strip():
            raise RegistryError(f["municipalities.csv"], row, "empty name")
        if r["region_id"] not in region_ids:
            raise RegistryError(f["municipalities.csv"], row, f"unknown region_id {r['region_id']!r}")
        if not r["source"].strip():
            raise RegistryError(f["municipalities.csv"], row, "no source given")
        names = [r["name"], r["dst_name"], *[a for a in r["aliases"].split(";") if a.strip()]]
        for name in names:
            for key in _fold_keys(name):
                if key in index and index[key] != code:
                    ambiguous.add(key)
                index[key] = code
    for key in ambiguous:
        index.pop(key, None)
    munis = munis.assign(
        region_code=munis["region_id"].map(region_code),
        region_name=munis["region_id"].map(region_name),
    )
    muni_region = dict(zip(munis["municipality_code"], munis["region_id"], strict=True))

    # hospitals ---------------------------------------------------------------------------------
    hosp = raw["hospitals.csv"]
    hosp_ids: set[str] = set()
    for row, r in _rows(hosp):
        if r["hospital_id"] in hosp_ids or not r["hospital_id"]:
            raise RegistryError(f["hospitals.csv"], row, f"empty or duplicate hospital_id {r['hospital_id']!r}")
        hosp_ids.add(r["hospital_id"])
        if r["region_id"] not in region_ids:
            raise RegistryError(f["hospitals.csv"], row, f"unknown region_id {r['region_id']!r}")
        if r["kind"] not in ("acute", "psychiatry"):
            raise RegistryError(f["hospitals.csv"], row, f"kind must be 'acute' or 'psychiatry', got {r['kind']!r}")
        for col, lo, hi in (("lat", 54.0, 58.0), ("lon", 8.0, 15.5)):
            if r[col]:
                try:
                    v = float(r[col])
                except ValueError:
                    raise RegistryError(f["hospitals.csv"], row, f"column '{col}' is not a number") from None
                if not lo <= v <= hi:
                    raise RegistryError(f["hospitals.csv"], row, f"column '{col}' = {v} is outside Denmark")
            elif r["kind"] == "acute":
                raise RegistryError(f["hospitals.csv"], row, f"acute hospital without '{col}'")
        _bool(r["coords_verified"], f["hospitals.csv"], row, "coords_verified")
        if not r["source"].strip():
            raise RegistryError(f["hospitals.csv"], row, "no source given")
    hosp = hosp.assign(
        lat=pd.to_numeric(hosp["lat"].replace("", None)),
        lon=pd.to_numeric(hosp["lon"].replace("", None)),
        coords_verified=hosp["coords_verified"].str.lower().eq("true"),
        region_code=hosp["region_id"].map(region_code),
        region_name=hosp["region_id"].map(region_name),
    )

    # divisions ---------------------------------------------------------------------------------
    divs = raw["divisions.csv"]
    div_ids: set[str] = set()
    for row, r in _rows(divs):
        if not r["division"] or r["division"] in div_ids:
            raise RegistryError(f["divisions.csv"], row, f"empty or duplicate division {r['division']!r}")
        div_ids.add(r["division"])
        if _date(r["valid_from"], f["divisions.csv"], row, "valid_from") is None:
            raise RegistryError(f["divisions.csv"], row, "valid_from is required")
        _date(r["valid_to"], f["divisions.csv"], row, "valid_to")
        if r["coverage"] not in ("complete", "partial"):
            raise RegistryError(f["divisions.csv"], row, "coverage must be 'complete' or 'partial'")
        if r["unit_da"] not in ("sundhedsklynge", "sundhedsråd", "klyngestyregruppe"):
            raise RegistryError(f["divisions.csv"], row,
                                "unit_da must be 'sundhedsklynge', 'sundhedsråd' or 'klyngestyregruppe'")
        for reg in filter(None, r["regions"].split(";")):
            if reg not in region_ids:
                raise RegistryError(f["divisions.csv"], row, f"unknown region {reg!r} in 'regions'")
    divs = divs.assign(
        valid_from=pd.to_datetime(divs["valid_from"]),
        valid_to=pd.to_datetime(divs["valid_to"].replace("", None)),
    )
    ordered = divs.sort_values("valid_from").to_dict("records")
    for a, b in zip(ordered, ordered[1:], strict=False):
        if pd.isna(a["valid_to"]) or a["valid_to"] >= b["valid_from"]:
            raise RegistryError(f["divisions.csv"], None,
                                f"validity of {a['division']} overlaps {b['division']}")

    # clusters ----------------------------------------------------------------------------------
    cl = raw["clusters.csv"]
    cl_keys: set[tuple[str, str]] = set()
    all_ids: dict[str, str] = {}
    former: set[tuple[str, str]] = set()
    for row, r in _rows(cl):
        key = (r["division"], r["cluster_id"])
        if r["division"] not in div_ids:
            raise RegistryError(f["clusters.csv"], row, f"unknown division {r['division']!r}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r["cluster_id"]):
            raise RegistryError(f["clusters.csv"], row,
                                f"cluster_id {r['cluster_id']!r} must look like '<prefix>-<name>' (a-z, 0-9)")
        if r["cluster_id"] in all_ids:
            raise RegistryError(f["clusters.csv"], row,
                                f"duplicate cluster_id {r['cluster_id']!r} (already used in "
                                f"{all_ids[r['cluster_id']]}): ids are unique across all divisions")
        all_ids[r["cluster_id"]] = r["division"]
        cl_keys.add(key)
        for old in filter(None, r["former_ids"].split(";")):
            if (r["division"], old) in former:
                raise RegistryError(f["clusters.csv"], row, f"former id {old!r} used twice in {r['division']}")
            former.add((r["division"], old))
        if r["region_id"] not in region_ids:
            raise RegistryError(f["clusters.csv"], row, f"unknown region_id {r['region_id']!r}")
        for h in filter(None, r["hospital_ids"].split(";")):
            if h not in hosp_ids:
                raise RegistryError(f["clusters.csv"], row, f"unknown hospital_id {h!r}")
        _tagged(r, f["clusters.csv"], row)
    cl = cl.assign(
        verified=cl["verified"].str.lower().eq("true"),
        region_code=cl["region_id"].map(region_code),
        region_name=cl["region_id"].map(region_name),
        unit_da=cl["division"].map(dict(zip(divs["division"], divs["unit_da"], strict=True))),
    )
    cluster_region = {(d, c): r for d, c, r in zip(cl["division"], cl["cluster_id"], cl["region_id"], strict=True)}

    # memberships -------------------------------------------------------------------------------
    mem = raw["memberships.csv"]
    shares: dict[tuple[str, str], list[tuple[int, str, str, float | None, str]]] = {}
    for row, r in _rows(mem):
        key = (r["division"], r["cluster_id"])
        if key not in cl_keys:
            raise RegistryError(f["memberships.csv"], row,
                                f"unknown cluster {r['cluster_id']!r} in division {r['division']!r}")
        try:
            code = normalize_municipality_code(r["municipality_code"])
        except ValueError as exc:
            raise RegistryError(f["memberships.csv"], row, str(exc)) from None
        if code not in codes:
            raise RegistryError(f["memberships.csv"], row, f"unknown municipality code {r['municipality_code']!r}")
        home = muni_region[code]
        creg = cluster_region[key]
        if creg not in (home, successor.get(home)):
            raise RegistryError(f["memberships.csv"], row,
                                f"municipality {code} ({home}) cannot belong to cluster {r['cluster_id']} ({creg})")
        alloc = r["allocation"]
        share: float | None
        if alloc == "whole":
            if r["unit_type"] or r["unit_code"]:
                raise RegistryError(f["memberships.csv"], row, "a 'whole' membership must not name a unit")
            share = 1.0
            if r["share"] not in ("", "1", "1.0"):
                raise RegistryError(f["memberships.csv"], row, "a 'whole' membership has share 1")
        elif alloc == "unit":
            if not (r["unit_type"] and r["unit_code"]):
                raise RegistryError(f["memberships.csv"], row, "a 'unit' membership needs unit_type and unit_code")
            share = None
        elif alloc == "share":
            try:
                share = float(r["share"])
            except ValueError:
                raise RegistryError(f["memberships.csv"], row, f"share {r['share']!r} is not a number") from None
            if not 0 < share <= 1:
                raise RegistryError(f["memberships.csv"], row, f"share {share} must be in (0, 1]")
        else:
            raise RegistryError(f["memberships.csv"], row,
                                f"allocation must be 'whole', 'unit' or 'share', got {alloc!r}")
        _tagged(r, f["memberships.csv"], row)
        shares.setdefault((r["division"], code), []).append((row, alloc, r["unit_code"], share, r["cluster_id"]))

    for (division, code), entries in shares.items():
        kinds = {e[1] for e in entries}
        last_row = entries[-1][0]
        if len(kinds) > 1:
            raise RegistryError(f["memberships.csv"], last_row,
                                f"municipality {code} mixes allocations {sorted(kinds)} in {division}")
        kind = kinds.pop()
        if kind == "whole" and len(entries) > 1:
            raise RegistryError(f["memberships.csv"], last_row,
                                f"duplicate: municipality {code} belongs to more than one cluster in {division}")
        if kind == "unit":
            units = [e[2] for e in entries]
            dup = {u for u in units if units.count(u) > 1}
            if dup:
                raise RegistryError(f["memberships.csv"], last_row,
                                    f"unit(s) {sorted(dup)} of municipality {code} listed twice in {division}")
        if kind == "share":
            total = sum(e[3] for e in entries)
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise RegistryError(f["memberships.csv"], last_row,
                                    f"shares of municipality {code} in {division} sum to {total!r}, not 1")

    for _, r in _rows(divs.astype({"valid_from": str, "valid_to": str})):
        covered = {code for (d, code) in shares if d == r["division"]}
        required: set[str] = set()
        if r["coverage"] == "complete":
            required = set(codes)
        for reg in filter(None, r["regions"].split(";")):
            required |= {c for c, home in muni_region.items() if home == reg}
        missing = sorted(required - covered)
        if missing:
            raise RegistryError(f["memberships.csv"], None,
                                f"division {r['division']}: municipalities without a cluster: {', '.join(missing)}")

    mem = mem.assign(
        municipality_code=mem["municipality_code"].map(normalize_municipality_code),
        share=pd.to_numeric(mem["share"].replace("", None)).astype("Float64"),
        verified=mem["verified"].str.lower().eq("true"),
    )
    mem.loc[mem["allocation"] == "whole", "share"] = 1.0
    for col in ("unit_type", "unit_code", "unit_name"):
        mem[col] = mem[col].replace("", None)

    # governance --------------------------------------------------------------------------------
    lev = raw["levels.csv"]
    lev_keys: set[tuple[str, str, str]] = set()
    for row, r in _rows(lev):
        key = (r["division"], r["region_id"], r["level"])
        if r["division"] not in div_ids:
            raise RegistryError(f["levels.csv"], row, f"unknown division {r['division']!r}")
        if r["region_id"] not in region_ids:
            raise RegistryError(f["levels.csv"], row, f"unknown region_id {r['region_id']!r}")
        if key in lev_keys:
            raise RegistryError(f["levels.csv"], row, f"duplicate level {key}")
        lev_keys.add(key)
        lo = _int_or_none(r["meetings_min_per_year"], f["levels.csv"], row, "meetings_min_per_year")
        hi = _int_or_none(r["meetings_max_per_year"], f["levels.csv"], row, "meetings_max_per_year")
        if lo is not None and hi is not None and hi < lo:
            raise RegistryError(f["levels.csv"], row, "meetings_max_per_year is below meetings_min_per_year")
        _tagged(r, f["levels.csv"], row)
    lev = lev.assign(
        verified=lev["verified"].str.lower().eq("true"),
        meetings_min_per_year=pd.to_numeric(lev["meetings_min_per_year"].replace("", None)).astype("Int64"),
        meetings_max_per_year=pd.to_numeric(lev["meetings_max_per_year"].replace("", None)).astype("Int64"),
    )
    st = raw["seats.csv"]
    for row, r in _rows(st):
        if (r["division"], r["region_id"], r["level"]) not in lev_keys:
            raise RegistryError(f["seats.csv"], row,
                                f"no level {r['level']!r} for {r['region_id']} in {r['division']} (levels.csv)")
        _bool(r["per_municipality"], f["seats.csv"], row, "per_municipality")
        _bool(r["observer"], f["seats.csv"], row, "observer")
        lo = _int_or_none(r["count_min"], f["seats.csv"], row, "count_min")
        hi = _int_or_none(r["count_max"], f["seats.csv"], row, "count_max")
        if (lo is not None and lo < 0) or (lo is not None and hi is not None and hi < lo):
            raise RegistryError(f["seats.csv"], row, "count_min/count_max are inconsistent")
        if not r["source"].strip():
            raise RegistryError(f["seats.csv"], row, "no source given")
    st = st.assign(
        per_municipality=st["per_municipality"].str.lower().eq("true"),
        observer=st["observer"].str.lower().eq("true"),
        count_min=pd.to_numeric(st["count_min"].replace("", None)).astype("Int64"),
        count_max=pd.to_numeric(st["count_max"].replace("", None)).astype("Int64"),
    )

    # council composition (seats as listed, per council) ---------------------------------------------
    cs = raw["council_seats.csv"]
    members_of = {(d, c): set() for d, c in cl_keys}
    for d, c, code in zip(mem["division"], mem["cluster_id"], mem["municipality_code"], strict=True):
        members_of[(d, c)].add(code)
    seen_roles: set[tuple[str, str, str]] = set()
    for row, r in _rows(cs):
        key = (r["division"], r["cluster_id"])
        if key not in cl_keys:
            raise RegistryError(f["council_seats.csv"], row,
                                f"unknown council {r['cluster_id']!r} in division {r['division']!r}")
        if r["role_id"] not in COUNCIL_ROLES:
            raise RegistryError(f["council_seats.csv"], row, f"role_id must be one of {sorted(COUNCIL_ROLES)}")
        n = _int_or_none(r["seats"], f["council_seats.csv"], row, "seats")
        if n is None or n < 1:
            raise RegistryError(f["council_seats.csv"], row, "seats must be a whole number >= 1")
        code = r["municipality_code"]
        if r["role_id"] == "kommunalt-medlem":
            if code not in members_of[key]:
                raise RegistryError(f["council_seats.csv"], row,
                                    f"municipality {code!r} is not a member of {r['cluster_id']}")
        elif code:
            raise RegistryError(f["council_seats.csv"], row, "regional seats name no municipality")
        if (r["cluster_id"], r["role_id"], code) in seen_roles:
            raise RegistryError(f["council_seats.csv"], row, f"duplicate seat row for {r['cluster_id']}")
        seen_roles.add((r["cluster_id"], r["role_id"], code))
        _tagged(r, f["council_seats.csv"], row)
    for key in {(d, c) for d, c in zip(cs["division"], cs["cluster_id"], strict=True)}:
        listed = set(cs.loc[(cs["cluster_id"] == key[1]) & (cs["role_id"] == "kommunalt-medlem"), "municipality_code"])
        if listed != members_of[key]:
            raise RegistryError(f["council_seats.csv"], None,
                                f"{key[1]}: municipal seats do not name every member municipality exactly once")
    cs = cs.assign(seats=pd.to_numeric(cs["seats"]).astype("Int64"), verified=cs["verified"].str.lower().eq("true"),
                   municipality_code=cs["municipality_code"].replace("", None))

    # conflicts between sources (recorded, not resolved by guessing) ----------------------------------
    cf = raw["conflicts.csv"]
    for row, r in _rows(cf):
        if (r["division"], r["cluster_id"]) not in cl_keys:
            raise RegistryError(f["conflicts.csv"], row, f"unknown unit {r['cluster_id']!r} in {r['division']!r}")
        if r["alternative"] and (r["division"], r["alternative"]) not in cl_keys:
            raise RegistryError(f["conflicts.csv"], row, f"unknown alternative {r['alternative']!r}")
        if r["municipality_code"] not in members_of[(r["division"], r["cluster_id"])]:
            raise RegistryError(f["conflicts.csv"], row,
                                f"the reading used must be the registry's: {r['municipality_code']} is not in "
                                f"{r['cluster_id']}")
        _tagged(r, f["conflicts.csv"], row, source_col="sources")
    cf = cf.assign(verified=cf["verified"].str.lower().eq("true"))

    return Registry(regions=regions, municipalities=munis, hospitals=hosp, divisions=divs, clusters=cl,
                    memberships=mem, levels=lev, seats=st, council_seats=cs, conflicts=cf, name_index=index)


def _reg() -> Registry:
    return load_registry()



def _close(text: str, options: list[str], n: int = 5) -> list[str]:
    folded = {_fold(o, 0): o for o in options}
    hits = difflib.get_close_matches(_fold(text, 0), list(folded), n=n, cutoff=0.5)
    return [folded[h] for h in hits]
